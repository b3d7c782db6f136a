package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jrnn.core.rnn.BFloat16;
import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * bf16 and int8 against float32 on oneDNN, on the bench's workload shapes (W1-W8: bench/Workload)
 * with PyTorch's initialization and inputs in [-1, 1] (int8 calibrated on them): the output
 * sequence's largest and typical (median, root mean square) difference, printed as a table row,
 * and asserted within the bounds OneDnnPrecisionTest derives (int8: LSTM workloads only).
 */
class OneDnnPrecisionAccuracyTest {

    private static final OneDnnBackend ONEDNN = new OneDnnBackend();

    /** bench/Workload's shapes (the bench module depends on this one, not the reverse), at bf16 and int8. */
    static List<Object[]> workloads() {
        List<Object[]> shapes = List.of(
                new Object[] {"W1", new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 50, 1, 64, 128)},
                new Object[] {"W2", new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 100, 1, 256, 256)},
                new Object[] {"W3", new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 50, 64, 256, 512)},
                new Object[] {"W4_GRU", new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 100, 1, 256, 256)},
                new Object[] {"W4_RNN", new RnnDescriptor(CellKind.RNN_TANH, 1, Direction.UNIDIRECTIONAL, 100, 1, 256, 256)},
                new Object[] {"W5", new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 35, 32, 128, 256)},
                new Object[] {"W6", new RnnDescriptor(CellKind.LSTM, 1, Direction.BIDIRECTIONAL, 100, 8, 128, 256)},
                new Object[] {"W7", new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 200, 1, 512, 512)},
                new Object[] {"W8", new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 1000, 1, 32, 64)},
                new Object[] {"LSTM L2 bi", new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 50, 4, 100, 200)},
                new Object[] {"GRU L2 bi", new RnnDescriptor(CellKind.GRU, 2, Direction.BIDIRECTIONAL, 50, 4, 100, 200)},
                new Object[] {"RELU", new RnnDescriptor(CellKind.RNN_RELU, 1, Direction.UNIDIRECTIONAL, 50, 1, 100, 200)});
        List<Object[]> cases = new ArrayList<>();
        for (Precision p : new Precision[] {Precision.BF16, Precision.INT8}) {
            for (Object[] s : shapes) {
                if (p == Precision.BF16 || ((RnnDescriptor) s[1]).cell() == CellKind.LSTM) {
                    cases.add(new Object[] {p, s[0], s[1]});
                }
            }
        }
        return cases;
    }

    private static float[] forward(RnnDescriptor d, RnnWeights w, Precision precision, FloatTensor x) {
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape());
        try (PreparedRnn rnn = ONEDNN.prepare(d, w, precision, Calibration.of(x)); Workspace ws = rnn.newWorkspace()) {
            rnn.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
        }
        return y.toArray();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("workloads")
    void staysWithinItsBoundOfFloat32(Precision precision, String name, RnnDescriptor d) {
        assumeTrue(ONEDNN.precisions().contains(precision), "oneDNN runs no " + precision + " RNN here");
        RnnWeights w = RnnWeights.uniform(d, 42);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), new SplittableRandom(43));
        float[] exact = forward(d, w, Precision.FLOAT32, x), reduced = forward(d, w, precision, x);
        double[] diff = new double[exact.length];
        double squares = 0, maxState = 1;
        for (int i = 0; i < exact.length; i++) {
            diff[i] = Math.abs((double) reduced[i] - exact[i]);
            squares += diff[i] * diff[i];
            maxState = Math.max(maxState, Math.abs(exact[i]));
        }
        Arrays.sort(diff);
        double max = diff[diff.length - 1], median = diff[diff.length / 2], rms = Math.sqrt(squares / diff.length);
        double bound;
        if (precision == Precision.BF16) {
            double e = BFloat16.MAX_RELATIVE_ERROR, state = d.cell() == CellKind.RNN_RELU ? maxState : 1;
            bound = OneDnnPrecisionTest.bound(d, w, e, null, OneDnnPrecisionTest.filled(d.layers(), e, e), true,
                    OneDnnPrecisionTest.filled(d.layers(), 1, state), state,
                    OneDnnPrecisionTest.filled(d.layers(), e * state, e * state));
        } else {
            double[] halfStep = new double[d.layers()];
            try (OneDnnRnn rnn = new OneDnnRnn(d.architecture(), w, Precision.INT8, Calibration.of(x))) {
                for (int l = 0; l < d.layers(); l++) {
                    halfStep[l] = 0.5 / rnn.dataScale[l];
                }
            }
            bound = OneDnnPrecisionTest.bound(d, w, 0, OneDnnPrecisionTest.int8WeightErrors(d, w), halfStep, false,
                    OneDnnPrecisionTest.filled(d.layers(), 1, 1), 1, halfStep);
        }
        System.out.printf(Locale.ROOT, "onednn %s vs float32 | %-10s | %s | max %.2e | median %.2e | rms %.2e | bound %.2e%n",
                precision, name, d, max, median, rms, bound);
        assertTrue(max > 0, name + ": " + precision + " gave float32's exact outputs");
        assertTrue(max <= bound + 1e-5, String.format(Locale.ROOT, "%s %s: largest difference %.3g past the bound %.3g",
                precision, name, max, bound));
    }
}
