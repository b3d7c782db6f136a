package dev.jrnn.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.Seq2Seq;
import dev.jrnn.models.train.Optimizer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
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
 * A {@link Seq2Seq} exported as an encoder graph and a decoder-step graph, run by ONNX Runtime
 * Java: step by step from the encoder's outputs the decoder reproduces the model's teacher-forced
 * logits, and a greedy loop over the two graphs writes exactly {@link Seq2Seq#translate}'s tokens,
 * for ragged source lengths in one batch. The models run on the reference backend and are trained
 * a few steps first (their weights are not the initial ones).
 */
class Seq2SeqExportTest {

    /** Per element: within {@code 1e-4 * max(1, |expected|)}; ten steps of float32 recurrence and softmax. */
    static final double TOLERANCE = 1e-4;
    static final int S = 5, N = 3, T = 4, FEATURES = 3, SOURCE_VOCABULARY = 8, V = 9, E = 4, H = 6, BOS = 1, EOS = 2;
    /** Unequal, one of them S: masked attention in the middle of the batch and none at its end. */
    static final int[] LENGTHS = {S, 2, 4};

    static OrtEnvironment ort;

    @TempDir
    Path dir;

    @BeforeAll
    static void onnxRuntime() {
        ort = OrtEnvironment.getEnvironment();
    }

    static Stream<Arguments> models() {
        return Stream.of(Arguments.of(CellKind.LSTM, 2, false), Arguments.of(CellKind.GRU, 1, false),
                Arguments.of(CellKind.LSTM, 1, true), Arguments.of(CellKind.GRU, 2, true));
    }

    /** A source batch: token ids {@code [S][N]} or features {@code [S, N, FEATURES]}. */
    private record Source(int[][] tokens, FloatTensor features) {
        static Source random(SplittableRandom random, boolean features) {
            if (features) {
                float[] v = new float[S * N * FEATURES];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) random.nextDouble(-1, 1);
                }
                return new Source(null, FloatTensor.of(v, S, N, FEATURES));
            }
            return new Source(ids(random, S, SOURCE_VOCABULARY), null);
        }

        /** Column {@code n}'s first {@code length} steps, as {@link Seq2Seq#translate} reads one source. */
        int[] translate(Seq2Seq model, int n, int length, int maxLength) {
            if (features != null) {
                return model.translate(features.slice(1, n, n + 1).slice(0, 0, length).copy(), maxLength, 1, false);
            }
            int[] column = new int[length];
            for (int s = 0; s < length; s++) {
                column[s] = tokens[s][n];
            }
            return model.translate(column, maxLength);
        }

        OnnxTensor tensor() throws OrtException {
            if (features != null) {
                return OnnxTensor.createTensor(ort, FloatBuffer.wrap(features.toArray()), new long[] {S, N, FEATURES});
            }
            return OnnxTensor.createTensor(ort, LongBuffer.wrap(flat(tokens)), new long[] {S, N});
        }
    }

    private static Seq2Seq trained(CellKind cell, int layers, boolean features, Source source, long seed) {
        Seq2Seq model = features ? Seq2Seq.overFeatures(cell, FEATURES, V, E, H, layers, BOS, EOS, seed)
                : new Seq2Seq(cell, SOURCE_VOCABULARY, V, E, H, layers, BOS, EOS, seed);
        model.backend("reference");
        int[][] target = ids(new SplittableRandom(seed), T, V);
        for (int n = 0; n < N; n++) {
            target[T - 1][n] = EOS;
        }
        Optimizer adam = Optimizer.adam(model, 0.05);
        for (int step = 0; step < 5; step++) {
            if (features) {
                model.trainStep(source.features(), LENGTHS, target, null, adam, 1.0);
            } else {
                model.trainStep(source.tokens(), LENGTHS, target, null, adam, 1.0);
            }
        }
        return model;
    }

    @ParameterizedTest(name = "{0}, {1} layers, feature source {2}")
    @MethodSource("models")
    void theDecoderStepRunFromTheEncoderReproducesTheTeacherForcedLogits(CellKind cell, int layers, boolean features)
            throws Exception {
        SplittableRandom random = new SplittableRandom(31L * layers + cell.ordinal());
        Source source = Source.random(random, features);
        try (Seq2Seq model = trained(cell, layers, features, source, 7)) {
            int[][] target = ids(random, T, V);
            float[] expected = (features ? model.logits(source.features(), LENGTHS, target, null)
                    : model.logits(source.tokens(), LENGTHS, target, null)).toArray(); // [T, N, V]
            try (Graphs graphs = export(model)) {
                Map<String, float[]> state = graphs.encode(source);
                for (int t = 0; t < T; t++) {
                    long[] previous = new long[N];
                    for (int n = 0; n < N; n++) {
                        previous[n] = t == 0 ? BOS : target[t - 1][n];
                    }
                    state = graphs.step(previous, state);
                    float[] logits = state.get("logits"), attention = state.get("attention");
                    assertClose(Arrays.copyOfRange(expected, t * N * V, (t + 1) * N * V), logits, "logits of step " + t);
                    for (int n = 0; n < N; n++) {
                        double sum = 0;
                        for (int s = 0; s < S; s++) {
                            float w = attention[n * S + s];
                            if (s >= LENGTHS[n]) {
                                assertEquals(0f, w, "attention of sequence " + n + " to source step " + s + " past its length");
                            }
                            sum += w;
                        }
                        assertEquals(1, sum, 1e-5, "attention of sequence " + n + " at step " + t);
                    }
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}, {1} layers, feature source {2}")
    @MethodSource("models")
    void aGreedyLoopOverTheGraphsIsTranslate(CellKind cell, int layers, boolean features) throws Exception {
        SplittableRandom random = new SplittableRandom(17L * layers + cell.ordinal() + (features ? 5 : 0));
        Source source = Source.random(random, features);
        try (Seq2Seq model = trained(cell, layers, features, source, 11)) {
            int maxLength = 8;
            if (cell == CellKind.LSTM) {
                model.neverEmit(0); // the exported logits say -inf for it, as translate skips it
            }
            int[][] expected = new int[N][];
            int written = 0;
            for (int n = 0; n < N; n++) {
                expected[n] = source.translate(model, n, LENGTHS[n], maxLength);
                written += expected[n].length;
            }
            assertTrue(written > N, "the model writes more than a token a sequence: " + Arrays.deepToString(expected));
            try (Graphs graphs = export(model)) {
                int[][] greedy = graphs.greedy(source, maxLength);
                for (int n = 0; n < N; n++) {
                    assertArrayEquals(expected[n], greedy[n], "sequence " + n + " (source length " + LENGTHS[n] + ")");
                }
            }
        }
    }

    @Test
    void theDecoderNamesBosAndEosAndASingleGraphIsRefused() throws Exception {
        try (Seq2Seq model = new Seq2Seq(CellKind.GRU, 5, V, E, H, 1, BOS, EOS, 3)) {
            var decoder = OnnxExport.seq2SeqDecoder(model);
            Map<String, String> metadata = new HashMap<>();
            decoder.getMetadataPropsList().forEach(p -> metadata.put(p.getKey(), p.getValue()));
            assertEquals(Map.of("bos", Integer.toString(BOS), "eos", Integer.toString(EOS)), metadata);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> OnnxExport.write(model, dir.resolve("one.onnx")));
            assertTrue(e.getMessage().contains("writeSeq2Seq"), e.getMessage());
        }
    }

    private Graphs export(Seq2Seq model) throws Exception {
        Path encoder = dir.resolve("encoder.onnx"), decoder = dir.resolve("decoder.onnx");
        OnnxExport.writeSeq2Seq(model, encoder, decoder);
        return new Graphs(ort.createSession(encoder.toString(), new OrtSession.SessionOptions()),
                ort.createSession(decoder.toString(), new OrtSession.SessionOptions()));
    }

    /** The two sessions, and the loop a runtime writes around them. */
    private record Graphs(OrtSession encoder, OrtSession decoder) implements AutoCloseable {

        /** The encoder's outputs, under the names the decoder step reads: memory, h0, c0 (and the lengths it needs). */
        Map<String, float[]> encode(Source source) throws OrtException {
            Map<String, OnnxTensor> feed = new LinkedHashMap<>();
            feed.put(source.features() != null ? "x" : "tokens", source.tensor());
            feed.put("lengths", OnnxTensor.createTensor(ort, IntBuffer.wrap(LENGTHS), new long[] {N}));
            Map<String, float[]> out = run(encoder, feed);
            Map<String, float[]> state = new HashMap<>();
            state.put("memory", out.get("memory"));
            state.put("hn", out.get("hn"));
            if (out.containsKey("cn")) {
                state.put("cn", out.get("cn"));
            }
            return state;
        }

        /** One decoder step from {@code state} (memory, hn, cn of the step before): logits, attention, memory, hn, cn. */
        Map<String, float[]> step(long[] tokens, Map<String, float[]> state) throws OrtException {
            int rows = state.get("hn").length / (N * H);
            Map<String, OnnxTensor> feed = new LinkedHashMap<>();
            feed.put("tokens", OnnxTensor.createTensor(ort, LongBuffer.wrap(tokens), new long[] {N}));
            feed.put("h0", OnnxTensor.createTensor(ort, FloatBuffer.wrap(state.get("hn")), new long[] {rows, N, H}));
            if (state.containsKey("cn")) {
                feed.put("c0", OnnxTensor.createTensor(ort, FloatBuffer.wrap(state.get("cn")), new long[] {rows, N, H}));
            }
            feed.put("memory", OnnxTensor.createTensor(ort, FloatBuffer.wrap(state.get("memory")), new long[] {S, N, H}));
            feed.put("lengths", OnnxTensor.createTensor(ort, IntBuffer.wrap(LENGTHS), new long[] {N}));
            Map<String, float[]> out = run(decoder, feed);
            out.put("memory", state.get("memory"));
            return out;
        }

        /** Greedy decoding of the whole batch: each sequence's argmax tokens until its EOS, at most {@code maxLength}. */
        int[][] greedy(Source source, int maxLength) throws OrtException {
            Map<String, float[]> state = encode(source);
            long[] previous = new long[N];
            Arrays.fill(previous, BOS);
            int[][] written = new int[N][0];
            boolean[] done = new boolean[N];
            for (int step = 0; step < maxLength; step++) {
                state = step(previous, state);
                float[] logits = state.get("logits");
                for (int n = 0; n < N; n++) {
                    int best = 0;
                    for (int v = 1; v < V; v++) {
                        if (logits[n * V + v] > logits[n * V + best]) {
                            best = v;
                        }
                    }
                    if (!done[n]) {
                        if (best == EOS) {
                            done[n] = true;
                        } else {
                            written[n] = Arrays.copyOf(written[n], written[n].length + 1);
                            written[n][written[n].length - 1] = best;
                        }
                    }
                    previous[n] = best;
                }
            }
            return written;
        }

        private static Map<String, float[]> run(OrtSession session, Map<String, OnnxTensor> feed) throws OrtException {
            try (OrtSession.Result result = session.run(feed)) {
                Map<String, float[]> out = new HashMap<>();
                for (var e : result) {
                    FloatBuffer b = ((OnnxTensor) e.getValue()).getFloatBuffer();
                    float[] values = new float[b.remaining()];
                    b.get(values);
                    out.put(e.getKey(), values);
                }
                return out;
            } finally {
                feed.values().forEach(OnnxTensor::close);
            }
        }

        @Override
        public void close() throws OrtException {
            encoder.close();
            decoder.close();
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": size");
        for (int i = 0; i < expected.length; i++) {
            double bound = TOLERANCE * Math.max(1, Math.abs(expected[i]));
            if (!(Math.abs(actual[i] - expected[i]) <= bound)) {
                fail(what + ": element " + i + " is " + actual[i] + ", the jrnn model's " + expected[i] + " (bound " + bound + ")");
            }
        }
    }

    private static int[][] ids(SplittableRandom random, int steps, int vocabulary) {
        int[][] t = new int[steps][N];
        for (int[] row : t) {
            for (int n = 0; n < N; n++) {
                row[n] = random.nextInt(vocabulary);
            }
        }
        return t;
    }

    private static long[] flat(int[][] tokens) {
        long[] v = new long[tokens.length * N];
        for (int s = 0; s < tokens.length; s++) {
            for (int n = 0; n < N; n++) {
                v[s * N + n] = tokens[s][n];
            }
        }
        return v;
    }
}
