package dev.jrnn.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.SequenceTagger;
import dev.jrnn.models.data.Batches;
import dev.jrnn.models.train.Checkpoint;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Spark scoring equals the model's own inference on the same rows on one machine. Bitwise where
 * both sides run batches of several sequences (each row of a matrix-matrix product is summed in
 * the same order whatever else shares its batch, on the reference and the simd backend), and where
 * both run one sequence at a time (the SQL function); within {@link #ULPS} where one side scores a
 * sequence alone: a batch of one takes the matrix-vector kernels, whose sums run in another order
 * (a few units in the last place, as measured: 1 ulp on the regressor, 5e-10 relative on a log-probability).
 * On simd "bitwise" means within {@link #ULPS} too: a simd result can move by an ulp between a JVM's
 * first seconds and later (the Vector API's activation functions before and after C2 compiles
 * them; RELIABILITY.md, "Concurrency"), and the tasks run at another moment than the model's own
 * call (seen once in CI: 0.06264625 against 0.06264624). The reference backend is held to the bit.
 */
class SparkScoringTest {

    private static SparkSession spark;
    /** Relative tolerance where one side runs a batch of one: a few float ulps (2^-23 = 1.2e-7 each). */
    private static final double ULPS = 1e-6;

    @BeforeAll
    static void start() {
        spark = LocalSpark.session();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    private static final StructType TOKENS = new StructType().add("id", DataTypes.LongType, false)
            .add("sequence", DataTypes.createArrayType(DataTypes.IntegerType), true);
    private static final StructType FRAMES = new StructType().add("id", DataTypes.LongType, false)
            .add("sequence", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType)), true);

    private static Dataset<Row> tokenRows(List<int[]> seqs, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < seqs.size(); i++) {
            rows.add(RowFactory.create((long) i, seqs.get(i) == null ? null : LocalSpark.asList(seqs.get(i))));
        }
        return spark.createDataFrame(rows, TOKENS).repartition(partitions);
    }

    private static Dataset<Row> frameRows(List<float[][]> seqs, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < seqs.size(); i++) {
            rows.add(RowFactory.create((long) i, seqs.get(i) == null ? null : LocalSpark.asList(seqs.get(i))));
        }
        return spark.createDataFrame(rows, FRAMES).repartition(partitions);
    }

    /** The scores struct of each row, by id. */
    /** Bitwise on the reference backend; within {@link #ULPS} on simd (see the class's comment). */
    private static void assertSame(String backend, float[] expected, float[] actual, String message) {
        if (backend.equals("reference")) {
            assertArrayEquals(expected, actual, message);
            return;
        }
        assertEquals(expected.length, actual.length, message);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], ULPS * Math.max(1, Math.abs(expected[i])), message + " [" + i + "]");
        }
    }

    private static Row[] byId(Dataset<Row> scored, int n) {
        Row[] out = new Row[n];
        for (Row r : scored.select("id", "jrnn").collectAsList()) {
            out[(int) r.getLong(0)] = r.isNullAt(1) ? null : r.getStruct(1);
        }
        return out;
    }

    private static float[] floats(Row struct, String field) {
        List<Float> v = struct.getList(struct.fieldIndex(field));
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i);
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference", "simd"})
    void classifierOfRaggedTokensEqualsTheModelOnOneMachine(String backend) throws Exception {
        try (SequenceClassifier model = new SequenceClassifier(23, 8, CellKind.GRU, 12, 2, Direction.BIDIRECTIONAL, 5, 3)) {
            model.backend(backend);
            List<int[]> seqs = LocalSpark.tokens(150, 17, 23, 11);
            SequenceScorer scorer = SequenceScorer.of(spark, Checkpoint.toBytes(model, Map.of()))
                    .batchSize(8).backend(backend);
            int loadsBefore = ExecutorModels.loads();
            Row[] got = byId(scorer.transform(tokenRows(seqs, 4)), seqs.size());
            Batches.Tokens all = Batches.tokens(seqs, 0);
            float[] expected = model.logits(all.ids(), all.lengths()).toArray();
            int[] predicted = model.predict(all.ids(), all.lengths());
            for (int i = 0; i < seqs.size(); i++) {
                assertSame(backend, Arrays.copyOfRange(expected, i * 5, i * 5 + 5), floats(got[i], "scores"), "row " + i);
                assertEquals(predicted[i], got[i].getInt(0), "row " + i);
            }
            // one model for the JVM's two task slots and four partitions, and none more for a second job
            assertEquals(1, ExecutorModels.loads() - loadsBefore);
            scorer.transform(tokenRows(seqs, 3)).count();
            assertEquals(1, ExecutorModels.loads() - loadsBefore);
        }
    }

    @Test
    void taggerOfRaggedFramesEqualsTheModelOnOneMachine() throws Exception {
        try (SequenceTagger model = new SequenceTagger(CellKind.LSTM, 4, 10, 1, Direction.BIDIRECTIONAL, 3, 5)) {
            model.backend("simd");
            List<float[][]> seqs = LocalSpark.frames(60, 1, 13, 4, 12);
            Row[] got = byId(SequenceScorer.of(spark, Checkpoint.toBytes(model, Map.of())).batchSize(16).backend("simd")
                    .transform(frameRows(seqs, 3)), seqs.size());
            Batches.Features all = Batches.features(seqs);
            FloatTensor z = model.logits(all.x(), all.lengths());
            int[][] labels = model.predict(all.x(), all.lengths());
            for (int i = 0; i < seqs.size(); i++) {
                List<?> scores = got[i].getList(1);
                List<Integer> predicted = got[i].getList(0);
                assertEquals(seqs.get(i).length, scores.size(), "row " + i + " has a score per step");
                for (int t = 0; t < scores.size(); t++) {
                    for (int c = 0; c < 3; c++) {
                        assertSame("simd", new float[] {z.get(t, i, c)},
                                new float[] {((Number) Cells.list(scores.get(t), "scores").get(c)).floatValue()}, "row " + i + " step " + t);
                    }
                    assertEquals(labels[t][i], predicted.get(t));
                }
            }
        }
    }

    @Test
    void regressorOfSequencesOfSeveralLengthsEqualsTheModelOnOneMachine() throws Exception {
        try (SequenceRegressor model = new SequenceRegressor(CellKind.GRU, 3, 9, 2, 2, 8)) {
            model.backend("simd");
            List<float[][]> seqs = LocalSpark.frames(50, 4, 7, 3, 13);
            Row[] got = byId(SequenceScorer.of(spark, Checkpoint.toBytes(model, Map.of())).backend("simd")
                    .transform(frameRows(seqs, 2)), seqs.size());
            for (int i = 0; i < seqs.size(); i++) { // the model alone reads equal lengths: each sequence by itself
                float[] expected = model.predict(Batches.features(List.<float[][]>of(seqs.get(i))).x()).toArray();
                float[] actual = floats(got[i], "prediction");
                for (int j = 0; j < expected.length; j++) {
                    assertEquals(expected[j], actual[j], ULPS * Math.max(1, Math.abs(expected[j])), "row " + i);
                }
            }
        }
    }

    @Test
    void languageModelScoresEachSequencesLogProbability() throws Exception {
        try (LanguageModel model = new LanguageModel(CellKind.LSTM, 17, 6, 11, 1, 0, 4)) {
            model.backend("reference");
            List<int[]> seqs = LocalSpark.tokens(40, 12, 17, 14);
            Row[] got = byId(SequenceScorer.of(spark, Checkpoint.toBytes(model, Map.of())).backend("reference")
                    .transform(tokenRows(seqs, 2)), seqs.size());
            for (int i = 0; i < seqs.size(); i++) {
                int[] s = seqs.get(i);
                double expected = s.length == 1 ? 0 : model.logProbability(new int[] {s[0]}, Arrays.copyOfRange(s, 1, s.length));
                assertEquals(expected, got[i].getDouble(1), ULPS * Math.abs(expected), "row " + i);
                float[] last = model.forward(LocalSpark.column(s), null).logits().toArray();
                assertEquals(Topology.argMax(Arrays.copyOfRange(last, last.length - 17, last.length)), got[i].getInt(0));
            }
        }
    }

    @Test
    void nullAndEmptySequencesGetNullAndEmptyPartitionsNothing() throws Exception {
        try (SequenceClassifier model = new SequenceClassifier(CellKind.GRU, 3, 5, 1, Direction.UNIDIRECTIONAL, 2, 6)) {
            List<float[][]> seqs = new ArrayList<>(LocalSpark.frames(4, 1, 5, 3, 15));
            seqs.add(1, null);
            seqs.add(3, new float[0][0]);
            Dataset<Row> data = frameRows(seqs, 9); // 6 rows in 9 partitions: some empty
            Row[] got = byId(SequenceScorer.of(spark, Checkpoint.toBytes(model, Map.of())).transform(data), seqs.size());
            assertEquals(6, data.count());
            assertNull(got[1]);
            assertNull(got[3]);
            for (int i : new int[] {0, 2, 4, 5}) {
                float[] expected = model.logits(Batches.features(List.<float[][]>of(seqs.get(i))).x(), null).toArray();
                assertArrayEquals(expected, floats(got[i], "scores"), 1e-6f, "row " + i);
            }
        }
    }

    @Test
    void aMalformedRowFailsTheJobNamingItAndWhatWasExpected() throws Exception {
        try (SequenceClassifier model = new SequenceClassifier(CellKind.GRU, 3, 5, 1, Direction.UNIDIRECTIONAL, 2, 6);
             SequenceClassifier tokens = new SequenceClassifier(10, 4, CellKind.GRU, 5, 1, Direction.UNIDIRECTIONAL, 2, 6)) {
            List<float[][]> seqs = new ArrayList<>(LocalSpark.frames(5, 2, 4, 3, 16));
            seqs.set(3, new float[][] {new float[] {1, 2, 3}, new float[] {4, 5}});
            SequenceScorer scorer = SequenceScorer.of(spark, Checkpoint.toBytes(model, Map.of())).idColumn("id");
            Exception e = assertThrows(Exception.class, () -> scorer.transform(frameRows(seqs, 1)).collectAsList());
            assertTrue(message(e).contains("column 'sequence', partition 0, row 3 (id = 3): frame 1 has 2 values, the model reads "
                    + "3 features a step; expected array<array<float>> of frames of 3 features"), message(e));

            List<int[]> ids = List.of(new int[] {1, 2}, new int[] {3, 10});
            Exception t = assertThrows(Exception.class, () -> SequenceScorer.of(spark, Checkpoint.toBytes(tokens, Map.of()))
                    .transform(tokenRows(ids, 1)).collectAsList());
            assertTrue(message(t).contains("row 1: token 1 is 10, expected a token id in [0, 10)"), message(t));

            Exception missing = assertThrows(IllegalArgumentException.class, () -> scorer.inputColumn("tokens").transform(frameRows(seqs, 1)));
            assertEquals("no input column 'tokens' in [id, sequence]", missing.getMessage());
            Exception bad = assertThrows(java.io.IOException.class, () -> SequenceScorer.of(spark, new byte[] {1, 2, 3}));
            assertTrue(bad.getMessage().contains("the broadcast model"), bad.getMessage());
        }
    }

    @Test
    void theSqlFunctionScoresLikeTheDatasetApi() throws Exception {
        try (SequenceClassifier model = new SequenceClassifier(11, 6, CellKind.LSTM, 7, 1, Direction.UNIDIRECTIONAL, 3, 9)) {
            model.backend("reference");
            List<int[]> seqs = new ArrayList<>(LocalSpark.tokens(30, 9, 11, 17));
            seqs.add(null);
            SequenceScorer scorer = SequenceScorer.of(spark, Checkpoint.toBytes(model, Map.of())).backend("reference");
            scorer.register(spark, "jrnn_predict");
            tokenRows(seqs, 2).createOrReplaceTempView("reviews");
            List<Row> rows = spark.sql("SELECT id, jrnn_predict(sequence).prediction AS p, jrnn_predict(sequence).scores AS s "
                    + "FROM reviews").collectAsList();
            assertEquals(seqs.size(), rows.size());
            for (Row r : rows) {
                int i = (int) r.getLong(0);
                if (seqs.get(i) == null) {
                    assertTrue(r.isNullAt(1) && r.isNullAt(2));
                    continue;
                }
                Batches.Tokens one = Batches.tokens(List.of(seqs.get(i)), 0);
                float[] expected = model.logits(one.ids(), one.lengths()).toArray();
                List<Float> s = r.getList(2);
                for (int c = 0; c < 3; c++) {
                    assertEquals(expected[c], s.get(c), 0f, "row " + i);
                }
                assertEquals(Topology.argMax(expected), r.getInt(1));
            }
        }
    }

    private static String message(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            sb.append(t.getMessage()).append('\n');
        }
        return sb.toString();
    }
}
