package dev.jrnn.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.SequenceTagger;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.train.Optimizer;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ONNX out: every exported jrnn model is loaded back by jrnn's {@link OnnxModel} and run by ONNX
 * Runtime Java (the bench's peer), and both must give what the jrnn model itself gives. The jrnn
 * models run on the reference backend (double-precision arithmetic), so the expected values are
 * the most exact jrnn has.
 *
 * <p>Tolerance: every element within {@code 1e-5 * max(1, |expected|)}, as in
 * {@link OnnxFixturesTest}: relative 1e-5, and absolute 1e-5 below 1 in magnitude (where float32
 * rounding of sums that cancel leaves no relative bound).
 */
class OnnxExportTest {

    static final double TOLERANCE = OnnxFixturesTest.TOLERANCE;
    static final int T = 6, N = 3, INPUT = 5, HIDDEN = 8;
    /** Unequal, and one of them T: padding in the middle of the batch and at its end. */
    static final int[] LENGTHS = {T, 2, 5};

    static OrtEnvironment ort;

    @TempDir
    Path dir;

    @BeforeAll
    static void onnxRuntime() { // a process-wide singleton, which ONNX Runtime closes at exit
        ort = OrtEnvironment.getEnvironment();
    }

    static Stream<Arguments> stacks() {
        List<Arguments> out = new ArrayList<>();
        for (CellKind cell : CellKind.values()) {
            for (int layers = 1; layers <= 2; layers++) {
                for (Direction direction : Direction.values()) {
                    for (boolean batchFirst : new boolean[] {false, true}) {
                        for (boolean lengthsAndStates : new boolean[] {false, true}) {
                            out.add(Arguments.of(cell, layers, direction, batchFirst, lengthsAndStates));
                        }
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}, {1} layers, {2}, batch-first {3}, lengths and initial states {4}")
    @MethodSource("stacks")
    void recurrentStack(CellKind cell, int layers, Direction direction, boolean batchFirst, boolean lengthsAndStates)
            throws Exception {
        long seed = 17L * cell.ordinal() + 5L * layers + direction.ordinal() + (batchFirst ? 100 : 0);
        try (Recurrent rnn = new Recurrent(cell, INPUT, HIDDEN, layers, direction, seed).batchFirst(batchFirst)
                .backend("reference")) {
            SplittableRandom random = new SplittableRandom(seed);
            FloatTensor x = batchFirst ? uniform(random, N, T, INPUT) : uniform(random, T, N, INPUT);
            int rows = layers * direction.count();
            int[] lengths = lengthsAndStates ? LENGTHS : null;
            FloatTensor h0 = lengthsAndStates ? uniform(random, rows, N, HIDDEN) : null;
            FloatTensor c0 = lengthsAndStates && cell == CellKind.LSTM ? uniform(random, rows, N, HIDDEN) : null;
            Recurrent.Output o = rnn.infer(x, lengths, h0, c0);

            Map<String, Object> inputs = new LinkedHashMap<>();
            inputs.put("x", x.copy());
            Map<String, FloatTensor> expected = new LinkedHashMap<>();
            expected.put("y", o.y().copy());
            expected.put("hn", o.hn());
            if (o.cn() != null) {
                expected.put("cn", o.cn());
            }
            Path file = dir.resolve("stack.onnx");
            if (lengthsAndStates) {
                inputs.put("lengths", ints(lengths, N));
                inputs.put("h0", h0);
                if (c0 != null) {
                    inputs.put("c0", c0);
                }
                OnnxExport.write(rnn, file, OnnxExport.Input.LENGTHS, OnnxExport.Input.INITIAL_STATES);
            } else {
                OnnxExport.write(rnn, file);
            }
            if (lengthsAndStates) { // jrnn's outputs past each end are zero: the comparison covers the padding too
                int width = direction.count() * HIDDEN, last = T - 1; // sequence 1 is 2 steps long
                int at = (batchFirst ? 1 * T + last : last * N + 1) * width;
                assertEquals(0f, o.y().toArray()[at], "y of sequence 1 at step " + last);
            }
            matchesInJrnnAndOnnxRuntime(file, inputs, expected);
        }
    }

    /** A token tagger trained a few steps (embedding, bidirectional LSTM, per-step head) with per-sequence lengths. */
    @Test
    void tokenTaggerWithLengths() throws Exception {
        try (SequenceTagger tagger = new SequenceTagger(13, 6, CellKind.LSTM, HIDDEN, 2, Direction.BIDIRECTIONAL, 4, 3)
                .backend("reference")) {
            SplittableRandom random = new SplittableRandom(3);
            int[][] tokens = tokens(random, 13);
            int[][] labels = new int[T][N];
            for (int[] row : labels) {
                for (int n = 0; n < N; n++) {
                    row[n] = random.nextInt(4);
                }
            }
            Optimizer adam = Optimizer.adam(tagger, 0.05);
            for (int step = 0; step < 3; step++) { // trained weights, not the initial ones
                tagger.trainStep(tokens, LENGTHS, labels, adam, 1.0);
            }
            FloatTensor logits = tagger.logits(tagger.embedding().infer(tokens), LENGTHS);
            Path file = dir.resolve("tagger.onnx");
            OnnxExport.write(tagger, file, OnnxExport.Input.LENGTHS);
            matchesInJrnnAndOnnxRuntime(file, Map.of("tokens", ids(tokens), "lengths", ints(LENGTHS, N)),
                    Map.of("logits", logits));
        }
    }

    @Test
    void featureTagger() throws Exception {
        try (SequenceTagger tagger = new SequenceTagger(CellKind.GRU, INPUT, HIDDEN, 1, Direction.UNIDIRECTIONAL, 3, 4)
                .backend("reference")) {
            FloatTensor x = uniform(new SplittableRandom(4), T, N, INPUT);
            Path file = dir.resolve("tagger.onnx");
            OnnxExport.write(tagger, file);
            matchesInJrnnAndOnnxRuntime(file, Map.of("x", x), Map.of("logits", tagger.logits(x, null)));
        }
    }

    /** Classifiers read the top layer's final states: forward after each sequence's last valid step, reverse after its first. */
    static Stream<Arguments> classifiers() {
        return Stream.of(Arguments.of(CellKind.GRU, 2, Direction.BIDIRECTIONAL, true),
                Arguments.of(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, true),
                Arguments.of(CellKind.RNN_RELU, 1, Direction.BIDIRECTIONAL, false),
                Arguments.of(CellKind.RNN_TANH, 2, Direction.BIDIRECTIONAL, true));
    }

    @ParameterizedTest(name = "token classifier: {0}, {1} layers, {2}, lengths {3}")
    @MethodSource("classifiers")
    void tokenClassifier(CellKind cell, int layers, Direction direction, boolean withLengths) throws Exception {
        try (SequenceClassifier classifier = new SequenceClassifier(11, 4, cell, HIDDEN, layers, direction, 3, 9)
                .backend("reference")) {
            int[][] tokens = tokens(new SplittableRandom(9), 11);
            int[] lengths = withLengths ? LENGTHS : null;
            Path file = dir.resolve("classifier.onnx");
            Map<String, Object> inputs = new LinkedHashMap<>();
            inputs.put("tokens", ids(tokens));
            if (withLengths) {
                inputs.put("lengths", ints(lengths, N));
                OnnxExport.write(classifier, file, OnnxExport.Input.LENGTHS);
            } else {
                OnnxExport.write(classifier, file);
            }
            matchesInJrnnAndOnnxRuntime(file, inputs, Map.of("logits", classifier.logits(tokens, lengths)));
        }
    }

    @Test
    void featureClassifierWithLengths() throws Exception {
        try (SequenceClassifier classifier = new SequenceClassifier(CellKind.LSTM, INPUT, HIDDEN, 1,
                Direction.BIDIRECTIONAL, 2, 6).backend("reference")) {
            FloatTensor x = uniform(new SplittableRandom(6), T, N, INPUT);
            Path file = dir.resolve("classifier.onnx");
            OnnxExport.write(classifier, file, OnnxExport.Input.LENGTHS);
            matchesInJrnnAndOnnxRuntime(file, Map.of("x", x, "lengths", ints(LENGTHS, N)),
                    Map.of("logits", classifier.logits(x, LENGTHS)));
        }
    }

    /**
     * Max pooling over ragged sequences, checked in ONNX Runtime (jrnn's reader does not run the
     * masking operators). Inputs are shifted so the outputs are mostly negative: the zeros the
     * recurrent node writes past each end would win if the mask let them through.
     */
    @ParameterizedTest(name = "max-pooled classifier: {0}, {1} layers, {2}, lengths {3}")
    @MethodSource("classifiers")
    void maxPooledClassifier(CellKind cell, int layers, Direction direction, boolean withLengths) throws Exception {
        try (SequenceClassifier classifier = new SequenceClassifier(11, 4, cell, HIDDEN, layers,
                direction, 3, 10).pooling(SequenceClassifier.Pooling.MAX).backend("reference")) {
            int[][] tokens = tokens(new SplittableRandom(10), 11);
            int[] lengths = withLengths ? LENGTHS : null;
            Path file = dir.resolve("classifier.onnx");
            Map<String, Object> inputs = new LinkedHashMap<>();
            inputs.put("tokens", ids(tokens));
            if (withLengths) {
                inputs.put("lengths", ints(lengths, N));
                OnnxExport.write(classifier, file, OnnxExport.Input.LENGTHS);
            } else {
                OnnxExport.write(classifier, file);
            }
            FloatTensor expected = classifier.logits(tokens, lengths);
            if (withLengths) { // the mask matters: jrnn's answer differs from a maximum taken over all T steps
                FloatTensor overAll = classifier.logits(tokens, null);
                assertFalse(java.util.Arrays.equals(expected.toArray(), overAll.toArray()));
            }
            matchesInOnnxRuntime(file, inputs, Map.of("logits", expected));
        }
    }

    /** A feature classifier whose short sequence has outputs negative at every valid step: the padding's zeros must not win. */
    @Test
    void maxPooledFeatureClassifierWithNegativeOutputs() throws Exception {
        try (SequenceClassifier classifier = new SequenceClassifier(CellKind.RNN_TANH, INPUT, HIDDEN, 1,
                Direction.BIDIRECTIONAL, 2, 6).pooling(SequenceClassifier.Pooling.MAX).backend("reference")) {
            FloatTensor x = uniform(new SplittableRandom(6), T, N, INPUT);
            float[] y = classifier.recurrent().infer(x, LENGTHS, null, null).y().toArray();
            int width = 2 * HIDDEN, shortOne = 1; // LENGTHS[1] == 2
            boolean allNegative = false;
            for (int j = 0; j < width; j++) {
                allNegative |= y[shortOne * width + j] < 0 && y[(N + shortOne) * width + j] < 0;
            }
            assertTrue(allNegative, "a feature of sequence 1 below zero at both its steps");
            Path file = dir.resolve("classifier.onnx");
            OnnxExport.write(classifier, file, OnnxExport.Input.LENGTHS);
            matchesInOnnxRuntime(file, Map.of("x", x, "lengths", ints(LENGTHS, N)),
                    Map.of("logits", classifier.logits(x, LENGTHS)));
        }
    }

    @Test
    void regressor() throws Exception {
        try (SequenceRegressor regressor = new SequenceRegressor(CellKind.LSTM, INPUT, HIDDEN, 2, 3, 8).backend("reference")) {
            FloatTensor x = uniform(new SplittableRandom(8), T, N, INPUT);
            Path file = dir.resolve("regressor.onnx");
            OnnxExport.write(regressor, file);
            matchesInJrnnAndOnnxRuntime(file, Map.of("x", x), Map.of("predictions", regressor.predict(x)));
        }
    }

    /** A language model with its state in and out: generation continues from where the last chunk ended. */
    @ParameterizedTest(name = "language model: {0}")
    @MethodSource("languageModelCells")
    void languageModelWithStates(CellKind cell) throws Exception {
        try (LanguageModel lm = new LanguageModel(cell, 10, 4, HIDDEN, 2, 0.3, 12).backend("reference")) {
            SplittableRandom random = new SplittableRandom(12);
            int[][] tokens = tokens(random, 10);
            FloatTensor h0 = uniform(random, 2, N, HIDDEN), c0 = cell == CellKind.LSTM ? uniform(random, 2, N, HIDDEN) : null;
            LanguageModel.Output out = lm.forward(tokens, new LanguageModel.State(h0, c0));
            Map<String, Object> inputs = new LinkedHashMap<>(Map.of("tokens", ids(tokens), "h0", h0));
            Map<String, FloatTensor> expected = new LinkedHashMap<>(Map.of("logits", out.logits(), "hn", out.state().h()));
            if (c0 != null) {
                inputs.put("c0", c0);
                expected.put("cn", out.state().c());
            }
            Path file = dir.resolve("lm.onnx");
            OnnxExport.write(lm, file, OnnxExport.Input.INITIAL_STATES);
            matchesInJrnnAndOnnxRuntime(file, inputs, expected);
        }
    }

    static Stream<CellKind> languageModelCells() {
        return Stream.of(CellKind.LSTM, CellKind.GRU);
    }

    @Test
    void aPartTheExporterCannotWriteIsRefusedByNameAndNothingIsWritten() throws IOException {
        Path file = dir.resolve("model.onnx");
        Files.writeString(file, "the old file");
        try (SequenceTagger tagger = new SequenceTagger(CellKind.GRU, INPUT, HIDDEN, 1, Direction.UNIDIRECTIONAL, 2, 1);
             SequenceRegressor regressor = new SequenceRegressor(CellKind.GRU, INPUT, HIDDEN, 1, 1, 1);
             LanguageModel lm = new LanguageModel(CellKind.GRU, 5, 3, HIDDEN, 1, 0, 1)) {
            assertRefused(tagger, file, "INITIAL_STATES", OnnxExport.Input.INITIAL_STATES);
            assertRefused(regressor, file, "LENGTHS", OnnxExport.Input.LENGTHS);
            assertRefused(lm, file, "LENGTHS", OnnxExport.Input.LENGTHS);
            assertRefused(new Linear(3, 2, 1), file, "dev.jrnn.models.nn.Linear");
        }
        assertEquals("the old file", Files.readString(file), "a refused export leaves the file as it was");
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "and no temporary file behind");
        }
    }

    private static void assertRefused(Module model, Path file, String named, OnnxExport.Input... inputs) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> OnnxExport.write(model, file, inputs));
        assertTrue(e.getMessage().contains(named), e.getMessage());
    }

    /** The graph is what the docs say: opset 14, one recurrent node per layer, layout 0, dynamic N and T. */
    @Test
    void theGraphIsOpset14WithDynamicAxes() throws IOException {
        try (Recurrent rnn = new Recurrent(CellKind.GRU, INPUT, HIDDEN, 3, Direction.BIDIRECTIONAL, 2)) {
            var proto = dev.jrnn.onnx.proto.Onnx.ModelProto.parseFrom(OnnxExport.toBytes(rnn));
            assertEquals(OnnxExport.OPSET, proto.getOpsetImport(0).getVersion());
            assertEquals(3, proto.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("GRU")).count());
            assertFalse(proto.getGraph().getNodeList().stream().flatMap(n -> n.getAttributeList().stream())
                    .anyMatch(a -> a.getName().equals("layout")), "layout 0, the default, which ONNX Runtime's kernels take");
            var x = proto.getGraph().getInput(0).getType().getTensorType().getShape();
            assertEquals(List.of("T", "N"), List.of(x.getDim(0).getDimParam(), x.getDim(1).getDimParam()));
        }
    }

    /**
     * Runs {@code file} in jrnn ({@link OnnxModel}, reference backend) and in ONNX Runtime on
     * {@code inputs}; both must give {@code expected}, output by output, shapes included.
     */
    private static void matchesInJrnnAndOnnxRuntime(Path file, Map<String, Object> inputs, Map<String, FloatTensor> expected)
            throws IOException, OrtException {
        try (OnnxModel model = OnnxModel.load(file).backend("reference")) {
            assertEquals(List.copyOf(expected.keySet()).stream().sorted().toList(), model.outputs().stream().sorted().toList());
            Map<String, FloatTensor> out = model.run(inputs);
            for (var e : expected.entrySet()) {
                assertClose(e.getValue(), out.get(e.getKey()), "jrnn's OnnxModel, " + e.getKey());
            }
        }
        matchesInOnnxRuntime(file, inputs, expected);
    }

    /** Runs {@code file} in ONNX Runtime on {@code inputs}; it must give {@code expected}, output by output, shapes included. */
    static void matchesInOnnxRuntime(Path file, Map<String, Object> inputs, Map<String, FloatTensor> expected)
            throws OrtException {
        try (OrtSession session = ort.createSession(file.toString(), new OrtSession.SessionOptions())) {
            Map<String, OnnxTensor> feed = new LinkedHashMap<>();
            try {
                for (var e : inputs.entrySet()) {
                    TensorInfo info = (TensorInfo) session.getInputInfo().get(e.getKey()).getInfo();
                    feed.put(e.getKey(), tensor(e.getValue(), info.type));
                }
                try (OrtSession.Result result = session.run(feed)) {
                    for (var e : expected.entrySet()) {
                        OnnxTensor t = (OnnxTensor) result.get(e.getKey()).orElseThrow();
                        long[] shape = t.getInfo().getShape();
                        int[] dims = new int[shape.length];
                        for (int k = 0; k < dims.length; k++) {
                            dims[k] = Math.toIntExact(shape[k]);
                        }
                        FloatBuffer b = t.getFloatBuffer();
                        float[] values = new float[b.remaining()];
                        b.get(values);
                        assertClose(e.getValue(), FloatTensor.of(values, dims), "ONNX Runtime, " + e.getKey());
                    }
                }
            } finally {
                for (OnnxTensor t : feed.values()) {
                    t.close();
                }
            }
        }
    }

    private static OnnxTensor tensor(Object value, OnnxJavaType type) throws OrtException {
        if (value instanceof FloatTensor f) {
            long[] shape = java.util.Arrays.stream(f.shape().dims()).asLongStream().toArray();
            return OnnxTensor.createTensor(ort, FloatBuffer.wrap(f.toArray()), shape);
        }
        IntTensor i = (IntTensor) value;
        long[] shape = java.util.Arrays.stream(i.shape()).asLongStream().toArray();
        if (type == OnnxJavaType.INT32) {
            return OnnxTensor.createTensor(ort, IntBuffer.wrap(java.util.Arrays.stream(i.values()).mapToInt(Math::toIntExact).toArray()), shape);
        }
        return OnnxTensor.createTensor(ort, LongBuffer.wrap(i.values()), shape);
    }

    static void assertClose(FloatTensor expected, FloatTensor actual, String what) {
        assertArrayEquals(expected.shape().dims(), actual.shape().dims(), what + ": shape");
        float[] e = expected.toArray(), a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            double bound = TOLERANCE * Math.max(1, Math.abs(e[i]));
            if (!(Math.abs(a[i] - e[i]) <= bound)) {
                fail(what + ": element " + i + " is " + a[i] + ", the jrnn model's " + e[i] + " (bound " + bound + ")");
            }
        }
    }

    private static FloatTensor uniform(SplittableRandom random, int... dims) {
        int n = 1;
        for (int d : dims) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextDouble(-1, 1);
        }
        return FloatTensor.of(v, dims);
    }

    private static int[][] tokens(SplittableRandom random, int vocabulary) {
        int[][] t = new int[T][N];
        for (int[] row : t) {
            for (int n = 0; n < N; n++) {
                row[n] = random.nextInt(vocabulary);
            }
        }
        return t;
    }

    /** {@code [T][N]} ids as the graph's {@code tokens [T, N]}. */
    private static IntTensor ids(int[][] tokens) {
        long[] v = new long[T * N];
        for (int t = 0; t < T; t++) {
            for (int n = 0; n < N; n++) {
                v[t * N + n] = tokens[t][n];
            }
        }
        return IntTensor.of(v, T, N);
    }

    private static IntTensor ints(int[] values, int n) {
        return IntTensor.of(java.util.Arrays.stream(values).asLongStream().toArray(), n);
    }
}
