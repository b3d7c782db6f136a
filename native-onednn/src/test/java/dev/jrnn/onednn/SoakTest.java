package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Long runs leak nothing: native memory measured in a quiet child JVM ({@link SoakMain}; in this
 * JVM, the compiler threads and other tests' leftovers move malloc's totals by megabytes), Java
 * allocation by the JVM per thread.
 */
class SoakTest {

    @Test
    void aHundredThousandForwardCallsGrowNeitherNativeNorJavaMemory() throws Exception {
        String out = LibraryLoadingTest.childJvm(System.getProperty("java.class.path"), SoakMain.class, "100000");
        long[] steps = Arrays.stream(line(out, "steps").split(",")).mapToLong(Long::parseLong).sorted().toArray();
        assertEquals(10, steps.length, out);
        // A leak adds the same bytes every 10,000 calls; the JVM's own malloc traffic (compiler
        // arenas, freed by HotSpot every few seconds) moves the total by megabytes now and then.
        // The median step sees the first and not the second: one leaked malloc block per call
        // (>= 32 bytes with its header) would make it at least 320 kB.
        long median = steps[steps.length / 2];
        assertTrue(median < 10_000, "native memory grew by a median " + median + " bytes per 10,000 calls: " + out);
        // a per-call allocation, even of one object, would be over 1.6 MB; a one-off JIT event is not a leak
        long javaBytes = Long.parseLong(line(out, "java"));
        assertTrue(javaBytes < 4096, "Java bytes allocated by 100,000 forward calls: " + out);
    }

    private static String line(String out, String key) {
        return out.lines().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1))
                .findFirst().orElseThrow(() -> new AssertionError("no " + key + " in " + out));
    }

    @Test
    void steadyStateCallsAllocateNoJavaMemory() {
        RnnDescriptor d = new RnnDescriptor(CellKind.GRU, 2, Direction.BIDIRECTIONAL, 6, 3, 10, 20);
        SplittableRandom random = new SplittableRandom(1);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random), dy = Tensors.uniform(d.dstLayerShape(), random);
        RnnForward io = RnnForward.of(x, FloatTensor.zeros(d.dstLayerShape())).withFinalState(FloatTensor.zeros(d.iterShape()), null);
        RnnBackward grads = RnnBackward.of(dy, FloatTensor.zeros(d.srcLayerShape()), RnnWeights.zeros(d))
                .withInitialStateGradients(FloatTensor.zeros(d.iterShape()), null);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (PreparedRnn rnn = new OneDnnBackend().prepare(d, RnnWeights.uniform(d, 2)); Workspace ws = rnn.newWorkspace()) {
            for (int i = 0; i < 5000; i++) {
                rnn.forward(Mode.TRAINING, io, ws);
                rnn.backward(grads, ws);
            }
            long allocated = Long.MAX_VALUE;
            // C2 compiles the paths over a while; a few rounds, and the last must allocate nothing
            for (int round = 0; round < 10 && allocated > 0; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 500; i++) {
                    rnn.forward(Mode.TRAINING, io, ws);
                    rnn.backward(grads, ws);
                    rnn.forward(Mode.INFERENCE, io, ws);
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, allocated, "Java bytes allocated by 500 training steps and inferences");
        }
    }
}
