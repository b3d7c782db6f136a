package dev.jrnn.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.train.Optimizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Data-parallel training on Spark equals training on one machine: same data, same initial weights,
 * same batches ({@link DataParallelTrainer#batchRows}), every parameter compared after
 * {@link #STEPS} steps (an epoch boundary crossed, so the reshuffle is covered). The data sits in 6
 * partitions, some empty, so a batch is split unevenly and some partitions hold none of it.
 *
 * <p>Tolerance {@link #TOLERANCE} relative (or absolute below 1): the only difference is the order
 * of floating-point sums (each partition sums its own rows' gradients, the partial sums are added
 * in double precision, where one machine sums the whole batch in float at once): a few float ulps
 * (1.2e-7 each) per gradient element, carried through a few SGD steps with momentum. Measured: at
 * most 6e-8. The weights move by 0.2-0.3, so a wrong weighting of the partitions fails it by orders
 * of magnitude (a mean of the partitions' means did: 0.0139 against 0.0082).
 */
class DataParallelTrainingTest {

    private static final int ROWS = 45, BATCH = 16, STEPS = 5;
    private static final double TOLERANCE = 1e-6;
    private static SparkSession spark;

    @BeforeAll
    static void start() {
        spark = LocalSpark.session();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    /** {@code rows} in 6 partitions, 2 of them empty, checkpointed so every job reads them in one order. */
    private static Dataset<Row> data(List<Row> rows, DataType input, DataType target) {
        StructType schema = new StructType().add("id", DataTypes.LongType).add("sequence", input);
        if (target != null) {
            schema = schema.add("label", target);
        }
        return spark.createDataFrame(rows, schema)
                .repartition(6, functions.pmod(functions.col("id"), functions.lit(4))).localCheckpoint();
    }

    private static final DataType TOKENS = DataTypes.createArrayType(DataTypes.IntegerType);
    private static final DataType FRAMES = DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType));

    /** The rows' positions in the data's order (what batchRows indexes), by id. */
    private static int[] idsInOrder(Dataset<Row> data) {
        return data.select("id").collectAsList().stream().mapToInt(r -> (int) r.getLong(0)).toArray();
    }

    private static void assertSameParameters(Module spark, Module local, Map<String, float[]> initial) {
        double moved = 0;
        for (var e : local.namedParameters().entrySet()) {
            float[] expected = e.getValue().values(), actual = spark.namedParameters().get(e.getKey()).values();
            float[] before = initial.get(e.getKey());
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], TOLERANCE * Math.max(1, Math.abs(expected[i])), e.getKey() + "[" + i + "]");
                moved = Math.max(moved, Math.abs(expected[i] - before[i]));
            }
        }
        assertTrue(moved > 1e-2, "training moved the weights by at most " + moved);
    }

    private static Map<String, float[]> snapshot(Module m) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        m.namedParameters().forEach((k, p) -> out.put(k, p.values().clone()));
        return out;
    }

    /** Trains on Spark, and {@code local} on one machine through {@code localStep} (the batch's ids in order), and compares. */
    private static void trainBothWays(Dataset<Row> data, Module onSpark, Module local, DataParallelTrainer trainer,
                                      java.util.function.Consumer<int[]> localStep) {
        Map<String, float[]> initial = snapshot(local);
        int[] ids = idsInOrder(data);
        List<Double> losses = new ArrayList<>();
        try (DataParallelTrainer.Run run = trainer.batchSize(BATCH).seed(5).start(data)) {
            assertEquals(ROWS, run.rows());
            for (int s = 0; s < STEPS; s++) {
                losses.add(run.step());
            }
        }
        for (int s = 0; s < STEPS; s++) {
            int[] batch = DataParallelTrainer.batchRows(ROWS, BATCH, 5, s);
            localStep.accept(Arrays.stream(batch).map(i -> ids[i]).toArray());
        }
        assertSameParameters(onSpark, local, initial);
        assertTrue(losses.stream().allMatch(l -> l > 0 && Double.isFinite(l)), losses.toString());
    }

    @Test
    void classifierOfRaggedTokens() {
        List<int[]> seqs = LocalSpark.tokens(ROWS, 11, 13, 21);
        int[] labels = new SplittableRandom(22).ints(ROWS, 0, 3).toArray();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            rows.add(RowFactory.create((long) i, LocalSpark.asList(seqs.get(i)), labels[i]));
        }
        IntFunction<SequenceClassifier> make = seed -> new SequenceClassifier(13, 6, CellKind.GRU, 8, 2, Direction.BIDIRECTIONAL, 3, seed);
        try (SequenceClassifier a = make.apply(7).backend("simd"); SequenceClassifier b = make.apply(7).backend("simd")) {
            Optimizer local = Optimizer.sgd(b, 0.5, 0.9);
            trainBothWays(data(rows, TOKENS, DataTypes.IntegerType), a, b,
                    new DataParallelTrainer(spark, a, Optimizer.sgd(a, 0.5, 0.9)).backend("simd").maxNorm(1.0),
                    batch -> {
                        Batches.Tokens t = Batches.tokens(Arrays.stream(batch).mapToObj(seqs::get).toList(), 0);
                        b.trainStep(t.ids(), t.lengths(), Arrays.stream(batch).map(i -> labels[i]).toArray(), local, 1.0);
                    });
        }
    }

    @Test
    void taggerOfRaggedFramesWithUncountedSteps() {
        List<float[][]> seqs = LocalSpark.frames(ROWS, 1, 9, 3, 23);
        SplittableRandom r = new SplittableRandom(24);
        List<int[]> labels = new ArrayList<>();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            int[] l = r.ints(seqs.get(i).length, -1, 4).toArray(); // -1: a step that does not count
            labels.add(l);
            rows.add(RowFactory.create((long) i, LocalSpark.asList(seqs.get(i)), LocalSpark.asList(l)));
        }
        IntFunction<SequenceTagger> make = seed -> new SequenceTagger(CellKind.LSTM, 3, 7, 1, Direction.BIDIRECTIONAL, 4, seed);
        try (SequenceTagger a = make.apply(8).backend("reference"); SequenceTagger b = make.apply(8).backend("reference")) {
            Optimizer local = Optimizer.sgd(b, 0.5, 0.9);
            trainBothWays(data(rows, FRAMES, TOKENS), a, b,
                    new DataParallelTrainer(spark, a, Optimizer.sgd(a, 0.5, 0.9)).backend("reference"),
                    batch -> {
                        Batches.Features f = Batches.features(Arrays.stream(batch).mapToObj(seqs::get).toList());
                        int[][] l = Batches.labels(Arrays.stream(batch).mapToObj(labels::get).toList(), SequenceTagger.IGNORE);
                        b.trainStep(f.x(), f.lengths(), l, local, Double.POSITIVE_INFINITY);
                    });
        }
    }

    @Test
    void regressorOfWindows() {
        List<float[][]> seqs = LocalSpark.frames(ROWS, 6, 6, 2, 25);
        SplittableRandom r = new SplittableRandom(26);
        float[][] targets = new float[ROWS][3];
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            for (int j = 0; j < 3; j++) {
                targets[i][j] = (float) r.nextGaussian();
            }
            rows.add(RowFactory.create((long) i, LocalSpark.asList(seqs.get(i)), LocalSpark.asList(new float[][] {targets[i]}).get(0)));
        }
        IntFunction<SequenceRegressor> make = seed -> new SequenceRegressor(CellKind.GRU, 2, 9, 1, 3, seed);
        try (SequenceRegressor a = make.apply(9).backend("simd"); SequenceRegressor b = make.apply(9).backend("simd")) {
            Optimizer local = Optimizer.sgd(b, 0.2, 0.9);
            trainBothWays(data(rows, FRAMES, DataTypes.createArrayType(DataTypes.FloatType)), a, b,
                    new DataParallelTrainer(spark, a, Optimizer.sgd(a, 0.2, 0.9)).backend("simd"),
                    batch -> {
                        float[] t = new float[batch.length * 3];
                        for (int k = 0; k < batch.length; k++) {
                            System.arraycopy(targets[batch[k]], 0, t, k * 3, 3);
                        }
                        b.trainStep(Batches.features(Arrays.stream(batch).mapToObj(seqs::get).toList()).x(),
                                FloatTensor.of(t, batch.length, 3), local, Double.POSITIVE_INFINITY);
                    });
        }
    }

    @Test
    void languageModelOfRaggedTexts() {
        List<int[]> seqs = new ArrayList<>();
        for (int[] s : LocalSpark.tokens(ROWS, 14, 11, 27)) {
            seqs.add(s.length < 2 ? new int[] {s[0], (s[0] + 1) % 11} : s);
        }
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            rows.add(RowFactory.create((long) i, LocalSpark.asList(seqs.get(i))));
        }
        IntFunction<LanguageModel> make = seed -> new LanguageModel(CellKind.LSTM, 11, 5, 8, 2, 0, seed);
        try (LanguageModel a = make.apply(10).backend("simd"); LanguageModel b = make.apply(10).backend("simd")) {
            Optimizer local = Optimizer.sgd(b, 0.5, 0.9);
            trainBothWays(data(rows, TOKENS, null), a, b,
                    new DataParallelTrainer(spark, a, Optimizer.sgd(a, 0.5, 0.9)).backend("simd").targetColumn(null),
                    batch -> {
                        List<int[]> in = new ArrayList<>(), next = new ArrayList<>();
                        for (int i : batch) {
                            in.add(Arrays.copyOf(seqs.get(i), seqs.get(i).length - 1));
                            next.add(Arrays.copyOfRange(seqs.get(i), 1, seqs.get(i).length));
                        }
                        b.trainStep(Batches.tokens(in, 0).ids(), Batches.labels(next, -1), null, local, Double.POSITIVE_INFINITY);
                    });
        }
    }

    @Test
    void aMalformedTrainingRowIsNamed() {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            rows.add(RowFactory.create((long) i, List.of(1, 2, 3), i == 3 ? 7 : 1));
        }
        Dataset<Row> data = spark.createDataFrame(rows, new StructType().add("id", DataTypes.LongType)
                .add("sequence", TOKENS).add("label", DataTypes.IntegerType)).coalesce(1);
        try (SequenceClassifier m = new SequenceClassifier(5, 4, CellKind.GRU, 4, 1, Direction.UNIDIRECTIONAL, 2, 1)) {
            Exception e = assertThrows(Exception.class, () -> new DataParallelTrainer(spark, m, Optimizer.sgd(m, 0.1, 0)).start(data));
            StringBuilder all = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                all.append(t.getMessage());
            }
            assertTrue(all.toString().contains("column 'label', partition 0, row 3: the target is 7; expected an int class in [0, 2)"),
                    all.toString());
            Exception missing = assertThrows(IllegalArgumentException.class,
                    () -> new DataParallelTrainer(spark, m, Optimizer.sgd(m, 0.1, 0)).targetColumn("y").start(data));
            assertEquals("no column 'y' in [id, sequence, label]", missing.getMessage());
        }
    }
}
