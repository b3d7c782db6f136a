package dev.jrnn.simd;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
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
 * int8 weights against float32 weights on the bench's workload shapes ({@link Bf16AccuracyTest}'s:
 * PyTorch's initialization, inputs in [-1, 1]): the output sequence's largest and typical (median,
 * root mean square) difference, printed as a table row.
 *
 * <p>The bound asserted: quantizing row {@code r} moves each of its weights by at most half a step,
 * {@code s_r / 2 = max_k |W[r][k]| / 254}, so one step's pre-activation {@code sum_k W[r][k] v[k]}
 * moves by at most {@code (max|W_ih[r]| * in * max|v_in| + max|W_hh[r]| * H * max|h|) / 254}, with
 * {@code |v_in| <= max|x|} for layer 0, {@code <= 1} above, and {@code |h| <= 1} (a one-layer
 * RNN_RELU's bound uses the largest state it output). As in Bf16AccuracyTest, the activations do not
 * magnify a change and these contracting recurrences do not let the steps' changes grow; the bound
 * is the worst case (every error of the same sign and half a step), random signs and sizes make the
 * typical error far smaller. The float32 summation's own error is orders of magnitude below it.
 */
class Int8AccuracyTest {

    static List<Object[]> workloads() {
        return Bf16AccuracyTest.workloads();
    }

    private static float[] forward(RnnDescriptor d, RnnWeights w, Precision precision, FloatTensor x) {
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape());
        try (PreparedRnn rnn = new SimdBackend().prepare(d, w, precision); Workspace ws = rnn.newWorkspace()) {
            rnn.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
        }
        return y.toArray();
    }

    /** The largest row's {@code (max|W_ih[r]| * in * maxInput + max|W_hh[r]| * H * maxState) / 254} over layers and directions. */
    private static double bound(RnnDescriptor d, RnnWeights w, double maxInput, double maxState) {
        double worst = 0;
        for (int l = 0; l < d.layers(); l++) {
            for (int dir = 0; dir < d.directions(); dir++) {
                FloatTensor ih = w.get(RnnWeights.Param.WEIGHT_IH, l, dir), hh = w.get(RnnWeights.Param.WEIGHT_HH, l, dir);
                double in = l == 0 ? maxInput : maxState;
                for (int r = 0; r < ih.dim(0); r++) {
                    double maxIh = 0, maxHh = 0;
                    for (int k = 0; k < ih.dim(1); k++) {
                        maxIh = Math.max(maxIh, Math.abs(ih.get(r, k)));
                    }
                    for (int k = 0; k < hh.dim(1); k++) {
                        maxHh = Math.max(maxHh, Math.abs(hh.get(r, k)));
                    }
                    worst = Math.max(worst, (maxIh * ih.dim(1) * in + maxHh * hh.dim(1) * maxState) / (2.0 * Int8.MAX));
                }
            }
        }
        return worst;
    }

    /** int8's outputs, within the bound of float32's, and neither float32's nor bf16's bits (int8 was really used). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("workloads")
    void int8StaysWithinTheQuantizationBoundOfFloat32(String name, RnnDescriptor d) {
        RnnWeights w = RnnWeights.uniform(d, 42);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), new SplittableRandom(43));
        float[] exact = forward(d, w, Precision.FLOAT32, x), reduced = forward(d, w, Precision.INT8, x);
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
        System.out.printf(Locale.ROOT, "int8 vs float32 | %-9s | %s | max %.2e | median %.2e | rms %.2e | bound %.2e%n",
                name, d, max, median, rms, bound);
        assertTrue(max > 0, name + ": int8 gave float32's exact outputs: the int8 weights were not used");
        assertFalse(Arrays.equals(forward(d, w, Precision.BF16, x), reduced), name + ": int8 gave bf16's exact outputs");
        assertTrue(max <= bound, String.format(Locale.ROOT, "%s: largest difference %.3g past the bound %.3g", name, max,
                bound));
    }
}
