package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.jrnn.apps.RunCommandTest.Run;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.Seq2Seq;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.SequenceTagger;
import dev.jrnn.models.io.Npy;
import dev.jrnn.models.train.Checkpoint;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole model's checkpoint ({@link Checkpoint#saveModel}) through {@code jrnn run} gives what
 * the model in memory gives, and through {@code jrnn export} an ONNX file that ONNX Runtime runs
 * to the same outputs: for every topology the exporter writes, on tokens and on features.
 */
class ModelCheckpointCommandTest {

    @TempDir
    Path dir;

    @Test
    void aLanguageModelRunsAndExportsAsInMemory() throws Exception {
        try (LanguageModel lm = new LanguageModel(CellKind.LSTM, 9, 5, 7, 2, 0.0, 1).backend("reference")) {
            int[][] tokens = tokens(6, 3, 9);
            check(lm, tokens, lm.forward(tokens, null).logits(), "logits");
        }
    }

    @Test
    void aClassifierOfTokensRunsAndExportsAsInMemory() throws Exception {
        try (SequenceClassifier c = new SequenceClassifier(11, 4, CellKind.GRU, 6, 1, Direction.BIDIRECTIONAL, 3, 2).backend("reference")) {
            int[][] tokens = tokens(5, 4, 11);
            check(c, tokens, c.logits(tokens, null), "logits");
        }
    }

    @Test
    void aTaggerOfFeaturesRunsAndExportsAsInMemory() throws Exception {
        try (SequenceTagger t = new SequenceTagger(CellKind.RNN_TANH, 3, 5, 2, Direction.UNIDIRECTIONAL, 4, 3).backend("reference")) {
            FloatTensor x = features(4, 2, 3);
            check(t, x, t.logits(x, null), "logits");
        }
    }

    @Test
    void aRegressorRunsAndExportsAsInMemory() throws Exception {
        try (SequenceRegressor r = new SequenceRegressor(CellKind.GRU, 2, 6, 1, 2, 4).backend("reference")) {
            FloatTensor x = features(7, 3, 2);
            check(r, x, r.predict(x), "predictions");
        }
    }

