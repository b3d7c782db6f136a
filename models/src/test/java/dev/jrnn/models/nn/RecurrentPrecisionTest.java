package dev.jrnn.models.nn;

import static dev.jrnn.core.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jrnn.core.rnn.BFloat16;
import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import dev.jrnn.core.testing.Tensors;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A trained stack converted to bf16 weights for inference, and back. */
class RecurrentPrecisionTest {

    private static final int[] LENGTHS = {4, 2, 3};

    @ParameterizedTest
    @ValueSource(strings = {"simd", "auto"})
    void anEvalModelConvertsToBf16ForInferenceAndBack(String backend) {
        SplittableRandom random = new SplittableRandom(1);
        FloatTensor x = Tensors.uniform(Shape.of(4, 3, 5), random), dy = Tensors.uniform(Shape.of(4, 3, 18), random);
        try (Recurrent model = new Recurrent(CellKind.LSTM, 5, 9, 2, Direction.BIDIRECTIONAL, 3).backend(backend);
             Recurrent oracle = new Recurrent(CellKind.LSTM, 5, 9, 2, Direction.BIDIRECTIONAL, 3).backend("reference")) {
            model.forward(x, LENGTHS, null, null); // a training step in float32 first
            model.backward(dy, null, null, null, null);
            Recurrent.Output float32 = model.infer(x, LENGTHS, null, null);

            model.training(false).precision(Precision.BF16);
            assertEquals(Precision.BF16, model.precision());
            Recurrent.Output bf16 = model.infer(x, LENGTHS, null, null);
            oracle.weights().copyFrom(BFloat16.roundMatrices(model.weights())); // the same weights, rounded, in float32
            Recurrent.Output want = oracle.infer(x, LENGTHS, null, null);
            assertClose("bf16 output", want.y(), bf16.y(), 1e-5, 1e-5);
            assertClose("bf16 h_n", want.hn(), bf16.hn(), 1e-5, 1e-5);
            assertClose("bf16 c_n", want.cn(), bf16.cn(), 1e-5, 1e-5);

            var e = assertThrows(UnsupportedOperationException.class, () -> model.forward(x, LENGTHS, null, null));
            assertTrue(e.getMessage().contains("bf16") && e.getMessage().contains("inference only"), e.getMessage());

            model.precision(Precision.FLOAT32); // the parameters were never rounded
            assertClose("float32 again", float32.y(), model.infer(x, LENGTHS, null, null).y(), 1e-6, 1e-6);
        }
    }

    /**
     * onednn's int8 stores layer inputs in 8 bits over a range fixed when the stack is prepared: the
     * model passes its calibration on (layer 0's; [-1, 1] to upper layers run one by one, with
     * dropout between them), and without one the backend refuses.
     */
    @ParameterizedTest
    @ValueSource(doubles = {0, 0.3})
    void int8OnOnednnTakesTheCalibrationOfTheInputs(double dropout) {
        assumeTrue(Backends.selector().availability("onednn").available()
                && Backends.named("onednn").precisions().contains(Precision.INT8), "onednn runs no int8 here");
        SplittableRandom random = new SplittableRandom(2);
        FloatTensor x = Tensors.uniform(Shape.of(6, 3, 5), random);
        x.setFlat(0, 3f); // the inputs reach past [-1, 1]
        try (Recurrent model = new Recurrent(CellKind.LSTM, 5, 9, 2, Direction.BIDIRECTIONAL, 3).dropout(dropout, 4)
                .backend("onednn").training(false)) {
            float[] float32 = model.infer(x, LENGTHS, null, null).y().toArray();
            model.precision(Precision.INT8);
            var e = assertThrows(IllegalArgumentException.class, () -> model.infer(x, LENGTHS, null, null));
            assertTrue(e.getMessage().contains("Calibration"), e.getMessage());

            model.precision(Precision.INT8, Calibration.of(x));
            float[] int8 = model.infer(x, LENGTHS, null, null).y().toArray();
            double largest = 0;
            for (int i = 0; i < int8.length; i++) {
                largest = Math.max(largest, Math.abs(int8[i] - float32[i]));
            }
            // int8 was used, and stays within 2e-2: onednn's int8 errs by at most 7e-3 on the bench workloads
            assertTrue(largest > 0 && largest < 2e-2, "largest difference from float32: " + largest);
            model.precision(Precision.INT8, new Calibration(-1, 1)); // the calibration is used: this one clips the 3
            assertFalse(java.util.Arrays.equals(int8, model.infer(x, LENGTHS, null, null).y().toArray()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"reference"})
    void aBackendThatDoesNotRunThePrecisionRefusesIt(String backend) {
        try (Recurrent model = new Recurrent(CellKind.GRU, 3, 4, 1, Direction.UNIDIRECTIONAL, 1).backend(backend)
                .precision(Precision.BF16)) {
            var e = assertThrows(UnsupportedOperationException.class,
                    () -> model.infer(FloatTensor.zeros(2, 1, 3), null, null, null));
            assertTrue(e.getMessage().contains("'" + backend + "'") && e.getMessage().contains("bf16"), e.getMessage());
        }
    }
}
