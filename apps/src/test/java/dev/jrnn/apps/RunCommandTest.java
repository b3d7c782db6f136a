package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.io.Npy;
import dev.jrnn.models.io.SafeTensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jrnn run} against PyTorch ({@code make_cli_fixtures.py}): outputs, final states and, with
 * {@code --dy}, the gradients w.r.t. the input and every parameter, to 1e-5, for every fixture on
 * every backend. And user mistakes: one line, exit status 2.
 */
class RunCommandTest {

    private static final String[] BACKENDS = {"reference", "simd", "onednn"};

    @TempDir
    Path temp;

    static Path fixtures() {
        try {
            return Path.of(RunCommandTest.class.getResource("fixtures/index.txt").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> cases = new ArrayList<>();
        for (String name : Files.readAllLines(fixtures().resolve("index.txt"))) {
            for (String backend : BACKENDS) {
                for (boolean gradients : new boolean[] {true, false}) {
                    cases.add(Arguments.of(name.strip(), backend, gradients));
                }
            }
        }
        return cases.stream();
    }

    record Run(int status, String out, String err) {
    }

    /** The first group of {@code regex}'s first match in a command's output, as a number; fails the test when there is none. */
    static double number(String output, String regex) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(regex).matcher(output);
        org.junit.jupiter.api.Assertions.assertTrue(m.find(), regex + " not in\n" + output);
        return Double.parseDouble(m.group(1));
    }

    static Run jrnn(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int status = Jrnn.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    /**
     * With gradients the backend runs its training kernels, without them its inference kernels:
     * different code in oneDNN (3.6.1's inference alone was wrong on AMD Zen 5), so both are checked.
     */
    @ParameterizedTest(name = "{0} on {1}, gradients {2}")
    @MethodSource("cases")
    void reproducesPyTorch(String name, String backend, boolean gradients) throws IOException {
        Path f = fixtures().resolve(name);
        List<String> args = new ArrayList<>(List.of("run", "--backend", backend,
                "--weights", f.resolve("weights.safetensors").toString(),
                "--input", f.resolve("x.npy").toString(),
                "--output", temp.resolve("y.npy").toString(),
                "--hn", temp.resolve("hn.npy").toString()));
        if (gradients) {
            args.addAll(List.of("--dy", f.resolve("dy.npy").toString(), "--dx", temp.resolve("dx.npy").toString(),
                    "--grads", temp.resolve("grads.safetensors").toString()));
        }
        args.addAll(List.of(Files.readString(f.resolve("args.txt")).strip().split(" ")));
        boolean lstm = args.contains("lstm");
        if (Files.exists(f.resolve("h0.npy"))) {
            args.addAll(List.of("--h0", f.resolve("h0.npy").toString()));
        }
        if (Files.exists(f.resolve("c0.npy"))) {
            args.addAll(List.of("--c0", f.resolve("c0.npy").toString()));
        }
        if (lstm) {
            args.addAll(List.of("--cn", temp.resolve("cn.npy").toString()));
        }
        Run run = jrnn(args.toArray(String[]::new));
        assertEquals(0, run.status(), run.err());

        List<String> outputs = new ArrayList<>(List.of("y.npy", "hn.npy"));
        if (lstm) {
            outputs.add("cn.npy");
        }
        if (gradients) {
            outputs.add("dx.npy");
        }
        for (String file : outputs) {
            assertClose(file, Npy.read(f.resolve(file)), Npy.read(temp.resolve(file)));
        }
        if (!gradients) {
            assertTrue(!Files.exists(temp.resolve("grads.safetensors")));
            return;
        }
        int at = args.indexOf("--prefix");
        String prefix = at < 0 ? "" : args.get(at + 1);
        Map<String, FloatTensor> want = SafeTensors.read(f.resolve("grads.safetensors"));
        Map<String, FloatTensor> got = SafeTensors.read(temp.resolve("grads.safetensors"));
        assertEquals(want.size(), got.size());
        want.forEach((param, t) -> assertClose(param + " gradient", t, got.get(prefix + param)));
    }

    /**
     * {@code --precision bf16} on simd and onednn, and {@code int8} on onednn (LSTM, calibrated on
     * the input): close to PyTorch's float32 output (bf16 keeps 8 bits of each weight; int8 8 bits
     * of each weight and activation) but not equal to jrnn's float32 output, so the weights did
     * change; refused where it cannot apply, in one line.
     */
    @Test
    void reducedPrecisionsRunNearFloat32AndAreRefusedWhereTheyCannotApply() throws IOException {
        for (String[] run : new String[][] {{"simd", "bf16"}, {"onednn", "bf16"}, {"onednn", "int8"}}) {
            for (String name : List.of("lstm_l2_bi", "gru_l1_uni")) {
                if (run[1].equals("int8") && name.startsWith("gru")) {
                    continue; // oneDNN has no int8 GRU: refused below
                }
                reducedPrecisionRunsNearFloat32(name, run[0], run[1], run[1].equals("int8") ? 6e-2 : 2e-2);
            }
        }
        Path f = fixtures().resolve("gru_l1_uni");
        String w = f.resolve("weights.safetensors").toString(), x = f.resolve("x.npy").toString();
        String y = temp.resolve("y.npy").toString();
        expectMistake(jrnn("run", "--weights", w, "--cell", "gru", "--input", x, "--output", y, "--backend", "reference",
                "--precision", "bf16"), "backend 'reference' does not run bf16");
        expectMistake(jrnn("run", "--weights", w, "--cell", "gru", "--input", x, "--output", y, "--precision", "bf16",
                "--dy", f.resolve("dy.npy").toString(), "--dx", temp.resolve("dx.npy").toString()), "--dy needs float32 weights");
        expectMistake(jrnn("run", "--weights", w, "--cell", "gru", "--input", x, "--output", y, "--precision", "fp8"), "fp8");
        expectMistake(jrnn("run", "--weights", w, "--cell", "gru", "--input", x, "--output", y, "--backend", "onednn",
                "--precision", "int8"), "int8 for LSTM only");
    }

    private void reducedPrecisionRunsNearFloat32(String name, String backend, String precision, double tolerance)
            throws IOException {
        Path f = fixtures().resolve(name);
        List<String> args = new ArrayList<>(List.of("run", "--backend", backend,
                "--weights", f.resolve("weights.safetensors").toString(), "--input", f.resolve("x.npy").toString()));
        args.addAll(List.of(Files.readString(f.resolve("args.txt")).strip().split(" ")));
        for (String state : List.of("h0", "c0")) {
            if (Files.exists(f.resolve(state + ".npy"))) {
                args.addAll(List.of("--" + state, f.resolve(state + ".npy").toString()));
            }
        }
        List<String> reduced = new ArrayList<>(args), fp32 = new ArrayList<>(args);
        reduced.addAll(List.of("--output", temp.resolve("reduced.npy").toString(), "--precision", precision));
        fp32.addAll(List.of("--output", temp.resolve("fp32.npy").toString()));
        Run run = jrnn(reduced.toArray(String[]::new));
        assertEquals(0, run.status(), run.err());
        run = jrnn(fp32.toArray(String[]::new));
        assertEquals(0, run.status(), run.err());
        float[] want = Npy.read(f.resolve("y.npy")).toArray(), got = Npy.read(temp.resolve("reduced.npy")).toArray();
        float[] float32 = Npy.read(temp.resolve("fp32.npy")).toArray();
        double worst = 0;
        for (int i = 0; i < want.length; i++) {
            worst = Math.max(worst, Math.abs(want[i] - got[i]));
        }
        String what = name + " " + precision + " on " + backend;
        assertTrue(worst < tolerance, what + " differs from PyTorch by " + worst);
        assertTrue(!java.util.Arrays.equals(float32, got), what + " gave float32's output bit for bit");
    }

    /** |want - got| <= 1e-5 * max(1, |want|), element by element, shapes equal. */
    static void assertClose(String what, FloatTensor want, FloatTensor got) {
        assertTrue(got != null, what + " missing");
        assertEquals(want.shape(), got.shape(), what);
        float[] w = want.toArray(), g = got.toArray();
        for (int i = 0; i < w.length; i++) {
            double tol = 1e-5 * Math.max(1, Math.abs(w[i]));
            if (!(Math.abs(w[i] - g[i]) <= tol)) {
                throw new AssertionError(what + " differs at flat index " + i + ": PyTorch " + w[i] + ", jrnn " + g[i]);
            }
        }
    }

    @Test
    void userMistakesAreOneLineAndExitStatus2() throws IOException {
        Path f = fixtures().resolve("gru_l1_uni");
        String w = f.resolve("weights.safetensors").toString(), x = f.resolve("x.npy").toString();
        String y = temp.resolve("y.npy").toString();
        expectMistake(jrnn("run", "--weights", "/nonexistent.safetensors", "--cell", "gru", "--input", x, "--output", y),
                "jrnn run: no such file: /nonexistent.safetensors");
        expectMistake(jrnn("run", "--weights", w, "--cell", "lstm", "--input", x, "--output", y),
                "the weights are a GRU's (3 gates of 5 units), not a LSTM's");
        expectMistake(jrnn("run", "--weights", w, "--cell", "elman", "--input", x, "--output", y),
                "Invalid value for option '--cell': expected one of [RNN_TANH, RNN_RELU, LSTM, GRU] (case-insensitive) but was 'elman'");
        expectMistake(jrnn("run", "--weights", w, "--cell", "gru", "--input", f.resolve("h0.npy").toString(), "--output", y),
                "has 5 channels; the weights expect 4");
        expectMistake(jrnn("run", "--weights", w, "--cell", "gru", "--input", x, "--output", y, "--h0", x),
                "--h0 " + x + " has shape [6, 2, 4]; expected [1, 2, 5]");
        expectMistake(jrnn("run", "--weights", x, "--cell", "gru", "--input", x, "--output", y),
                "not a valid safetensors file");
        expectMistake(jrnn("run", "--weights", w, "--cell", "gru", "--input", w, "--output", y), "no .npy magic number");
        expectMistake(jrnn("run", "--weights", w, "--cell", "gru", "--input", x, "--output", y, "--backend", "cuda"),
                "unknown backend 'cuda'; known backends: reference (available), simd (available), onednn (available), auto");
        expectMistake(jrnn("run", "--weights", w, "--cell", "gru", "--input", x, "--output", y, "--dx", y),
                "--dx and --grads need --dy");
        expectMistake(jrnn("run", "--cell", "gru"), "Missing required options");
        expectMistake(jrnn("frobnicate"), "jrnn: Unmatched argument at index 0: 'frobnicate'");
        assertTrue(Files.notExists(Path.of(y)), "nothing written after a mistake");
    }

    private static void expectMistake(Run run, String message) {
        assertEquals(Jrnn.USAGE, run.status(), run.err());
        assertTrue(run.err().contains(message), run.err());
        assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
    }

    @Test
    void backendsListsEveryBackendAndTheAutoChoiceForAShape() {
        Run run = jrnn("backends", "--cell", "gru", "--input", "8", "--hidden", "16", "--steps", "4");
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().matches("(?s).*reference\\s+yes.*simd\\s+yes.*onednn\\s+yes.*"), run.out());
        assertTrue(run.out().startsWith("CPU "), run.out());
        assertTrue(run.out().matches("(?s).*onednn\\s+yes\\s+oneDNN 3\\.1[3-9].*, ISA .*"), run.out());
        for (String use : List.of("training", "inference")) {
            assertTrue(run.out().contains("auto " + use + " GRU[L=1 D=1 T=4 N=1 I=8 H=16] threads="), run.out());
        }
        assertTrue(run.out().contains("auto streaming GRU[L=1 D=1 T=1 N=1 I=8 H=16] threads="), run.out());
        assertTrue(run.out().contains("self-test simd GRU UNIDIRECTIONAL TRAINING: passed in"), run.out());
        // the register tile simd's GEMM planner chose (or was forced to) in this process
        assertTrue(run.out().matches("(?s).*implementation simd: Vector API.*register tile \\d+x\\d \\(.*"), run.out());
        assertTrue(run.out().contains("precisions simd: float32, bf16"), run.out());
        assertTrue(run.out().contains("precisions onednn: float32"), run.out());
        // oneDNN's ISA, whether it uses AMX, and what runs each precision it claims, all asked of oneDNN
        java.util.regex.Matcher onednn = java.util.regex.Pattern.compile(
                "implementation onednn: oneDNN 3\\.\\S+, ISA \\S+ \\((no )?AMX\\)(.*)").matcher(run.out());
        assertTrue(onednn.find(), run.out());
        for (String p : List.of("bf16", "int8")) {
            assertEquals(onednn.group(2).contains(", " + p + " by "), run.out().matches("(?s).*precisions onednn: [^\\n]*" + p + ".*"),
                    run.out());
        }
    }
}