    /** A Seq2Seq's translations of each source column: int32 [N, L], padded with -1; its export, two graphs, translates the same in ONNX Runtime. */
    @Test
    void aSeq2SeqCheckpointTranslatesEachColumnAndIsExportedAsTwoGraphs() throws Exception {
        Path checkpoint = dir.resolve("s2s.safetensors"), y = dir.resolve("y.npy");
        long[] ids = {3, 4, 0, 5, 1, 2, 5, 3, 4}; // [S=3, N=3]
        // one backend for both: a translation's argmax may sit near a tie, which rounding could flip
        try (Seq2Seq s = new Seq2Seq(CellKind.LSTM, 6, 7, 4, 5, 1, 1, 2, 1).backend("reference")) {
            raggedTranslations(s, n -> s.translate(new int[] {(int) ids[n], (int) ids[3 + n], (int) ids[6 + n]}, 6, 1), 3);
            Checkpoint.saveModel(checkpoint, s, null, Map.of());
            Path in = writeInt64(dir.resolve("t.npy"), ids, 3, 3);
            int[][] greedy = new int[3][];
            for (int beam : new int[] {1, 3}) {
                Run run = RunCommandTest.jrnn("run", "--weights", checkpoint.toString(), "--input", in.toString(),
                        "--output", y.toString(), "--beam", Integer.toString(beam), "--max-length", "6", "--backend", "reference");
                assertEquals(0, run.status(), run.err());
                int[][] expected = new int[3][];
                for (int n = 0; n < 3; n++) {
                    expected[n] = s.translate(new int[] {(int) ids[n], (int) ids[3 + n], (int) ids[6 + n]}, 6, beam);
                }
                assertTranslations(expected, Npy.readIntegers(y));
                if (beam == 1) {
                    greedy = expected;
                }
            }
            // a prefix: s2s.onnx -> s2s.encoder.onnx and s2s.decoder.onnx, run greedily by ONNX Runtime
            Run run = RunCommandTest.jrnn("export", "--weights", checkpoint.toString(), "--output", dir.resolve("s2s.onnx").toString());
            assertEquals(0, run.status(), run.err());
            Path encoder = dir.resolve("s2s.encoder.onnx"), decoder = dir.resolve("s2s.decoder.onnx");
            assertEquals("encoder: " + encoder + "\ndecoder step: " + decoder, run.out().strip().replace("\r", ""));
            Run refused = RunCommandTest.jrnn("export", "--weights", checkpoint.toString(), "--lengths", "--output",
                    dir.resolve("other.onnx").toString());
            assertEquals(Jrnn.USAGE, refused.status(), refused.err());
            assertEquals(1, refused.err().strip().lines().count(), refused.err());
            assertTrue(refused.err().contains("--lengths"), refused.err());
            assertTrue(Files.notExists(dir.resolve("other.encoder.onnx")));
            assertTranslations(greedy, greedyInOnnxRuntime(encoder, decoder, "tokens",
                    OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), LongBuffer.wrap(ids), new long[] {3, 3}), 3, 6, 1, 2));
        }
        // over features [S, N, I]
        try (Seq2Seq s = Seq2Seq.overFeatures(CellKind.GRU, 3, 7, 4, 5, 1, 1, 2, 1).backend("reference")) {
            FloatTensor x = features(4, 2, 3);
            raggedTranslations(s, n -> s.translate(x.slice(1, n, n + 1).copy(), 100, 1, false), 2);
            Checkpoint.saveModel(checkpoint, s, null, Map.of());
            Path in = dir.resolve("x.npy");
            Npy.write(in, x);
            Run run = RunCommandTest.jrnn("run", "--weights", checkpoint.toString(), "--input", in.toString(), "--output", y.toString(),
                    "--backend", "reference");
            assertEquals(0, run.status(), run.err());
            int[][] expected = new int[2][];
            for (int n = 0; n < 2; n++) {
                expected[n] = s.translate(x.slice(1, n, n + 1).copy(), 100, 1, false);
            }
            assertTranslations(expected, Npy.readIntegers(y));
            // a folder: DIR/encoder.onnx and DIR/decoder.onnx
            Path graphs = Files.createDirectory(dir.resolve("graphs"));
            run = RunCommandTest.jrnn("export", "--weights", checkpoint.toString(), "--output", graphs.toString());
            assertEquals(0, run.status(), run.err());
            assertTranslations(expected, greedyInOnnxRuntime(graphs.resolve("encoder.onnx"), graphs.resolve("decoder.onnx"), "x",
                    OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), FloatBuffer.wrap(x.toArray()), new long[] {4, 2, 3}),
                    2, 100, 1, 2));
        }
    }

    /**
     * Makes the untrained model's translations of the {@code sources} differ in length, so that the
     * test sees tokens and padding: larger weights (an untrained model's outputs hardly depend on
     * its source), then the end token's output bias lowered step by step.
     */
    private static void raggedTranslations(Seq2Seq s, java.util.function.IntFunction<int[]> translate, int sources) {
        for (dev.jrnn.models.nn.Parameter p : s.namedParameters().values()) {
            float[] v = p.values();
            for (int i = 0; i < v.length; i++) {
                v[i] *= 4;
            }
            p.changed();
        }
        dev.jrnn.models.nn.Parameter bias = s.namedParameters().get("decoder.out.bias");
        float start = bias.values()[2] + 6; // EOS is token 2
        for (float lower = 0; lower <= 12; lower += 0.25f) {
            bias.values()[2] = start - lower;
            bias.changed();
            java.util.Set<Integer> lengths = new java.util.HashSet<>();
            for (int n = 0; n < sources; n++) {
                lengths.add(translate.apply(n).length);
            }
            if (lengths.size() > 1) {
                return;
            }
        }
        throw new AssertionError("no end-token bias gave translations of different lengths");
    }

    /**
     * Greedy decoding over an exported Seq2Seq's two graphs, as a runtime writes it: the encoder once,
     * then the decoder step fed its own argmax until each sequence's EOS. Returns the tokens {@code [N, L]},
     * padded with -1 as {@code jrnn run} writes them.
     */
    private static Npy.Integers greedyInOnnxRuntime(Path encoderFile, Path decoderFile, String sourceName, OnnxTensor source,
                                                    int batch, int maxLength, long bos, int eos) throws OrtException {
        OrtEnvironment ort = OrtEnvironment.getEnvironment();
        List<List<Integer>> written = new ArrayList<>();
        for (int n = 0; n < batch; n++) {
            written.add(new ArrayList<>());
        }
        try (OrtSession encoder = ort.createSession(encoderFile.toString(), new OrtSession.SessionOptions());
             OrtSession decoder = ort.createSession(decoderFile.toString(), new OrtSession.SessionOptions());
             source;
             OnnxTensor lengths = OnnxTensor.createTensor(ort, IntBuffer.wrap(java.util.Collections.nCopies(batch,
                     Math.toIntExact(source.getInfo().getShape()[0])).stream().mapToInt(Integer::intValue).toArray()), new long[] {batch});
             OrtSession.Result encoded = encoder.run(Map.of(sourceName, source, "lengths", lengths))) {
            OnnxTensor memory = (OnnxTensor) encoded.get("memory").orElseThrow();
            Map<String, OnnxTensor> states = new HashMap<>();
            states.put("h0", (OnnxTensor) encoded.get("hn").orElseThrow());
            encoded.get("cn").ifPresent(c -> states.put("c0", (OnnxTensor) c));
            long[] previous = new long[batch];
            java.util.Arrays.fill(previous, bos);
            boolean[] done = new boolean[batch];
            List<OrtSession.Result> steps = new ArrayList<>(); // each step's states are the next one's inputs
            try {
                for (int step = 0; step < maxLength; step++) {
                    try (OnnxTensor tokens = OnnxTensor.createTensor(ort, LongBuffer.wrap(previous), new long[] {batch})) {
                        Map<String, OnnxTensor> feed = new HashMap<>(states);
                        feed.put("tokens", tokens);
                        feed.put("memory", memory);
                        feed.put("lengths", lengths);
                        OrtSession.Result r = decoder.run(feed);
                        steps.add(r);
                        float[][] logits = (float[][]) r.get("logits").orElseThrow().getValue();
                        for (int n = 0; n < batch; n++) {
                            int best = 0;
                            for (int v = 1; v < logits[n].length; v++) {
                                best = logits[n][v] > logits[n][best] ? v : best;
                            }
                            done[n] |= best == eos;
                            if (!done[n]) {
                                written.get(n).add(best);
                            }
                            previous[n] = best;
                        }
                        states.put("h0", (OnnxTensor) r.get("hn").orElseThrow());
                        r.get("cn").ifPresent(c -> states.put("c0", (OnnxTensor) c));
                    }
                }
            } finally {
                steps.forEach(OrtSession.Result::close);
            }
        }
        int longest = written.stream().mapToInt(List::size).max().orElse(0);
        long[] padded = new long[batch * longest];
        for (int n = 0; n < batch; n++) {
            for (int i = 0; i < longest; i++) {
                padded[n * longest + i] = i < written.get(n).size() ? written.get(n).get(i) : -1;
            }
        }
        return new Npy.Integers(padded, new int[] {batch, longest});
    }

    private static void assertTranslations(int[][] expected, Npy.Integers written) {
        int longest = Math.max(1, java.util.Arrays.stream(expected).mapToInt(t -> t.length).max().orElse(0));
        assertArrayEquals(new int[] {expected.length, longest}, written.shape());
        for (int n = 0; n < expected.length; n++) {
            for (int i = 0; i < longest; i++) {
                assertEquals(i < expected[n].length ? expected[n][i] : -1, written.values()[n * longest + i], "translation " + n + ", token " + i);
            }
        }
    }

    @Test
    void tokenIdsOutsideTheVocabularyAreOneLine() throws IOException {
        Path checkpoint = dir.resolve("lm.safetensors");
        try (LanguageModel lm = new LanguageModel(CellKind.GRU, 5, 3, 4, 1, 0.0, 1)) {
            Checkpoint.saveModel(checkpoint, lm, null, Map.of());
        }
        Path in = writeInt64(dir.resolve("t.npy"), new long[] {1, 5}, 2, 1);
        Run run = RunCommandTest.jrnn("run", "--weights", checkpoint.toString(), "--input", in.toString(), "--output", dir.resolve("y.npy").toString());
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals("jrnn run: --input " + in + ": token id 5 at [1, 0]; expected ids in [0, 5)", run.err().strip());
        Path floats = dir.resolve("x.npy");
        Npy.write(floats, features(2, 1, 3));
        run = RunCommandTest.jrnn("run", "--weights", checkpoint.toString(), "--input", floats.toString(), "--output", dir.resolve("y.npy").toString());
        assertEquals(Jrnn.USAGE, run.status());
        assertEquals(1, run.err().strip().lines().count(), run.err());
        assertTrue(run.err().contains("an int64 or int32"), run.err());
    }

    /**
     * Saves {@code model}, runs the checkpoint with {@code jrnn run} on {@code input} (token ids
     * {@code int[][]} or features) and exports it with {@code jrnn export}; both must give {@code expected}.
     */
    private void check(dev.jrnn.models.nn.Module model, Object input, FloatTensor expected, String output) throws Exception {
        Path checkpoint = dir.resolve("model.safetensors");
        Checkpoint.saveModel(checkpoint, model, null, Map.of("note", "a test"));
        runsAndExports(checkpoint, input, expected.copy(), output, dir);
    }

    /** {@code jrnn run} of {@code checkpoint} gives {@code expected}; so does ONNX Runtime on its {@code jrnn export}. */
    static void runsAndExports(Path checkpoint, Object input, FloatTensor expected, String output, Path dir) throws Exception {
        Path in = dir.resolve("in.npy"), out = dir.resolve("out.npy"), onnx = dir.resolve("model.onnx");
        if (input instanceof int[][] ids) {
            long[] flat = new long[ids.length * ids[0].length];
            for (int t = 0; t < ids.length; t++) {
                for (int n = 0; n < ids[0].length; n++) {
                    flat[t * ids[0].length + n] = ids[t][n];
                }
            }
            writeInt64(in, flat, ids.length, ids[0].length);
        } else {
            Npy.write(in, (FloatTensor) input);
        }
        Run run = RunCommandTest.jrnn("run", "--weights", checkpoint.toString(), "--input", in.toString(), "--output", out.toString(),
                "--backend", "reference");
        assertEquals(0, run.status(), run.err());
        assertClose(expected, Npy.read(out), 1e-5, "jrnn run");

        run = RunCommandTest.jrnn("export", "--weights", checkpoint.toString(), "--output", onnx.toString());
        assertEquals(0, run.status(), run.err());
        OrtEnvironment ort = OrtEnvironment.getEnvironment();
        try (OrtSession session = ort.createSession(onnx.toString(), new OrtSession.SessionOptions());
             OnnxTensor feed = tensor(ort, input);
             OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), feed))) {
            OnnxTensor t = (OnnxTensor) result.get(output).orElseThrow();
            int[] dims = java.util.Arrays.stream(t.getInfo().getShape()).mapToInt(Math::toIntExact).toArray();
            FloatBuffer b = t.getFloatBuffer();
            float[] values = new float[b.remaining()];
            b.get(values);
            assertClose(expected, FloatTensor.of(values, dims), 1e-4, "ONNX Runtime");
        }
    }

    private static OnnxTensor tensor(OrtEnvironment ort, Object input) throws OrtException {
        if (input instanceof int[][] ids) {
            long[] flat = java.util.Arrays.stream(ids).flatMapToInt(java.util.Arrays::stream).asLongStream().toArray();
            return OnnxTensor.createTensor(ort, LongBuffer.wrap(flat), new long[] {ids.length, ids[0].length});
        }
        FloatTensor x = (FloatTensor) input;
        return OnnxTensor.createTensor(ort, FloatBuffer.wrap(x.toArray()), java.util.Arrays.stream(x.shape().dims()).asLongStream().toArray());
    }

    static void assertClose(FloatTensor expected, FloatTensor actual, double tolerance, String what) {
        assertArrayEquals(expected.shape().dims(), actual.shape().dims(), what + ": shape");
        float[] e = expected.toArray(), a = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], tolerance * Math.max(1, Math.abs(e[i])), what + " at " + i);
        }
    }

    static int[][] tokens(int steps, int batch, int vocabulary) {
        Random random = new Random(steps * 31L + batch);
        int[][] ids = new int[steps][batch];
        for (int[] row : ids) {
            for (int n = 0; n < batch; n++) {
                row[n] = random.nextInt(vocabulary);
            }
        }
        return ids;
    }

    private static FloatTensor features(int steps, int batch, int size) {
        Random random = new Random(size);
        float[] v = new float[steps * batch * size];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return FloatTensor.of(v, steps, batch, size);
    }

    /** An int64 {@code .npy} as {@code numpy.save} writes it. */
    static Path writeInt64(Path file, long[] values, int... shape) throws IOException {
        StringBuilder dims = new StringBuilder();
        for (int d : shape) {
            dims.append(d).append(", ");
        }
        String header = "{'descr': '<i8', 'fortran_order': False, 'shape': (" + dims.toString().replaceAll(", $", shape.length == 1 ? "," : "") + "), }";
        int padded = (10 + header.length() + 1 + 63) / 64 * 64 - 10;
        header = header + " ".repeat(padded - header.length() - 1) + "\n";
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        bytes.write(header.length() & 0xff);
        bytes.write(header.length() >> 8);
        bytes.write(header.getBytes(StandardCharsets.ISO_8859_1));
        ByteBuffer data = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            data.putLong(v);
        }
        bytes.write(data.array());
        return Files.write(file, bytes.toByteArray());
    }
}
