package dev.jrnn.core.spi;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.scalar.ReferenceBackend;
import dev.jrnn.core.tensor.FloatTensor;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The known-answer test a backend passes before it first serves a cell kind, direction and mode in
 * this process, as cryptographic libraries test themselves at power-on: a native library can be
 * right on one CPU and wrong on the next (oneDNN 3.6.1's AVX-512 inference kernels on AMD Zen 5),
 * and nothing else would notice. A tiny problem (two layers, a few steps, odd sizes, non-zero
 * initial states) runs on the backend and on the reference; training also compares every gradient.
 * Verdicts are kept for the process's life, so the cost is paid once per kind.
 */
public final class SelfTest {

    /** Within the numerics contract: the conformance suite's tolerance at these sizes is 1e-5; a wrong kernel is off by 1e-2 or more. */
    static final double TOLERANCE = 1e-4;

    private static final System.Logger LOG = System.getLogger("dev.jrnn.runtime");
    private static final Backend REFERENCE = new ReferenceBackend();
    private static final Map<Key, Verdict> VERDICTS = new ConcurrentHashMap<>();

    private record Key(String backend, CellKind cell, Direction direction, Mode mode) {
    }

    /** The outcome for one kind: trusted, or why not; and how long the test took. */
    public record Verdict(boolean trusted, String reason, long nanos) {
    }

    private SelfTest() {
    }

    /**
     * The verdict for {@code backend} on {@code d}'s cell and direction in {@code mode}, tested on
     * the first call for that kind. The reference is its own oracle and always trusted.
     */
    public static Verdict verdict(Backend backend, RnnDescriptor d, Mode mode) {
        if (backend instanceof ReferenceBackend) {
            return new Verdict(true, "the reference", 0);
        }
        return VERDICTS.computeIfAbsent(new Key(backend.name(), d.cell(), d.direction(), mode),
                key -> run(backend, d, mode));
    }

    /** Every verdict so far, as "backend CELL DIRECTION MODE" -> "passed in N ms" or the refusal, for reports. */
    public static Map<String, String> verdicts() {
        Map<String, String> out = new TreeMap<>();
        VERDICTS.forEach((k, v) -> out.put(k.backend() + " " + k.cell() + " " + k.direction() + " " + k.mode(),
                v.trusted() ? String.format(Locale.ROOT, "passed in %.1f ms", v.nanos() / 1e6) : v.reason()));
        return out;
    }

    /** Throws {@link BackendRefusedException} unless {@code backend} is trusted for {@code d} in {@code mode}. */
    static void require(Backend backend, RnnDescriptor d, Mode mode) {
        Verdict v = verdict(backend, d, mode);
        if (!v.trusted()) {
            throw new BackendRefusedException(v.reason());
        }
    }

    private static Verdict run(Backend backend, RnnDescriptor d, Mode mode) {
        RnnDescriptor tiny = new RnnDescriptor(d.cell(), 2, d.direction(), 5, 3, 7, 9);
        if (!backend.supports(tiny).supported()) {
            tiny = d.withSteps(Math.min(d.steps(), 5)).withBatch(Math.min(d.batch(), 3));
        }
        String kind = d.cell() + " " + d.direction() + " " + mode;
        long start = System.nanoTime();
        String error;
        try {
            error = compare(backend, tiny, mode);
        } catch (RuntimeException | LinkageError e) {
            error = "it failed: " + e;
        }
        long nanos = System.nanoTime() - start;
        if (error == null) {
            LOG.log(Level.DEBUG, "jrnn self-test: {0} passed {1} in {2} ms", backend.name(), kind, nanos / 1e6);
            return new Verdict(true, "passed", nanos);
        }
        String reason = String.format(Locale.ROOT,
                "backend '%s' refused for %s: its known-answer self-test against the reference disagrees: %s "
                        + "(%s; CPU %s; %s)", backend.name(), kind, error, tiny, cpu(), backend.implementation());
        LOG.log(Level.WARNING, reason);
        return new Verdict(false, reason, nanos);
    }

    /** Runs the problem on both backends; null when they agree, else the first disagreement. */
    private static String compare(Backend backend, RnnDescriptor d, Mode mode) {
        Map<String, FloatTensor> want = solve(REFERENCE, d, mode), got = solve(backend, d, mode);
        for (var entry : want.entrySet()) {
            FloatTensor w = entry.getValue(), g = got.get(entry.getKey());
            for (long i = 0; i < w.size(); i++) {
                double a = w.getFlat(i), b = g.getFlat(i);
                if (!(Math.abs(a - b) <= TOLERANCE * (1 + Math.abs(a)))) {
                    return String.format(Locale.ROOT, "%s[%d] is %.6g, the reference's %.6g", entry.getKey(), i, b, a);
                }
            }
        }
        return null;
    }

    /** Every output (and in training every gradient) of the seeded problem on {@code backend}. */
    private static Map<String, FloatTensor> solve(Backend backend, RnnDescriptor d, Mode mode) {
        SplittableRandom random = new SplittableRandom(20261205);
        boolean lstm = d.cell().hasCellState();
        FloatTensor x = uniform(FloatTensor.zeros(d.srcLayerShape()), random);
        FloatTensor h0 = uniform(FloatTensor.zeros(d.iterShape()), random);
        FloatTensor c0 = lstm ? uniform(FloatTensor.zeros(d.iterShape()), random) : null;
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        out.put("dstLayer", FloatTensor.zeros(d.dstLayerShape()));
        out.put("dstIter", FloatTensor.zeros(d.iterShape()));
        if (lstm) {
            out.put("dstIterC", FloatTensor.zeros(d.iterShape()));
        }
        try (PreparedRnn rnn = backend.prepareChecked(d.architecture(), RnnWeights.uniform(d, 7));
             Workspace ws = rnn.newWorkspace()) {
            rnn.forward(mode, new RnnForward(x, h0, c0, out.get("dstLayer"), out.get("dstIter"), out.get("dstIterC")), ws);
            if (mode == Mode.TRAINING) {
                FloatTensor dy = uniform(FloatTensor.zeros(d.dstLayerShape()), random);
                FloatTensor dhn = uniform(FloatTensor.zeros(d.iterShape()), random);
                FloatTensor dcn = lstm ? uniform(FloatTensor.zeros(d.iterShape()), random) : null;
                out.put("diffSrcLayer", FloatTensor.zeros(d.srcLayerShape()));
                out.put("diffSrcIter", FloatTensor.zeros(d.iterShape()));
                if (lstm) {
                    out.put("diffSrcIterC", FloatTensor.zeros(d.iterShape()));
                }
                RnnWeights dw = RnnWeights.zeros(d);
                rnn.backward(new RnnBackward(dy, dhn, dcn, out.get("diffSrcLayer"), out.get("diffSrcIter"),
                        out.get("diffSrcIterC"), dw), ws);
                dw.named().forEach((name, t) -> out.put(name + ".grad", t));
            }
        }
        return out;
    }

    private static FloatTensor uniform(FloatTensor t, SplittableRandom random) {
        for (long i = 0; i < t.size(); i++) {
            t.setFlat(i, (float) random.nextDouble(-1, 1));
        }
        return t;
    }

    /** The CPU's model name, family and model (Linux), else the architecture: what a refusal must name. */
    public static String cpu() {
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                int colon = line.indexOf(':');
                if (line.isBlank()) {
                    break; // the first processor is enough
                }
                if (colon > 0) {
                    fields.putIfAbsent(line.substring(0, colon).trim(), line.substring(colon + 1).trim());
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable
        }
        if (!fields.containsKey("model name")) {
            return System.getProperty("os.arch");
        }
        return fields.get("model name") + " (family " + fields.get("cpu family") + ", model " + fields.get("model") + ")";
    }
}
