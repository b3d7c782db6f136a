package dev.jrnn.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Availability;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import dev.jrnn.core.testing.Tensors;
import dev.jrnn.models.nn.Recurrent;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A service sees input of every length: 1,000 distinct lengths (and batch sizes) predicted must
 * grow the process by less than 50 MB (issue 15; before, one prepared stack per
 * length grew it by 2 GB on simd and 7.5 GB on onednn over 400 lengths). Runs in its own JVM with a
 * fixed, pre-touched heap (see models/pom.xml), so resident memory grows only by what is held
 * outside the heap; what the heap retains is measured after a full collection. On onednn that
 * bounds oneDNN's global primitive cache (one primitive per size, 1,024 kept by default) and the
 * executions each workspace keeps; it skips where oneDNN cannot be loaded.
 */
class MemoryBoundTest {

    static final long LIMIT = 50L << 20;

    @ParameterizedTest
    @ValueSource(strings = {"simd", "onednn"})
    void aThousandDistinctLengthsGrowMemoryByLessThan50MB(String backend) throws IOException {
        Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "needs Linux's /proc");
        Assumptions.assumeTrue(ManagementFactory.getRuntimeMXBean().getInputArguments().contains("-XX:+AlwaysPreTouch"),
                "runs in the memory-bound execution's JVM, whose heap is pre-touched");
        Availability availability = Backends.selector().availability(backend);
        Assumptions.assumeTrue(availability.available(), backend + " is not available here: " + availability.reason());
        System.out.println(backend + ": " + availability.reason());
        SplittableRandom random = new SplittableRandom(1);
        try (Recurrent rnn = new Recurrent(CellKind.LSTM, 64, 128, 2, Direction.UNIDIRECTIONAL, 1).backend(backend)) {
            run(rnn, 1, 20, random); // plans, self-tests, code: what any first call costs
            long rss = residentBytes(), heap = retainedHeapBytes();
            run(rnn, 21, 1000, random);
            long rssGrowth = residentBytes() - rss, heapGrowth = retainedHeapBytes() - heap;
            System.out.printf(Locale.ROOT, "%s, lengths 21..1000: resident memory +%.1f MB, retained heap +%.1f MB%n",
                    backend, rssGrowth / 1048576.0, heapGrowth / 1048576.0);
            assertTrue(rssGrowth + heapGrowth < LIMIT, String.format(Locale.ROOT,
                    "%s grew by %.1f MB outside the heap and %.1f MB in it over 980 new lengths", backend,
                    rssGrowth / 1048576.0, heapGrowth / 1048576.0));
        }
    }

    /** Predicts one batch per length in [from, to] (1-4 sequences of mixed lengths). */
    private static void run(Recurrent rnn, int from, int to, SplittableRandom random) {
        for (int steps = from; steps <= to; steps++) {
            int batch = 1 + steps % 4;
            FloatTensor x = Tensors.uniform(Shape.of(steps, batch, 64), random);
            int[] lengths = new int[batch];
            for (int n = 0; n < batch; n++) {
                lengths[n] = n == 0 ? steps : 1 + random.nextInt(steps);
            }
            rnn.infer(x, lengths, null, null);
        }
    }

    private static long residentBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    private static long retainedHeapBytes() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
