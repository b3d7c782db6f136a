package dev.jrnn.flink;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.train.Checkpoint;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Flink SQL's {@code CREATE MODEL ... WITH ('provider' = 'jrnn')} and {@code ML_PREDICT} on a
 * MiniCluster: every row's result is the model's own prediction on that row's sequence (sequences
 * of 1 to 9 steps in one column); a model that does not fit its declared INPUT or OUTPUT is refused
 * when the statement is planned, naming the model and what was expected.
 */
@Timeout(120)
public class MlPredictTest {

    private static final int INPUTS = 3, CLASSES = 4, VOCABULARY = 13, ROWS = 24;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2).setShutdownTimeout(Duration.ofSeconds(30)).build());

    @TempDir
    static Path dir;
    private static StreamTableEnvironment tables;
    private static final List<float[][]> sequences = new ArrayList<>();
    private static final List<int[]> tokenSequences = new ArrayList<>();

    @BeforeAll
    static void data() {
        SplittableRandom random = new SplittableRandom(3);
        List<Row> rows = new ArrayList<>(), tokenRows = new ArrayList<>();
        for (int id = 0; id < ROWS; id++) {
            int steps = 1 + random.nextInt(9);
            Float[][] boxed = new Float[steps][INPUTS];
            float[][] seq = new float[steps][INPUTS];
            Integer[] ids = new Integer[steps];
            int[] tokens = new int[steps];
            for (int t = 0; t < steps; t++) {
                for (int i = 0; i < INPUTS; i++) {
                    boxed[t][i] = seq[t][i] = (float) (random.nextDouble() * 2 - 1);
                }
                ids[t] = tokens[t] = random.nextInt(VOCABULARY);
            }
            sequences.add(seq);
            tokenSequences.add(tokens);
            rows.add(Row.of(id, boxed));
            tokenRows.add(Row.of(id, ids));
        }
        tables = StreamTableEnvironment.create(StreamExecutionEnvironment.getExecutionEnvironment());
        Table features = tables.fromValues(DataTypes.ROW(DataTypes.FIELD("id", DataTypes.INT()),
                DataTypes.FIELD("seq", DataTypes.ARRAY(DataTypes.ARRAY(DataTypes.FLOAT())))), rows);
        tables.createTemporaryView("readings", features);
        Table tokens = tables.fromValues(DataTypes.ROW(DataTypes.FIELD("id", DataTypes.INT()),
                DataTypes.FIELD("tokens", DataTypes.ARRAY(DataTypes.INT()))), tokenRows);
        tables.createTemporaryView("texts", tokens);
    }

    private static Map<Integer, Row> query(String sql) throws Exception {
        Map<Integer, Row> out = new HashMap<>();
        try (CloseableIterator<Row> it = tables.executeSql(sql).collect()) {
            it.forEachRemaining(r -> out.put((Integer) r.getField("id"), r));
        }
        return out;
    }

    private static FloatTensor tensor(float[][] seq) {
        FloatTensor x = FloatTensor.zeros(seq.length, 1, INPUTS);
        for (int t = 0; t < seq.length; t++) {
            for (int i = 0; i < INPUTS; i++) {
                x.set(t, 0, i, seq[t][i]);
            }
        }
        return x;
    }

    private static float[] floats(Object array) {
        Float[] boxed = (Float[]) array;
        float[] out = new float[boxed.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = boxed[i];
        }
        return out;
    }

    @Test
    void classifierOfFeatureSequences() throws Exception {
        Path path = dir.resolve("classifier.safetensors");
        try (SequenceClassifier model = new SequenceClassifier(CellKind.GRU, INPUTS, 8, 2, Direction.BIDIRECTIONAL, CLASSES, 5)
                .backend("simd")) {
            Checkpoint.saveModel(path, model, null, Map.of());
            tables.executeSql("CREATE MODEL activity INPUT (seq ARRAY<ARRAY<FLOAT>>) OUTPUT (scores ARRAY<FLOAT>, label INT) "
                    + "WITH ('provider' = 'jrnn', 'path' = '" + path + "', 'backend' = 'simd')");
            Map<Integer, Row> rows = query("SELECT id, scores, label FROM ML_PREDICT(TABLE readings, MODEL activity, DESCRIPTOR(seq))");
            assertEquals(ROWS, rows.size());
            for (int id = 0; id < ROWS; id++) {
                FloatTensor x = tensor(sequences.get(id));
                assertArrayEquals(model.logits(x, null).toArray(), floats(rows.get(id).getField("scores")), 1e-6f, "row " + id);
                assertEquals(model.predict(x, null)[0], rows.get(id).getField("label"), "row " + id);
            }
        }
    }

    @Test
    void regressorAndTokenClassifier() throws Exception {
        Path regressorPath = dir.resolve("regressor.safetensors"), tokensPath = dir.resolve("tokens.safetensors");
        try (SequenceRegressor regressor = new SequenceRegressor(CellKind.LSTM, INPUTS, 6, 1, 2, 7).backend("simd");
             SequenceClassifier classifier = new SequenceClassifier(VOCABULARY, 5, CellKind.LSTM, 6, 1,
                     Direction.UNIDIRECTIONAL, CLASSES, 9).backend("simd")) {
            Checkpoint.saveModel(regressorPath, regressor, null, Map.of());
            Checkpoint.saveModel(tokensPath, classifier, null, Map.of());
            tables.executeSql("CREATE MODEL regressor INPUT (seq ARRAY<ARRAY<FLOAT>>) OUTPUT (forecast ARRAY<FLOAT>) "
                    + "WITH ('provider' = 'jrnn', 'path' = '" + regressorPath + "', 'backend' = 'simd')");
            tables.executeSql("CREATE MODEL sentiment INPUT (tokens ARRAY<INT>) OUTPUT (label INT) "
                    + "WITH ('provider' = 'jrnn', 'path' = '" + tokensPath + "', 'backend' = 'simd')");
            Map<Integer, Row> forecasts = query("SELECT id, forecast FROM ML_PREDICT(TABLE readings, MODEL regressor, DESCRIPTOR(seq))");
            Map<Integer, Row> labels = query("SELECT id, label FROM ML_PREDICT(TABLE texts, MODEL sentiment, DESCRIPTOR(tokens))");
            assertEquals(ROWS, forecasts.size());
            assertEquals(ROWS, labels.size());
            for (int id = 0; id < ROWS; id++) {
                assertArrayEquals(regressor.predict(tensor(sequences.get(id))).toArray(),
                        floats(forecasts.get(id).getField("forecast")), 1e-6f, "row " + id);
                int[] tokens = tokenSequences.get(id);
                int[][] column = new int[tokens.length][1];
                for (int t = 0; t < tokens.length; t++) {
                    column[t][0] = tokens[t];
                }
                assertEquals(classifier.predict(column, null)[0], labels.get(id).getField("label"), "row " + id);
            }
        }
    }

    @Test
    void aModelThatDoesNotFitItsDeclarationIsRefusedWhenPlanned() throws Exception {
        Path path = dir.resolve("regressor-only.safetensors");
        try (SequenceRegressor regressor = new SequenceRegressor(CellKind.GRU, INPUTS, 4, 1, 1, 1)) {
            Checkpoint.saveModel(path, regressor, null, Map.of());
        }
        tables.executeSql("CREATE MODEL wrong_input INPUT (tokens ARRAY<INT>) OUTPUT (y ARRAY<FLOAT>) "
                + "WITH ('provider' = 'jrnn', 'path' = '" + path + "')");
        tables.executeSql("CREATE MODEL no_classes INPUT (seq ARRAY<ARRAY<FLOAT>>) OUTPUT (label INT) "
                + "WITH ('provider' = 'jrnn', 'path' = '" + path + "')");
        tables.executeSql("CREATE MODEL missing INPUT (seq ARRAY<ARRAY<FLOAT>>) OUTPUT (y ARRAY<FLOAT>) "
                + "WITH ('provider' = 'jrnn', 'path' = '" + dir.resolve("nothing-here") + "')");
        assertRefused("SELECT * FROM ML_PREDICT(TABLE texts, MODEL wrong_input, DESCRIPTOR(tokens))",
                "INPUT must be one column of ARRAY<ARRAY<FLOAT>> (steps of features) for its SequenceRegressor");
        assertRefused("SELECT * FROM ML_PREDICT(TABLE readings, MODEL no_classes, DESCRIPTOR(seq))",
                "must be ARRAY<FLOAT> (the predicted values)");
        assertRefused("SELECT * FROM ML_PREDICT(TABLE readings, MODEL missing, DESCRIPTOR(seq))", "cannot read its 'path'");
    }

    private static void assertRefused(String sql, String expected) {
        Throwable e = assertThrows(Exception.class, () -> tables.executeSql(sql).await());
        StringBuilder chain = new StringBuilder();
        boolean validation = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            chain.append(t.getMessage()).append(" / ");
            validation |= t instanceof ValidationException && String.valueOf(t.getMessage()).contains("jrnn model");
        }
        assertTrue(validation && chain.toString().contains(expected), chain.toString());
    }
}
