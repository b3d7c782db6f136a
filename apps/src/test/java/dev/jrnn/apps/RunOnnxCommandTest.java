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
 * {@code jrnn run --weights model.onnx}: every fixture of jrnn-onnx (PyTorch's exports, the
 * handmade graphs, numpy's operator checks) against its expected outputs on every backend, each element within {@code 1e-5 * max(1, |pytorch|)};
 * and the user's mistakes, one line each.
 */
class RunOnnxCommandTest {

    private static final String[] BACKENDS = {"reference", "simd", "onednn"};
    @TempDir
    Path temp;

    /** A fixture file, copied out of jrnn-onnx's test jar into the temporary folder. */
    Path fixture(String file) throws IOException {
        Path copy = temp.resolve("fixtures").resolve(file);
        if (!Files.exists(copy)) {
            Files.createDirectories(copy.getParent());
            try (InputStream in = OnnxModel.class.getResourceAsStream("fixtures/" + file)) {
                if (in == null) {
                    throw new IOException("no fixture " + file);
                }
                Files.copy(in, copy);
            }
        }
        return copy;
    }

    /** Every fixture of jrnn-onnx on every backend. */
    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        try (InputStream in = OnnxModel.class.getResourceAsStream("fixtures/cases.txt")) {
            for (String c : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).split("\n")) {
                if (!c.isBlank() && !c.startsWith("#")) {
                    for (String b : BACKENDS) {
                        out.add(Arguments.of(c.strip(), b));
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void runsAWholeExportedModelAsPyTorchDoes(String name, String backend) throws IOException {
        Path model = fixture(name + ".onnx");
        List<String> args = new ArrayList<>(List.of("run", "--backend", backend, "--weights", model.toString()));
        List<String> inputs, outputs;
        try (OnnxModel m = OnnxModel.load(model)) {
            inputs = m.inputs().stream().map(OnnxModel.Input::name).toList();
            outputs = m.outputs();
        }
        for (int k = 0; k < inputs.size(); k++) { // the first by position, as a one-input model's would be
            Path file = fixture(name + "." + inputs.get(k) + ".npy");
            args.addAll(List.of("--input", k == 0 ? file.toString() : inputs.get(k) + "=" + file));
        }
        for (String o : outputs) {
            args.addAll(List.of("--output", o + "=" + temp.resolve(o + ".npy")));
        }
        RunCommandTest.Run run = RunCommandTest.jrnn(args.toArray(String[]::new));
        assertEquals(0, run.status(), run.err());
        for (String o : outputs) {
            FloatTensor expected = Npy.read(fixture(name + "." + o + ".npy"));
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
                fixture("forecaster.onnx").toString(), "--input", fixture("forecaster.series.npy").toString(),
                "--output", y.toString());
        assertEquals(0, run.status(), run.err());
        assertArrayEquals(Npy.read(fixture("forecaster.next.npy")).shape().dims(), Npy.read(y).shape().dims());
    }

    @Test
    void mistakesAreOneLine() throws IOException {
        String model = fixture("lstm_l2_bi_tf_h0.onnx").toString();
        String x = fixture("lstm_l2_bi_tf_h0.x.npy").toString(), y = temp.resolve("y.npy").toString();
        expectMistake(RunCommandTest.jrnn("run", "--weights", model, "--cell", "lstm", "--input", x, "--output", y),
                "--cell is for state_dicts");
        expectMistake(RunCommandTest.jrnn("run", "--weights", model, "--input", x, "--output", y),
                "the model's input 'h0' has no file: add --input h0=FILE.npy");
        expectMistake(RunCommandTest.jrnn("run", "--weights", model, "--input", x, "--input", "hidden=" + x, "--output", y),
                "the model has no input 'hidden'; its inputs are [x, h0, c0]");
        // token ids given as floats
        String tagger = fixture("tagger.onnx").toString();
        expectMistake(RunCommandTest.jrnn("run", "--weights", tagger, "--input", x, "--output", y),
                "not an int64 or int32 .npy array");

        byte[] bytes = Files.readAllBytes(fixture("tagger.onnx"));
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
