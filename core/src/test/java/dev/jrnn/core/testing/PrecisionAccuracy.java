package dev.jrnn.core.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.jrnn.core.rnn.BFloat16;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The accuracy contract of reduced precision (README, "Reduced precision: the accuracy contract"),
 * shared by every backend that runs bf16 or int8 weights: a backend's test extends this class and
 * names the backend. Each case runs the same weights and inputs with float32 weights and with
 * reduced ones on that backend, prints the outputs' largest and typical (median, root mean square)
 * difference as a Markdown table row, and asserts the largest against the contract's bound. Cases:
 * the bench's workload shapes W1-W8 (bench/Workload; PyTorch's initialization {@code U(-1/sqrt(H),
 * 1/sqrt(H))}, inputs in [-1, 1]) plus two-layer bidirectional LSTM and GRU stacks and a ReLU RNN, and every
 * committed PyTorch fixture (initial states, packed lengths, batch-first layouts). A precision the
 * backend does not run is skipped, by name; one that gives float32's or another precision's exact
 * outputs fails (its weights were not used).
 *
 * <p>The bound ({@link #bound}) is on one step's pre-activation {@code a_r = sum_k W[r][k] v[k]}:
 * <ul>
 * <li>bf16 rounds each weight by at most 2<sup>-8</sup> of itself: {@code |da_r| <= 2^-8 sum_k |W[r][k]| |v_k|};
 * <li>int8 rounds each weight by at most half its row's step, the step being {@code m_r / 127} with
 *     {@code m_r} the row's largest {@code |W|} over {@code weight_ih} and {@code weight_hh} and both
 *     directions (oneDNN's scales; simd scales each matrix's rows apart, which only shrinks its steps):
 *     {@code |da_r| <= m_r / 254 sum_k |v_k|};
 * <li>a backend that also stores the activations narrower (oneDNN: bf16 inputs, states and
 *     outputs, each within 2<sup>-8</sup> of itself; int8's u8 layer inputs within half a data step)
 *     adds {@code sum_k |W[r][k]| d_k}, {@code d_k} the largest change its rounding makes to
 *     {@code v_k} ({@link #activationError}), and its outputs' own rounding.
 * </ul>
 * with {@code |v| <= max|x|} for layer 0's inputs and {@code |v| <= max(1, max|h|)} for the states
 * and the upper layers' inputs ({@code h = o tanh(c)} and {@code tanh} stay in [-1, 1]; ReLU's do
 * not, so its largest output counts). An upper layer's inputs also carry the bound of the layer
 * below. The activations' slopes are at most 1 and these recurrences contract, so a step's change
 * is not magnified later; the bound is the worst case of every rounding error with one sign, and
 * random signs make the typical error about {@code sqrt(k)} times smaller. It is a bound on one
 * step's pre-activation that the outputs are checked against, not a proof for every weight matrix:
 * the printed {@code max/bound} column shows the margin.
 */
public abstract class PrecisionAccuracy {

    /** The backend under test. */
    protected abstract Backend backend();

    /**
     * {@code weights} prepared in {@code precision}. A backend that must see sample inputs first
     * (oneDNN's int8 calibrates its u8 inputs) overrides this and calibrates on {@code sample}.
     */
    protected PreparedRnn prepare(RnnDescriptor d, RnnWeights weights, Precision precision, FloatTensor sample) {
        return backend().prepare(d, weights, precision);
    }

    /**
     * The largest change this backend's {@code precision} makes to an activation (a layer's input,
     * a state, an output) of magnitude at most {@code largest} by storing it narrower: 0 when
     * activations stay float32 (weight-only precision, the default); {@code 2^-8 largest} for bf16
     * activations; half a step, {@code largest / 254}, for u8 activations calibrated to
     * {@code [-largest, largest]}.
     */
    protected double activationError(Precision precision, double largest) {
        return 0;
    }

    private static final List<Precision> REDUCED = List.of(Precision.BF16, Precision.INT8);

    /** bench/Workload's shapes (bench depends on every module, not the reverse), and three more stacks. */
    static List<Object[]> shapes() {
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
                new Object[] {"LSTM_L2_bi", new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 50, 4, 100, 200)},
                new Object[] {"GRU_L2_bi", new RnnDescriptor(CellKind.GRU, 2, Direction.BIDIRECTIONAL, 50, 4, 100, 200)},
                new Object[] {"RELU", new RnnDescriptor(CellKind.RNN_RELU, 1, Direction.UNIDIRECTIONAL, 50, 1, 100, 200)});
    }

    static List<Arguments> workloads() {
        List<Arguments> cases = new ArrayList<>();
        for (Precision p : REDUCED) {
            for (Object[] shape : shapes()) {
                cases.add(Arguments.of(p, shape[0], shape[1]));
            }
        }
        return cases;
    }

    static List<Arguments> fixtures() {
        List<Arguments> cases = new ArrayList<>();
        for (Precision p : REDUCED) {
            for (String name : PyTorchFixture.names()) {
                cases.add(Arguments.of(p, name));
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jrnn.core.testing.PrecisionAccuracy#workloads")
    void workloadStaysWithinTheBound(Precision precision, String name, RnnDescriptor d) {
        SplittableRandom random = new SplittableRandom(43);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random);
        check(precision, name, d, RnnWeights.uniform(d, 42), new Inputs(x, null, null, null));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("dev.jrnn.core.testing.PrecisionAccuracy#fixtures")
    void pyTorchFixtureStaysWithinTheBound(Precision precision, String name) {
        PyTorchFixture f = PyTorchFixture.load(name);
        RnnDescriptor d = f.descriptor();
        check(precision, name, d, f.weights(), new Inputs(f.sequence("input"), f.has("h0") ? f.tensor("h0") : null,
                f.has("c0") ? f.tensor("c0") : null, f.lengths()));
    }

    /** A case's inputs: {@code x [T, N, I]}, optional initial states and lengths. */
    private record Inputs(FloatTensor x, FloatTensor h0, FloatTensor c0, int[] lengths) {
    }

    private void check(Precision precision, String name, RnnDescriptor d, RnnWeights w, Inputs in) {
        assumeTrue(backend().precisions().contains(precision), () -> backend().refusal(precision));
        float[] reduced;
        try {
            reduced = forward(d, w, precision, in);
        } catch (UnsupportedOperationException e) { // e.g. oneDNN has no int8 for GRU or vanilla RNN cells
            abort("not run: " + backend().name() + " refuses this cell in " + precision + " (" + e.getMessage() + ")");
            return;
        }
        float[] exact = forward(d, w, Precision.FLOAT32, in);
        // over the valid steps only: past a packed sequence's length both outputs are 0
        int batch = d.batch(), width = d.outputSize();
        double[] diff = new double[exact.length];
        int count = 0;
        double squares = 0, maxState = Math.max(1, in.h0() == null ? 0 : largest(in.h0().toArray()));
        for (int i = 0; i < exact.length; i++) {
            int t = i / (batch * width), n = i / width % batch;
            if (in.lengths() == null || t < in.lengths()[n]) {
                diff[count] = Math.abs((double) reduced[i] - exact[i]);
                squares += diff[count] * diff[count];
                count++;
            }
            maxState = Math.max(maxState, Math.abs(exact[i]));
        }
        diff = Arrays.copyOf(diff, count);
        Arrays.sort(diff);
        double max = diff[diff.length - 1], median = diff[diff.length / 2], rms = Math.sqrt(squares / diff.length);
        double bound = bound(precision, w, largest(in.x().toArray()), maxState);
        System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %.2e | %.2e | %.2e | %.2e | %.2f |%n", backend().name(), precision,
                name, d, max, median, rms, bound, max / bound);
        assertTrue(max > 0, name + ": " + precision + " gave float32's exact outputs: the " + precision + " weights were not used");
        for (Precision other : REDUCED) {
            if (other != precision && backend().precisions().contains(other)) {
                float[] theirs;
                try {
                    theirs = forward(d, w, other, in);
                } catch (UnsupportedOperationException e) {
                    continue;
                }
                assertFalse(Arrays.equals(theirs, reduced), name + ": " + precision + " gave " + other + "'s exact outputs");
            }
        }
        assertTrue(max <= bound, String.format(Locale.ROOT, "%s %s: largest difference %.3g past the bound %.3g", name, precision,
                max, bound));
    }

    private float[] forward(RnnDescriptor d, RnnWeights w, Precision precision, Inputs in) {
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape());
        try (PreparedRnn rnn = prepare(d, w, precision, in.x()); Workspace ws = rnn.newWorkspace()) {
            rnn.forward(Mode.INFERENCE, new RnnForward(in.x(), in.h0(), in.c0(), y, null, null, in.lengths()), ws);
        }
        return y.toArray();
    }

    private static double largest(float[] values) {
        double m = 0;
        for (float v : values) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    /**
     * The contract's bound (see the class comment) on the top layer's outputs: one step's
     * pre-activation change, the largest over every row and direction, carried up the layers, plus
     * each layer's outputs' own rounding. Layer 0's inputs are at most {@code maxInput}, the states
     * and upper layers' inputs at most {@code maxState}.
     */
    protected double bound(Precision precision, RnnWeights w, double maxInput, double maxState) {
        double below = 0; // how far the layer below's outputs, this layer's inputs, may have moved
        for (int l = 0; l < w.architecture().layers(); l++) {
            double in = l == 0 ? maxInput : maxState;
            double inError = activationError(precision, in) + below, stateError = activationError(precision, maxState);
            double[] largest = largestPerRow(w, l);
            double worst = 0;
            for (int dir = 0; dir < w.architecture().directions(); dir++) {
                FloatTensor ih = w.get(RnnWeights.Param.WEIGHT_IH, l, dir), hh = w.get(RnnWeights.Param.WEIGHT_HH, l, dir);
                for (int r = 0; r < ih.dim(0); r++) {
                    double sumIn = 0, sumState = 0, largestWeight = largest[r];
                    for (int k = 0; k < ih.dim(1); k++) {
                        sumIn += Math.abs(ih.get(r, k));
                    }
                    for (int k = 0; k < hh.dim(1); k++) {
                        sumState += Math.abs(hh.get(r, k));
                    }
                    double weights = switch (precision) {
                        case BF16 -> BFloat16.MAX_RELATIVE_ERROR * (sumIn * in + sumState * maxState);
                        case INT8 -> largestWeight / 254 * (ih.dim(1) * in + hh.dim(1) * maxState);
                        case FLOAT32 -> 0;
                    };
                    // a quantized activation meets a rounded weight: at most (|W| + the weight's own error) per term
                    double slack = precision == Precision.INT8 ? largestWeight / 254 : BFloat16.MAX_RELATIVE_ERROR * largestWeight;
                    double activations = (sumIn + ih.dim(1) * slack) * inError + (sumState + hh.dim(1) * slack) * stateError;
                    worst = Math.max(worst, weights + activations);
                }
            }
            below = worst + activationError(precision, maxState);
        }
        return below;
    }

    /** Layer {@code l}'s largest {@code |W|} of each row over {@code W_ih} and {@code W_hh} and both directions: int8's widest row scale. */
    private static double[] largestPerRow(RnnWeights w, int l) {
        double[] largest = new double[w.get(RnnWeights.Param.WEIGHT_IH, l, 0).dim(0)];
        for (int dir = 0; dir < w.architecture().directions(); dir++) {
            for (RnnWeights.Param p : new RnnWeights.Param[] {RnnWeights.Param.WEIGHT_IH, RnnWeights.Param.WEIGHT_HH}) {
                FloatTensor m = w.get(p, l, dir);
                for (int r = 0; r < m.dim(0); r++) {
                    for (int k = 0; k < m.dim(1); k++) {
                        largest[r] = Math.max(largest[r], Math.abs(m.get(r, k)));
                    }
                }
            }
        }
        return largest;
    }
}
