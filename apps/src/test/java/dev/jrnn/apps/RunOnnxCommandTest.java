package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.io.Npy;
import dev.jrnn.onnx.OnnxModel;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jrnn run --weights model.onnx}: whole exported models (jrnn-onnx's PyTorch fixtures)
 * against PyTorch's outputs on every backend, each element within {@code 1e-5 * max(1, |pytorch|)};
 * and the user's mistakes, one line each.
 */
class RunOnnxCommandTest {

    private static final String[] BACKENDS = {"reference", "simd", "onednn"};
    /** The two whole models, a stack with initial states, packed sequences, and a handmade layout=1 reverse GRU. */
    private static final String[] CASES = {"tagger", "forecaster", "lstm_l2_bi_tf_h0", "packed_lstm_l2_bi_tf",
            "onnx_gru_reverse_layout1"};

    @TempDir
    Path temp;

    /** The fixtures' folder: a copy of the files this test reads (they come in jrnn-onnx's test jar). */
    Path fixtures() throws IOException {
        Path dir = temp.resolve("fixtures");
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            List<String> files = new ArrayList<>();
            for (String c : CASES) {
                files.addAll(List.of(c + ".onnx", c + ".x.npy", c + ".h0.npy", c + ".c0.npy", c + ".lengths.npy",
                        c + ".tokens.npy", c + ".series.npy", c + ".y.npy", c + ".hn.npy", c + ".cn.npy", c + ".tags.npy",
                        c + ".sentence.npy", c + ".next.npy", c + ".states.npy"));
            }
            for (String f : files) {
                try (InputStream in = OnnxModel.class.getResourceAsStream("fixtures/" + f)) {
                    if (in != null) {
                        Files.copy(in, dir.resolve(f));
                    }
                }
            }
        }
        return dir;
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String c : CASES) {
            for (String b : BACKENDS) {
                out.add(Arguments.of(c, b));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void runsAWholeExportedModelAsPyTorchDoes(String name, String backend) throws IOException {
        Path model = fixtures().resolve(name + ".onnx");
        List<String> args = new ArrayList<>(List.of("run", "--backend", backend, "--weights", model.toString()));
        List<String> inputs, outputs;
        try (OnnxModel m = OnnxModel.load(model)) {
            inputs = m.inputs().stream().map(OnnxModel.Input::name).toList();
            outputs = m.outputs();
        }
        for (int k = 0; k < inputs.size(); k++) { // the first by position, as a one-input model's would be
            Path file = fixtures().resolve(name + "." + inputs.get(k) + ".npy");
            args.addAll(List.of("--input", k == 0 ? file.toString() : inputs.get(k) + "=" + file));
        }
        for (String o : outputs) {
            args.addAll(List.of("--output", o + "=" + temp.resolve(o + ".npy")));
        }
        RunCommandTest.Run run = RunCommandTest.jrnn(args.toArray(String[]::new));
        assertEquals(0, run.status(), run.err());
        for (String o : outputs) {
            FloatTensor expected = Npy.read(fixtures().resolve(name + "." + o + ".npy"));
            FloatTensor actual = Npy.read(temp.resolve(o + ".npy"));
            assertArrayEquals(expected.shape().dims(), actual.shape().dims(), o);
            float[] e = expected.toArray(), a = actual.toArray();
            for (int i = 0; i < e.length; i++) {
                if (!(Math.abs(a[i] - e[i]) <= 1e-5 * Math.max(1, Math.abs(e[i])))) {
                    fail(name + " " + o + " on " + backend + ": element " + i + " is " + a[i] + ", PyTorch's " + e[i]);
                }
            }
        }
    }

    @Test
    void aPlainOutputIsTheFirstAndTheCellComesFromTheGraph() throws IOException {
        Path y = temp.resolve("y.npy");
        RunCommandTest.Run run = RunCommandTest.jrnn("run", "--backend", "reference", "--weights",
                fixtures().resolve("forecaster.onnx").toString(), "--input", fixtures().resolve("forecaster.series.npy").toString(),
                "--output", y.toString());
        assertEquals(0, run.status(), run.err());
        assertArrayEquals(Npy.read(fixtures().resolve("forecaster.next.npy")).shape().dims(), Npy.read(y).shape().dims());
    }

    @Test
    void mistakesAreOneLine() throws IOException {
        String model = fixtures().resolve("lstm_l2_bi_tf_h0.onnx").toString();
        String x = fixtures().resolve("lstm_l2_bi_tf_h0.x.npy").toString(), y = temp.resolve("y.npy").toString();
        expectMistake(RunCommandTest.jrnn("run", "--weights", model, "--cell", "lstm", "--input", x, "--output", y),
                "--cell is for state_dicts");
        expectMistake(RunCommandTest.jrnn("run", "--weights", model, "--input", x, "--output", y),
                "the model's input 'h0' has no file: add --input h0=FILE.npy");
        expectMistake(RunCommandTest.jrnn("run", "--weights", model, "--input", x, "--input", "hidden=" + x, "--output", y),
                "the model has no input 'hidden'; its inputs are [x, h0, c0]");
        // token ids given as floats
        String tagger = fixtures().resolve("tagger.onnx").toString();
        expectMistake(RunCommandTest.jrnn("run", "--weights", tagger, "--input", x, "--output", y),
                "not an int64 or int32 .npy array");

        byte[] bytes = Files.readAllBytes(fixtures().resolve("tagger.onnx"));
        Path cut = temp.resolve("cut.onnx");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 3));
        expectMistake(RunCommandTest.jrnn("run", "--weights", cut.toString(), "--input", x, "--output", y), cut.toString());
    }

    private static void expectMistake(RunCommandTest.Run run, String message) {
        assertEquals(Jrnn.USAGE, run.status(), run.err());
        assertTrue(run.err().contains(message), run.err());
        assertEquals(1, run.err().strip().lines().count(), "one line: " + run.err());
    }
}
