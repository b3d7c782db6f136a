package dev.jrnn.apps;

import dev.jrnn.apps.charts.LineChart;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.io.AtomicFiles;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.stream.StreamState;
import dev.jrnn.models.stream.StreamingRnn;
import java.awt.Color;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/**
 * The soak (not a unit test; {@code scripts/soak}): a long run on one backend that watches memory.
 * It makes {@code --steps} streaming steps ({@link StreamingRnn}, an LSTM, over a pool of 64
 * streams, one of them closed and replaced by a fresh one every 1,000 steps) and
 * {@code --predictions} predictions (a GRU {@link SequenceClassifier} on a fresh
 * {@code [T, N, 4]} batch, T random in 1..2,000, N in 1..64, each sequence's length random in
 * 1..T), interleaved at random, after one prediction of the largest size (2,000 x 64, not counted:
 * the backends' buffers grow to the largest call seen, and random sizes reach it only slowly), and
 * every {@code --every} calls samples:
 * <ul>
 * <li>{@code heap}: the Java heap in use right after the sample's own full collection ({@code System.gc()});
 * <li>{@code nonheap}: metaspace, code cache and the rest the JVM counts as non-heap, in use;
 * <li>{@code rss}: the process's resident memory ({@code VmRSS} of {@code /proc/self/status});
 * <li>{@code nmt}: what Native Memory Tracking counts committed in all ({@code -XX:NativeMemoryTracking=summary},
 *     read through the DiagnosticCommand MBean), and {@code nmt_other}: its category "Other", where
 *     the JDK's native memory segments (jrnn's native tensors and workspaces) are counted;
 * <li>{@code malloc}: the bytes glibc's allocator holds for the process ({@code mallinfo2}), where
 *     oneDNN's own allocations show (NMT does not see a native library's {@code malloc}), and
 *     {@code malloc_held}: what glibc holds from the kernel, in use or free (a free block it keeps
 *     counts in RSS until it trims it).
 * </ul>
 * It writes them as CSV, draws them (PNG), and prints each one's growth over the last 90% of the
 * samples: the line fitted by least squares from its value at the first of those samples to its
 * value at the last, relative to the first. Exit status 1 when RSS, NMT's total or the heap grew by
 * 1% or more (the target), 2 for a usage error.
 *
 * <pre>
 * Soak run --backend simd|onednn|reference [--steps 1000000] [--predictions 100000] [--every 10000] [--seed 1] [--out DIR]
 * Soak check FILE.csv     the growth figures again
 * </pre>
 */
public final class Soak {

    /** The soak's models: small, so a million steps and 10^5 predictions of up to 2,000 x 64 take minutes on one core. */
    static final int INPUT = 4, HIDDEN = 16, CLASSES = 3, STREAMS = 64, MAX_STEPS = 2000, MAX_BATCH = 64;
    /** The growth allowed over the last 90% of the samples, as a fraction. */
    static final double TARGET = 0.01;
    static final String[] COLUMNS = {"calls", "steps", "predictions", "heap", "nonheap", "rss", "nmt", "nmt_other", "malloc",
            "malloc_held"};
    /** The columns of the first soaks' files (before {@code malloc_held}): read with that one as -1 (not measured). */
    private static final int FIRST_COLUMNS = 9;
    /** The columns the target applies to. */
    private static final List<String> CHECKED = List.of("heap", "rss", "nmt");

    private Soak() {
    }

    public static void main(String[] args) throws Exception {
        try {
            int status = args.length > 0 && args[0].equals("check") && args.length == 2
                    ? report(read(Path.of(args[1])), System.out)
                    : args.length > 0 && args[0].equals("run") ? run(Arrays.copyOfRange(args, 1, args.length)) : usage();
            System.exit(status);
        } catch (IllegalArgumentException | IOException e) {
            System.err.println("soak: " + e.getMessage());
            System.exit(2);
        }
    }

    private static int usage() {
        System.err.println("usage: Soak run --backend NAME [--steps N] [--predictions N] [--every N] [--seed N] [--out DIR]\n"
                + "       Soak check FILE.csv");
        return 2;
    }

