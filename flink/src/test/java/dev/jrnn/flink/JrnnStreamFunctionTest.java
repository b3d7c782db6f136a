package dev.jrnn.flink;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.train.Checkpoint;
import java.util.Arrays;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;

/** What is checked on the client, before a job runs: the model's bytes, whether it can stream, its input kind. */
class JrnnStreamFunctionTest {

    private static IllegalArgumentException refused(byte[] model, boolean tokens) {
        return assertThrows(IllegalArgumentException.class, () -> {
            if (tokens) {
                JrnnStreamFunction.<String, Integer, float[]>overTokens(model, e -> e, (k, e, y, s) -> y,
                        PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO);
            } else {
                JrnnStreamFunction.<String, float[], float[]>overFeatures(model, e -> e, (k, e, y, s) -> y,
                        PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO);
            }
        });
    }

    @Test
    void aWrongModelFailsOnTheClient() throws Exception {
        byte[] regressor;
        try (SequenceRegressor m = new SequenceRegressor(CellKind.GRU, 3, 4, 1, 1, 1)) {
            regressor = Checkpoint.toBytes(m, Map.of());
        }
        String message = refused(regressor, true).getMessage();
        assertTrue(message.contains("reads feature vectors: use JrnnStreamFunction.overFeatures"), message);
        message = refused(Arrays.copyOf(regressor, regressor.length / 2), false).getMessage();
        assertTrue(message.startsWith("JrnnStreamFunction's model: "), message);
        try (SequenceClassifier bi = new SequenceClassifier(CellKind.GRU, 3, 4, 1, Direction.BIDIRECTIONAL, 2, 1)) {
            message = refused(Checkpoint.toBytes(bi, Map.of()), false).getMessage();
            assertTrue(message.contains("bidirectional SequenceClassifier cannot stream"), message);
        }
        // a right one survives Java serialization, as Flink ships it to the task managers
        JrnnStreamFunction<String, float[], float[]> f = JrnnStreamFunction.overFeatures(regressor, e -> e,
                (k, e, y, s) -> y, PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO);
        assertNotNull(InstantiationUtil.clone(f.backend("reference")));
    }
}
