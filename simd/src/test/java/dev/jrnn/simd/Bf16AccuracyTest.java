package dev.jrnn.simd;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.BFloat16;
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
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * bf16 weights against float32 weights on the bench's workload shapes (W1-W8: bench/Workload), with
 * PyTorch's initialization ({@code U(-1/sqrt(H), 1/sqrt(H))}) and inputs in [-1, 1]: the output
 * sequence's largest and typical (median, root mean square) difference, printed as a table row.
 *
 * <p>The bound asserted: rounding a weight to bf16 moves it by at most 2<sup>-8</sup> of itself, so
 * one step's pre-activation {@code sum_k W[r][k] v[k]} moves by at most {@code 2^-8 sum_k |W[r][k]|
 * |v[k]|}, with {@code |v| <= max|x|} for layer 0's inputs and {@code |v| <= 1} for states and
 * upper layers' inputs ({@code h = o tanh(c)}, {@code tanh}; ReLU states are not bounded by 1, so
 * a one-layer RNN_RELU's bound uses the largest state it output). The activations do not magnify a change (their
 * slopes are at most 1), and stacks whose recurrence contracts (these do: {@code |W_hh|}'s spectral
 * radius is about 0.58 at this initialization) do not let the steps' changes grow. The bound is the
 * worst case, every rounding error with the same sign; random signs make the typical error about
 * {@code sqrt(k)} times smaller.
 */
class Bf16AccuracyTest {

    /** bench/Workload's shapes (the bench module depends on this one, not the reverse). */
    static List<Object[]> workloads() {
        return List.of(
                new Object[] {"W1", new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 50, 1, 64, 128)},
                new Object[] {"W2", new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 100, 1, 256, 256)},
                new Object[] {"W3", new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 50, 64, 256, 512)},
                new Object[] {"W4_GRU", new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 100, 1, 256, 256)},
                new Object[] {"W4_RNN", new RnnDescriptor(CellKind.RNN_TANH, 1, Direction.UNIDIRECTIONAL, 100, 1, 256, 256)},
                new Object[] {"W5", new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 35, 32, 128, 256)},
                new Object[] {"W6", new RnnDescriptor(CellKind.LSTM, 1, Direction.BIDIRECTIONAL, 100, 8, 128, 256)},
                new Object[] {"W7", new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 200, 1, 512, 512)},
                new Object[] {"W8", new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 1000, 1, 32, 64)},
                // and a two-layer stack, and the other cell
                new Object[] {"GRU L2 bi", new RnnDescriptor(CellKind.GRU, 2, Direction.BIDIRECTIONAL, 50, 4, 100, 200)},
                new Object[] {"RELU", new RnnDescriptor(CellKind.RNN_RELU, 1, Direction.UNIDIRECTIONAL, 50, 1, 100, 200)});
    }

    private static float[] forward(RnnDescriptor d, RnnWeights w, Precision precision, FloatTensor x) {
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape());
        try (PreparedRnn rnn = new SimdBackend().prepare(d, w, precision); Workspace ws = rnn.newWorkspace()) {
            rnn.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
        }
        return y.toArray();
    }

    /** {@code 2^-8} times the largest row sum of {@code |W_ih| max|v_in| + |W_hh| max|h|} over layers and directions. */
    private static double bound(RnnDescriptor d, RnnWeights w, double maxInput, double maxState) {
        double worst = 0;
        for (int l = 0; l < d.layers(); l++) {
            for (int dir = 0; dir < d.directions(); dir++) {
                FloatTensor ih = w.get(RnnWeights.Param.WEIGHT_IH, l, dir), hh = w.get(RnnWeights.Param.WEIGHT_HH, l, dir);
                double in = l == 0 ? maxInput : maxState;
                for (int r = 0; r < ih.dim(0); r++) {
                    double sum = 0;
                    for (int k = 0; k < ih.dim(1); k++) {
                        sum += Math.abs(ih.get(r, k)) * in;
                    }
                    for (int k = 0; k < hh.dim(1); k++) {
                        sum += Math.abs(hh.get(r, k)) * maxState;
                    }
                    worst = Math.max(worst, sum);
                }
            }
        }
        return BFloat16.MAX_RELATIVE_ERROR * worst;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("workloads")
    void bf16StaysWithinTheRoundingBoundOfFloat32(String name, RnnDescriptor d) {
        RnnWeights w = RnnWeights.uniform(d, 42);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), new SplittableRandom(43));
        float[] exact = forward(d, w, Precision.FLOAT32, x), reduced = forward(d, w, Precision.BF16, x);
        double[] diff = new double[exact.length];
        double squares = 0, maxState = 1;
        for (int i = 0; i < exact.length; i++) {
            diff[i] = Math.abs((double) reduced[i] - exact[i]);
            squares += diff[i] * diff[i];
            maxState = Math.max(maxState, Math.abs(exact[i]));
        }
        Arrays.sort(diff);
        double max = diff[diff.length - 1], median = diff[diff.length / 2], rms = Math.sqrt(squares / diff.length);
        double bound = bound(d, w, 1, d.cell() == CellKind.RNN_RELU ? maxState : 1);
        System.out.printf(Locale.ROOT, "bf16 vs float32 | %-9s | %s | max %.2e | median %.2e | rms %.2e | bound %.2e%n",
                name, d, max, median, rms, bound);
        assertTrue(max > 0, name + ": bf16 gave float32's exact outputs: the bf16 weights were not used");
        assertTrue(max <= bound, String.format(Locale.ROOT, "%s: largest difference %.3g past the bound %.3g", name, max,
                bound));
    }
}