    private static int run(String[] args) throws Exception {
        String backend = null;
        long steps = 1_000_000, predictions = 100_000, every = 10_000, seed = 1;
        Path out = Path.of("jrnn-soak");
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            String v = args[i + 1];
            switch (args[i]) {
                case "--backend" -> backend = v;
                case "--steps" -> steps = positive(args[i], v);
                case "--predictions" -> predictions = positive(args[i], v);
                case "--every" -> every = positive(args[i], v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--out" -> out = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (backend == null) {
            throw new IllegalArgumentException("--backend is required (simd, onednn or reference): a soak measures one backend");
        }
        Sampler sampler = new Sampler();
        List<long[]> samples = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(seed);
        float[] pool = new float[MAX_STEPS * MAX_BATCH * INPUT]; // inputs are slices of it, copied: every call gets a fresh tensor
        for (int i = 0; i < pool.length; i++) {
            pool[i] = (float) random.nextDouble(-1, 1);
        }
        System.out.printf(Locale.ROOT, "soak on %s: %,d streaming steps (LSTM %d->%d, %d streams), %,d predictions "
                        + "(GRU %d->%d->%d classes, T 1..%d, N 1..%d), a sample every %,d calls%n",
                backend, steps, INPUT, HIDDEN, STREAMS, predictions, INPUT, HIDDEN, CLASSES, MAX_STEPS, MAX_BATCH, every);
        long checksum = 0;
        try (SequenceClassifier classifier = new SequenceClassifier(CellKind.GRU, INPUT, HIDDEN, 1, Direction.UNIDIRECTIONAL,
                CLASSES, seed).backend(backend);
             Recurrent lstm = new Recurrent(CellKind.LSTM, INPUT, HIDDEN, 1, Direction.UNIDIRECTIONAL, seed + 1);
             StreamingRnn stream = StreamingRnn.prepare(lstm.architecture(), lstm.weights(), backend)) {
            classifier.eval();
            StreamState[] states = new StreamState[STREAMS];
            for (int s = 0; s < STREAMS; s++) {
                states[s] = stream.newState();
            }
            float[] x = new float[INPUT], y = new float[HIDDEN];
            long stepsDone = 0, predictionsDone = 0, total = steps + predictions;
            // warm-up, not counted: one prediction of the largest size, so the backend's buffers reach the size they
            // keep for good at once (they grow to the largest T x N seen, which random sizes approach only slowly)
            int[] full = new int[MAX_BATCH];
            Arrays.fill(full, MAX_STEPS);
            checksum += Arrays.stream(classifier.predict(FloatTensor.of(pool.clone(), MAX_STEPS, MAX_BATCH, INPUT), full)).sum();
            samples.add(sampler.sample(0, 0, 0));
            for (long call = 1; call <= total; call++) {
                // exact counts, interleaved at random: a prediction with the odds of those left
                if (random.nextLong(total - call + 1) < predictions - predictionsDone) {
                    int t = 1 + random.nextInt(MAX_STEPS), n = 1 + random.nextInt(MAX_BATCH);
                    int[] lengths = new int[n];
                    for (int k = 0; k < n; k++) {
                        lengths[k] = 1 + random.nextInt(t);
                    }
                    lengths[random.nextInt(n)] = t; // the batch is as long as its longest sequence
                    int from = random.nextInt(pool.length - t * n * INPUT + 1);
                    FloatTensor batch = FloatTensor.of(Arrays.copyOfRange(pool, from, from + t * n * INPUT), t, n, INPUT);
                    checksum += Arrays.stream(classifier.predict(batch, lengths)).sum();
                    predictionsDone++;
                } else {
                    int s = random.nextInt(STREAMS);
                    x[random.nextInt(INPUT)] = (float) random.nextDouble(-1, 1);
                    stream.step(x, states[s], y);
                    checksum += Float.floatToIntBits(y[0]) & 1;
                    stepsDone++;
                    if (stepsDone % 1000 == 0) { // a stream ends and another begins
                        states[s].close();
                        states[s] = stream.newState();
                    }
                }
                if (call % every == 0 || call == total) {
                    long[] sample = sampler.sample(call, stepsDone, predictionsDone);
                    samples.add(sample);
                    System.out.printf(Locale.ROOT, "%,10d calls: heap %7.1f MB, rss %7.1f MB, nmt %7.1f MB, malloc %7.1f MB%n",
                            call, mb(sample[3]), mb(sample[5]), mb(sample[6]), mb(sample[8]));
                }
            }
            for (StreamState s : states) {
                s.close();
            }
            System.out.println("backends: streaming " + stream.backendName() + ", predictions " + classifier.recurrent().backendName()
                    + " (checksum " + checksum + ")");
        }
        Files.createDirectories(out);
        Path csv = out.resolve("soak-" + backend + ".csv"), png = out.resolve("soak-" + backend + ".png");
        write(csv, samples);
        chart(backend, samples, png);
        System.out.println("wrote " + csv + " and " + png);
        return report(samples, System.out);
    }

    private static long positive(String option, String value) {
        long v = Long.parseLong(value);
        if (v < 1) {
            throw new IllegalArgumentException(option + " must be >= 1, got " + value);
        }
        return v;
    }

    private static double mb(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }

    /** The memory figures of this process, in bytes, after a full collection. */
    static final class Sampler {

        /** glibc's {@code struct mallinfo2 mallinfo2(void)}: ten {@code size_t}s, returned by value. */
        private final MethodHandle mallinfo2;
        private final SegmentAllocator result = SegmentAllocator.prefixAllocator(Arena.global().allocate(80, 8));
        private final ObjectName diagnostics;
        private static final Pattern TOTAL = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB");
        private static final Pattern OTHER = Pattern.compile("-\\s+Other \\(reserved=(\\d+)KB, committed=(\\d+)KB");

        Sampler() throws Exception {
            Linker linker = Linker.nativeLinker();
            mallinfo2 = linker.defaultLookup().find("mallinfo2").map(f -> linker.downcallHandle(f,
                    FunctionDescriptor.of(MemoryLayout.structLayout(MemoryLayout.sequenceLayout(10, ValueLayout.JAVA_LONG)))))
                    .orElse(null);
            diagnostics = new ObjectName("com.sun.management:type=DiagnosticCommand");
            if (nmt().startsWith("Native memory tracking is not enabled")) {
                throw new IllegalArgumentException("run with -XX:NativeMemoryTracking=summary (scripts/soak does)");
            }
        }

        long[] sample(long calls, long steps, long predictions) throws Exception {
            System.gc();
            var memory = ManagementFactory.getMemoryMXBean();
            String nmt = nmt();
            return new long[] {calls, steps, predictions, memory.getHeapMemoryUsage().getUsed(),
                    memory.getNonHeapMemoryUsage().getUsed(), rss(), kb(TOTAL, nmt), kb(OTHER, nmt), malloc(false), malloc(true)};
        }

        private String nmt() throws Exception {
            return (String) ManagementFactory.getPlatformMBeanServer().invoke(diagnostics, "vmNativeMemory",
                    new Object[] {new String[] {"summary"}}, new String[] {String[].class.getName()});
        }

        /** The committed figure of {@code pattern}'s line, in bytes; -1 when the report has no such line. */
        private static long kb(Pattern pattern, String report) {
            Matcher m = pattern.matcher(report);
            return m.find() ? Long.parseLong(m.group(2)) * 1024 : -1;
        }

        private static long rss() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
            return -1;
        }

        /**
         * glibc's bytes in use: in the heap arenas ({@code uordblks}) and in mapped blocks ({@code hblkhd}); or
         * {@code held}: taken from the kernel, in use or free ({@code arena + hblkhd}); -1 without glibc.
         */
        private long malloc(boolean held) {
            if (mallinfo2 == null) {
                return -1;
            }
            try {
                MemorySegment info = (MemorySegment) mallinfo2.invokeExact(result);
                return info.getAtIndex(ValueLayout.JAVA_LONG, held ? 0 : 7) + info.getAtIndex(ValueLayout.JAVA_LONG, 4);
            } catch (Throwable e) {
                throw new IllegalStateException("mallinfo2 failed", e);
            }
        }
    }

