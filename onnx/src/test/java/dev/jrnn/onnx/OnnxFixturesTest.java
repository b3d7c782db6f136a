package dev.jrnn.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Availability;
import dev.jrnn.core.spi.BackendProvider;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.io.Npy;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every model of {@code fixtures/} (written by {@code src/test/python/make_fixtures.py}: PyTorch
 * 1.13's {@code torch.onnx.export} at opset 14, and a few graphs built with onnx.helper from
 * PyTorch's weights) run by jrnn on every backend, against PyTorch's outputs; and the {@code ops_}
 * graphs of the other operators (negative axes and steps, broadcasting, Gemm's transposes, Softmax
 * before and after opset 13) against numpy's. The graphs were
 * traced at T = 5, N = 2 and run here at T = 7, N = 3: their dynamic axes are honoured.
 *
 * <p>Tolerance: every element within {@code 1e-5 * max(1, |pytorch|)}: relative 1e-5, and absolute
 * 1e-5 for values below 1 in magnitude (where a relative bound would demand more than float32
 * rounding gives).
 */
class OnnxFixturesTest {

    static final double TOLERANCE = 1e-5;
    static final List<String> BACKENDS = List.of("reference", "simd", "onednn");

    static Path fixtures() {
        try {
            return Path.of(OnnxFixturesTest.class.getResource("fixtures/cases.txt").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> cases() throws IOException {
        return Files.readAllLines(fixtures().resolve("cases.txt")).stream()
                .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
    }

    static Stream<Arguments> casesOnBackends() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (String c : cases()) {
            for (String b : BACKENDS) {
                out.add(Arguments.of(c, b));
            }
        }
        return out.stream();
    }

    static Availability availability(String backend) {
        return Backends.discover().stream().filter(p -> p.name().equals(backend)).map(BackendProvider::probe)
                .findFirst().orElse(Availability.unavailable("no provider named " + backend + " on the class path"));
    }

    /** The inputs of fixture {@code name} as the model takes them: floats, or integers for integer inputs. */
    static Map<String, Object> inputs(OnnxModel model, String name) throws IOException {
        Map<String, Object> in = new LinkedHashMap<>();
        for (OnnxModel.Input i : model.inputs()) {
            Path file = fixtures().resolve(name + "." + i.name() + ".npy");
            if (i.integer()) {
                Npy.Integers ints = Npy.readIntegers(file);
                in.put(i.name(), IntTensor.of(ints.values(), ints.shape()));
            } else {
                in.put(i.name(), Npy.read(file));
            }
        }
        return in;
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("casesOnBackends")
    void matchesPyTorch(String name, String backend) throws IOException {
        Availability available = availability(backend);
        assumeTrue(available.available(), () -> backend + " is unavailable here: " + available.reason());
        try (OnnxModel model = OnnxModel.load(fixtures().resolve(name + ".onnx")).backend(backend)) {
            Map<String, FloatTensor> out = model.run(inputs(model, name));
            assertEquals(model.outputs(), List.copyOf(out.keySet()));
            for (String output : model.outputs()) {
                FloatTensor expected = Npy.read(fixtures().resolve(name + "." + output + ".npy"));
                assertClose(expected, out.get(output), name + " " + output + " on " + backend);
            }
            if (!name.startsWith("ops_")) { // the ops_ graphs have no recurrent node
                assertEquals(backend, model.backendName(), "the recurrent nodes ran on the backend asked for");
            }
        }
    }

    static void assertClose(FloatTensor expected, FloatTensor actual, String what) {
        assertArrayEquals(expected.shape().dims(), actual.shape().dims(), what + ": shape");
        float[] e = expected.toArray(), a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            double bound = TOLERANCE * Math.max(1, Math.abs(e[i]));
            if (!(Math.abs(a[i] - e[i]) <= bound)) {
                fail(what + ": element " + i + " is " + a[i] + ", PyTorch's " + e[i] + " (bound " + bound + ")");
            }
        }
    }

    /**
     * Any batch and length, down to one sequence of one step: the forecaster's per-step states of
     * a prefix of one sequence are the first rows of the whole batch's (a forward GRU sees no
     * later step).
     */
    @Test
    void runsAtAnyBatchAndLength() throws IOException {
        try (OnnxModel model = OnnxModel.load(fixtures().resolve("forecaster.onnx")).backend("reference")) {
            FloatTensor series = Npy.read(fixtures().resolve("forecaster.series.npy")); // [N, T, 2]
            FloatTensor all = model.run(series).get("states");                           // [N, T, 6]
            int n = series.dim(0), t = series.dim(1);
            for (int row = 0; row < n; row++) {
                for (int steps : new int[] {1, 3, t}) {
                    FloatTensor one = series.slice(0, row, row + 1).slice(1, 0, steps).copy();
                    FloatTensor states = model.run(one).get("states");
                    assertArrayEquals(new int[] {1, steps, 6}, states.shape().dims());
                    assertClose(all.slice(0, row, row + 1).slice(1, 0, steps).copy(), states,
                            "sequence " + row + ", " + steps + " steps");
                }
            }
        }
    }

    /** One model, four threads at once: each gets exactly what one thread alone gets. */
    @Test
    void runsFromManyThreadsAtOnce() throws Exception {
        try (OnnxModel model = OnnxModel.load(fixtures().resolve("tagger.onnx")).backend("simd")) {
            Map<String, Object> in = inputs(model, "tagger");
            float[] alone = model.run(in).get("tags").toArray();
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(4)) {
                List<java.util.concurrent.Future<float[]>> results = new ArrayList<>();
                for (int k = 0; k < 32; k++) {
                    results.add(pool.submit(() -> model.run(in).get("tags").toArray()));
                }
                for (var r : results) {
                    assertArrayEquals(alone, r.get());
                }
            }
        }
    }

    @Test
    void theJavaBackendsAreAvailable() {
        // onednn may be missing on a machine (its cases then skip with the reason); these two never are
        assertTrue(availability("reference").available());
        assertTrue(availability("simd").available(), availability("simd").reason());
    }

    @Test
    void everyCaseHasItsModelInputsAndOutputs() throws IOException {
        List<String> cases = cases();
        assertTrue(cases.size() >= 60, "cases: " + cases.size());
        for (String name : cases) {
            try (OnnxModel model = OnnxModel.load(fixtures().resolve(name + ".onnx"))) {
                for (OnnxModel.Input i : model.inputs()) {
                    assertTrue(Files.exists(fixtures().resolve(name + "." + i.name() + ".npy")), name + " " + i.name());
                }
                for (String o : model.outputs()) {
                    assertTrue(Files.exists(fixtures().resolve(name + "." + o + ".npy")), name + " " + o);
                }
            }
        }
    }
}
