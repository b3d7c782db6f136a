package dev.jrnn.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way a caller can misuse a backend, each in a JVM of its own whose exit status and absence
 * of a crash report ({@code hs_err}) are checked: a mistake must be a Java exception that names it,
 * never a crash, a hang or a wrong answer. Each backend's tests extend this with the backend's
 * name; the child finds it with {@link Backends#named}.
 *
 * <p>A case prints one line per attempt, {@code OUTCOME label ExceptionType: message} or
 * {@code OUTCOME label ok}; {@link #EXPECTED} says what each must be.
 */
public abstract class MisuseMatrix {

    /** The backend's name, as {@link Backends#named} knows it. */
    protected abstract String backendName();

    /** Per case, per attempt: the exception's simple name (or {@code ok}) and a part of its message. */
    static final Map<String, List<String[]>> EXPECTED = Map.ofEntries(
            Map.entry("closed-stack", List.<String[]>of(
                    new String[] {"forward", "IllegalStateException", "was closed"},
                    new String[] {"newWorkspace", "IllegalStateException", "was closed"},
                    new String[] {"update", "IllegalStateException", "was closed"})),
            Map.entry("close-twice", List.<String[]>of(new String[] {"close", "ok", ""})),
            Map.entry("closed-workspace", List.<String[]>of(new String[] {"forward", "IllegalStateException", "workspace was closed"})),
            Map.entry("foreign-workspace", List.<String[]>of(
                    new String[] {"forward", "IllegalArgumentException", "belongs to another prepared stack"})),
            Map.entry("shared-workspace", List.<String[]>of(
                    new String[] {"two threads", "IllegalStateException", "in use by a call in another thread"})),
            Map.entry("wrong-shapes", List.<String[]>of(
                    new String[] {"input", "IllegalArgumentException", "srcLayer"},
                    new String[] {"initial state", "IllegalArgumentException", "srcIter"},
                    new String[] {"output", "IllegalArgumentException", "dstLayer"},
                    new String[] {"weights", "IllegalArgumentException", "weight"},
                    new String[] {"backward before forward", "IllegalStateException", "TRAINING"})),
            Map.entry("zero-sizes", List.<String[]>of(
                    new String[] {"T", "IllegalArgumentException", "must be >= 1, got [0, 3, 4]"},
                    new String[] {"N", "IllegalArgumentException", "must be >= 1, got [5, 0, 4]"},
                    new String[] {"I", "IllegalArgumentException", "inputSize must be >= 1"},
                    new String[] {"H", "IllegalArgumentException", "hiddenSize must be >= 1"})),
            Map.entry("unit-sizes", List.<String[]>of(new String[] {"T=N=I=H=1", "ok", ""})),
            Map.entry("huge-sizes", List.<String[]>of(
                    new String[] {"T*N*channels", "IllegalArgumentException", "at most"},
                    new String[] {"H", "IllegalArgumentException", "weight matrix"},
                    new String[] {"tensor", "IllegalArgumentException", "elements"})),
            Map.entry("non-finite", List.<String[]>of(
                    new String[] {"NaN input", "IllegalArgumentException", "srcLayer"},
                    new String[] {"infinite state", "IllegalArgumentException", "srcIter"},
                    new String[] {"NaN weight", "IllegalArgumentException", "weights must be finite"})));

    static Stream<String> cases() {
        return EXPECTED.keySet().stream().sorted();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void misuseIsAnExceptionThatNamesIt(String kase, @TempDir Path dir) throws Exception {
        String out = fork(kase, dir);
        List<String> outcomes = out.lines().filter(l -> l.startsWith("OUTCOME ")).toList();
        List<String[]> expected = EXPECTED.get(kase);
        assertEquals(expected.size(), outcomes.size(), out);
        for (int i = 0; i < expected.size(); i++) {
            String[] want = expected.get(i);
            String line = outcomes.get(i);
            String prefix = "OUTCOME " + want[0] + " " + want[1];
            assertTrue(line.startsWith(prefix) && line.contains(want[2]), "expected " + prefix + " ... " + want[2]
                    + ", got: " + line + "\n" + out);
        }
    }

    private String fork(String kase, Path dir) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log"),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), MisuseMatrix.class.getName(), backendName(), kase));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] bytes = p.getInputStream().readAllBytes();
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        String out = new String(bytes, StandardCharsets.UTF_8);
        if (!ended) {
            p.destroyForcibly();
        }
        assertTrue(ended, "the child JVM hung on " + kase + ":\n" + out);
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> reports = files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList();
            assertTrue(reports.isEmpty(), "the JVM crashed on " + kase + ": " + reports + "\n" + out);
        }
        assertEquals(0, p.exitValue(), "the child JVM failed on " + kase + ":\n" + out);
        return out;
    }

    // ------------------------------------------------------------------ the child

    private static final RnnDescriptor D = new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 5, 3, 4, 6);

    /** {@code MisuseMatrix BACKEND CASE}: runs one case and prints its outcomes. */
    public static void main(String[] args) throws Exception {
        Backend backend = Backends.named(args[0]);
        switch (args[1]) {
            case "closed-stack" -> {
                PreparedRnn rnn = backend.prepare(D, RnnWeights.uniform(D, 1));
                Workspace ws = rnn.newWorkspace();
                rnn.close();
                attempt("forward", () -> rnn.forward(Mode.INFERENCE, io(D), ws));
                attempt("newWorkspace", rnn::newWorkspace);
                attempt("update", () -> rnn.update(RnnWeights.uniform(D, 2)));
            }
            case "close-twice" -> attempt("close", () -> {
                PreparedRnn rnn = backend.prepare(D, RnnWeights.uniform(D, 1));
                Workspace ws = rnn.newWorkspace();
                rnn.forward(Mode.TRAINING, io(D), ws);
                ws.close();
                ws.close();
                rnn.close();
                rnn.close();
            });
            case "closed-workspace" -> {
                try (PreparedRnn rnn = backend.prepare(D, RnnWeights.uniform(D, 1))) {
                    Workspace ws = rnn.newWorkspace();
                    ws.close();
                    attempt("forward", () -> rnn.forward(Mode.INFERENCE, io(D), ws));
                }
            }
            case "foreign-workspace" -> {
                try (PreparedRnn rnn = backend.prepare(D, RnnWeights.uniform(D, 1));
                     PreparedRnn other = backend.prepare(D, RnnWeights.uniform(D, 2));
                     Workspace foreign = other.newWorkspace()) {
                    attempt("forward", () -> rnn.forward(Mode.INFERENCE, io(D), foreign));
                }
            }
            case "shared-workspace" -> sharedWorkspace(backend);
            case "wrong-shapes" -> {
                try (PreparedRnn rnn = backend.prepare(D, RnnWeights.uniform(D, 1)); Workspace ws = rnn.newWorkspace()) {
                    attempt("input", () -> rnn.forward(Mode.INFERENCE,
                            RnnForward.of(FloatTensor.zeros(5, 3, 5), FloatTensor.zeros(D.dstLayerShape())), ws));
                    attempt("initial state", () -> rnn.forward(Mode.INFERENCE,
                            io(D).withInitialState(FloatTensor.zeros(4, 3, 7), FloatTensor.zeros(D.iterShape())), ws));
                    attempt("output", () -> rnn.forward(Mode.INFERENCE,
                            RnnForward.of(FloatTensor.zeros(D.srcLayerShape()), FloatTensor.zeros(5, 3, 6)), ws));
                    RnnDescriptor other = new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 5, 3, 4, 7);
                    attempt("weights", () -> backend.prepare(D, RnnWeights.uniform(other, 1)).close());
                    attempt("backward before forward", () -> rnn.backward(
                            RnnBackward.of(FloatTensor.zeros(D.dstLayerShape()), null, null), ws));
                }
            }
            case "zero-sizes" -> {
                try (PreparedRnn rnn = backend.prepare(D, RnnWeights.uniform(D, 1)); Workspace ws = rnn.newWorkspace()) {
                    attempt("T", () -> rnn.forward(Mode.INFERENCE,
                            RnnForward.of(FloatTensor.zeros(0, 3, 4), FloatTensor.zeros(0, 3, 12)), ws));
                    attempt("N", () -> rnn.forward(Mode.INFERENCE,
                            RnnForward.of(FloatTensor.zeros(5, 0, 4), FloatTensor.zeros(5, 0, 12)), ws));
                }
                attempt("I", () -> backend.prepare(new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 5, 3, 0, 6),
                        null));
                attempt("H", () -> backend.prepare(new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 5, 3, 4, 0),
                        null));
            }
            case "unit-sizes" -> attempt("T=N=I=H=1", () -> unitSizes(backend));
            case "huge-sizes" -> {
                RnnDescriptor wide = new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 1, 1, 1, 1024);
                try (PreparedRnn rnn = backend.prepare(wide, RnnWeights.uniform(wide, 1)); Workspace ws = rnn.newWorkspace()) {
                    // 2^20 steps of 4096 gate values: past the int-indexed buffers; checked before the output is looked at
                    attempt("T*N*channels", () -> rnn.forward(Mode.INFERENCE,
                            RnnForward.of(FloatTensor.zeros(1 << 20, 1, 1), FloatTensor.zeros(1, 1, 1)), ws));
                }
                attempt("H", () -> new RnnArchitecture(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 8, 50_000));
                attempt("tensor", () -> FloatTensor.zeros(70_000, 70_000, 1));
            }
            case "non-finite" -> {
                try (PreparedRnn rnn = backend.prepare(D, RnnWeights.uniform(D, 1)); Workspace ws = rnn.newWorkspace()) {
                    RnnForward nan = io(D);
                    nan.srcLayer().setFlat(7, Float.NaN);
                    attempt("NaN input", () -> rnn.forward(Mode.INFERENCE, nan, ws));
                    FloatTensor h0 = FloatTensor.zeros(D.iterShape());
                    h0.setFlat(3, Float.POSITIVE_INFINITY);
                    attempt("infinite state", () -> rnn.forward(Mode.INFERENCE,
                            io(D).withInitialState(h0, null), ws));
                }
                RnnWeights bad = RnnWeights.uniform(D, 1);
                bad.named().values().iterator().next().setFlat(2, Float.NaN);
                attempt("NaN weight", () -> backend.prepare(D, bad).close());
            }
            default -> throw new IllegalArgumentException("no case " + args[1]);
        }
        System.out.flush();
        System.exit(0); // (a backend's non-daemon threads must not keep the child alive)
    }

    private interface Attempt {
        void run() throws Exception;
    }

    private static void attempt(String label, Attempt a) {
        try {
            a.run();
            System.out.println("OUTCOME " + label + " ok");
        } catch (Exception e) {
            System.out.println("OUTCOME " + label + " " + e.getClass().getSimpleName() + ": "
                    + String.valueOf(e.getMessage()).replace('\n', ' '));
        }
    }

    private static RnnForward io(RnnDescriptor d) {
        SplittableRandom random = new SplittableRandom(5);
        return RnnForward.of(Tensors.uniform(d.srcLayerShape(), random), FloatTensor.zeros(d.dstLayerShape()));
    }

    /**
     * Two threads call one workspace until one is refused (a few calls: each takes about a
     * millisecond); any other exception, or no refusal within 30 s, is the outcome instead.
     */
    private static void sharedWorkspace(Backend backend) throws Exception {
        RnnDescriptor big = new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 200, 8, 64, 128);
        try (PreparedRnn rnn = backend.prepare(big, RnnWeights.uniform(big, 1)); Workspace ws = rnn.newWorkspace()) {
            AtomicReference<Exception> refused = new AtomicReference<>();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            Runnable caller = () -> {
                RnnForward io = io(big);
                while (refused.get() == null && System.nanoTime() < end) {
                    try {
                        rnn.forward(Mode.TRAINING, io, ws);
                    } catch (Exception e) {
                        refused.compareAndSet(null, e);
                    }
                }
            };
            Thread a = new Thread(caller), b = new Thread(caller);
            a.start();
            b.start();
            a.join();
            b.join();
            attempt("two threads", () -> {
                Exception e = refused.get();
                if (e != null) {
                    throw e;
                }
            });
        }
    }

    /** The smallest problem, forward and backward, against the reference backend. */
    private static void unitSizes(Backend backend) {
        RnnDescriptor one = new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 1, 1, 1, 1);
        RnnWeights w = RnnWeights.uniform(one, 3);
        FloatTensor x = FloatTensor.zeros(1, 1, 1);
        x.setFlat(0, 0.7f);
        float got, want;
        try (PreparedRnn rnn = backend.prepare(one, w)) {
            got = rnn.forward(x, null, null).output().getFlat(0);
        }
        try (PreparedRnn ref = Backends.reference().prepare(one, w)) {
            want = ref.forward(x, null, null).output().getFlat(0);
        }
        if (!(Math.abs(got - want) <= 1e-6f)) {
            throw new AssertionError("T=N=I=H=1: " + got + ", the reference " + want);
        }
    }
}
