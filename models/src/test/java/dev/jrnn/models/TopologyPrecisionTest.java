package dev.jrnn.models;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A topology model converted to onednn's int8, which stores its inputs in 8 bits over a range fixed
 * when the stack is prepared: a model reading tokens takes its embedding table's range by itself, a
 * model reading features takes the caller's calibration (and is refused without one).
 */
class TopologyPrecisionTest {

    private static final int[] LENGTHS = {6, 4, 5};
    private final SplittableRandom random = new SplittableRandom(5);

    @BeforeEach
    void onednnRunsInt8() {
        assumeTrue(Backends.selector().availability("onednn").available()
                && Backends.named("onednn").precisions().contains(Precision.INT8), "onednn runs no int8 here");
    }

    /** The largest difference, which must show that int8 ran (not 0) and stayed close (onednn's int8 errs by at most 7e-3 on the bench workloads). */
    private static void assertInt8Ran(float[] float32, float[] int8) {
        double largest = 0;
        for (int i = 0; i < int8.length; i++) {
            largest = Math.max(largest, Math.abs(int8[i] - float32[i]));
        }
        assertTrue(largest > 0 && largest < 5e-2, "largest difference from float32: " + largest);
    }

    @Test
    void aTokenModelCalibratesOnItsEmbedding() {
        int[][] words = new int[6][3];
        for (int[] row : words) {
            for (int n = 0; n < 3; n++) {
                row[n] = random.nextInt(20);
            }
        }
        try (SequenceClassifier m = new SequenceClassifier(20, 8, CellKind.LSTM, 12, 1, Direction.UNIDIRECTIONAL, 3, 7)) {
            m.eval();
            m.backend("onednn");
            float[] float32 = m.logits(words, LENGTHS).toArray();
            m.precision(Precision.INT8);
            assertInt8Ran(float32, m.logits(words, LENGTHS).toArray());
        }
    }

    @Test
    void aFeatureModelTakesTheCallersCalibration() {
        FloatTensor x = FloatTensor.zeros(6, 3, 5);
        for (long i = 0; i < x.size(); i++) {
            x.setFlat(i, (float) random.nextDouble(-2, 2)); // past [-1, 1]: a range of its own
        }
        try (SequenceRegressor m = new SequenceRegressor(CellKind.LSTM, 5, 9, 1, 2, 7)) {
            m.eval();
            m.backend("onednn");
            float[] float32 = m.predict(x).toArray();
            m.precision(Precision.INT8);
            var e = assertThrows(IllegalArgumentException.class, () -> m.predict(x));
            assertTrue(e.getMessage().contains("Calibration"), e.getMessage());
            m.precision(Precision.INT8, Calibration.of(x));
            assertInt8Ran(float32, m.predict(x).toArray());
        }
    }
}