    static void write(Path csv, List<long[]> samples) throws IOException {
        AtomicFiles.write(csv, out -> {
            PrintStream p = new PrintStream(out, false, StandardCharsets.UTF_8);
            p.println(String.join(",", COLUMNS));
            for (long[] s : samples) {
                p.println(String.join(",", Arrays.stream(s).mapToObj(Long::toString).toList()));
            }
            p.flush();
        });
    }

    static List<long[]> read(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        String header = String.join(",", COLUMNS), first = String.join(",", Arrays.copyOf(COLUMNS, FIRST_COLUMNS));
        if (lines.isEmpty() || !(lines.get(0).equals(header) || lines.get(0).equals(first))) {
            throw new IOException(csv + ": line 1: expected the header " + header);
        }
        int width = lines.get(0).split(",").length;
        List<long[]> samples = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",");
            if (f.length != width) {
                throw new IOException(csv + ": line " + (i + 1) + ": expected " + width + " numbers, got " + f.length);
            }
            try {
                long[] sample = Arrays.copyOf(Arrays.stream(f).mapToLong(Long::parseLong).toArray(), COLUMNS.length);
                Arrays.fill(sample, width, COLUMNS.length, -1);
                samples.add(sample);
            } catch (NumberFormatException e) {
                throw new IOException(csv + ": line " + (i + 1) + ": not a whole number: " + e.getMessage());
            }
        }
        return samples;
    }

    /**
     * Growth of column {@code c} over the last 90% of the samples: the least-squares line through
     * them, its value at the last sample against its value at the first, as a fraction of the latter.
     */
    static double growth(List<long[]> samples, int c) {
        int from = samples.size() / 10, n = samples.size() - from;
        if (n < 2) {
            throw new IllegalArgumentException(samples.size() + " samples are too few for a growth figure");
        }
        double mx = 0, my = 0;
        for (int i = from; i < samples.size(); i++) {
            mx += samples.get(i)[0];
            my += samples.get(i)[c];
        }
        mx /= n;
        my /= n;
        double sxy = 0, sxx = 0;
        for (int i = from; i < samples.size(); i++) {
            double dx = samples.get(i)[0] - mx;
            sxy += dx * (samples.get(i)[c] - my);
            sxx += dx * dx;
        }
        double slope = sxx == 0 ? 0 : sxy / sxx;
        double first = my + slope * (samples.get(from)[0] - mx), last = my + slope * (samples.get(samples.size() - 1)[0] - mx);
        return (last - first) / first;
    }

    /** Prints each column's growth over the last 90%; 0 when the checked ones are under the target, else 1. */
    static int report(List<long[]> samples, PrintStream out) {
        int from = samples.size() / 10;
        long[] first = samples.get(from), last = samples.get(samples.size() - 1);
        out.printf(Locale.ROOT, "growth over the last 90%% of %d samples (calls %,d to %,d), fitted by least squares; target < %.0f%%:%n",
                samples.size(), first[0], last[0], TARGET * 100);
        boolean ok = true;
        for (int c = 3; c < COLUMNS.length; c++) {
            if (first[c] < 0) {
                out.printf(Locale.ROOT, "  %-9s not measured%n", COLUMNS[c]);
                continue;
            }
            int column = c;
            double g = growth(samples, c);
            long min = samples.subList(from, samples.size()).stream().mapToLong(s -> s[column]).min().orElseThrow();
            long max = samples.subList(from, samples.size()).stream().mapToLong(s -> s[column]).max().orElseThrow();
            boolean checked = CHECKED.contains(COLUMNS[c]);
            ok &= !checked || g < TARGET;
            out.printf(Locale.ROOT, "  %-9s %+7.3f%%  (%.1f -> %.1f MB; range %.1f-%.1f MB)%s%n", COLUMNS[c], g * 100,
                    mb(first[c]), mb(last[c]), mb(min), mb(max), checked ? (g < TARGET ? "  ok" : "  OVER THE TARGET") : "");
        }
        out.println(ok ? "flat: every checked figure grew by less than 1%" : "GROWTH: a checked figure grew by 1% or more");
        return ok ? 0 : 1;
    }

    static void chart(String backend, List<long[]> samples, Path png) throws IOException {
        double[] calls = samples.stream().mapToDouble(s -> s[0] / 1e6).toArray();
        LineChart chart = new LineChart("jrnn soak on " + backend + ": memory over " + String.format(Locale.ROOT, "%,d",
                samples.get(samples.size() - 1)[0]) + " calls", "calls (millions)", "MB");
        String[] names = {"heap (after GC)", "non-heap", "RSS", "NMT committed", "NMT Other", "malloc in use", "malloc held"};
        Color[] colors = {new Color(0x1f77b4), new Color(0x9467bd), new Color(0xd62728), new Color(0x2ca02c),
                new Color(0x8c564b), new Color(0xff7f0e), new Color(0xbcbd22)};
        for (int c = 3; c < COLUMNS.length; c++) {
            int column = c;
            chart.line(names[c - 3], calls, samples.stream().mapToDouble(s -> s[column] < 0 ? Double.NaN : mb(s[column])).toArray(),
                    colors[c - 3]);
        }
        chart.marker("last 90%", calls[samples.size() / 10]);
        chart.writePng(png, 720, 420);
    }
}
