package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import dev.jrnn.core.rnn.RnnWeights.Param;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import dev.jrnn.core.testing.BackendConformance;
import dev.jrnn.core.testing.Tensors;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * bf16 and int8 inference on oneDNN against float32 (the reference backend, double precision inside).
 *
 * <p><b>The bounds.</b> One step's pre-activation {@code sum_k W[r][k] v[k]} moves by at most
 * {@code sum_k |dW[r][k]| |v[k]| + sum_k |W[r][k]| |dv[k]|} (plus the product of the two, counted
 * in) when the weights move by {@code dW} and the activations by {@code dv}; {@code |v| <= max|x|}
 * for layer 0's inputs and {@code |v| <= 1} for {@code h} states and upper layers' inputs. As in
 * simd's Bf16AccuracyTest, the activations do not magnify a change (slopes at most 1) and these
 * stacks' recurrences contract, so a layer's outputs move by at most that one-step bound, plus the
 * rounding of the outputs themselves, plus what the layer below passed up ({@code max_r sum_k
 * |W_ih[r][k]|} times the lower layer's bound). Worst cases, every error with the same sign.
 * <ul>
 * <li>bf16: weights and activations (inputs, {@code h} states, outputs) are rounded to bf16, each
 * by at most {@code 2^-8} of itself ({@link BFloat16#MAX_RELATIVE_ERROR}). Against the reference on
 * the rounded weights only the activations' term remains: oneDNN's bf16 RNN computes on bf16
 * activations, so the conformance suite's float32 tolerance (1e-5) cannot hold; this bound does.
 * <li>int8: a weight moves by at most half its row's step, {@code max|w_row| / 254} (scale {@code
 * 127 / max|w_row|}); a layer input or state by at most half the data step, {@code 1 / (2 *
 * data_scale)} ({@code u8 = data_scale * x + shift}: layer 0 spans the calibrated range and [-1, 1],
 * upper layers [-1, 1]); the outputs are dequantized u8 values, another half step.
 * </ul>
 */
class OneDnnPrecisionTest {

    private static final Backend ONEDNN = new OneDnnBackend(), REFERENCE = Backends.reference();

    /** A problem and its per-sequence lengths (null: all T). */
    record Case(RnnDescriptor d, int[] lengths) {
        @Override
        public String toString() {
            return d + (lengths == null ? "" : " lengths " + Arrays.toString(lengths));
        }
    }

    private static final int[] SIZES = {1, 3, 7, 9, 17, 5, 19, 33};

    /** Every cell (int8: LSTM), both directions, 1 and 2 layers; batch 1 (one step, several) and mixed-length batches. */
    static List<Case> grid(boolean lstmOnly) {
        int[][] problems = {{1, 1}, {6, 1}, {5, 3}, {7, 9}};
        List<Case> grid = new ArrayList<>();
        int k = 0;
        for (CellKind cell : lstmOnly ? new CellKind[] {CellKind.LSTM} : CellKind.values()) {
            for (Direction direction : Direction.values()) {
                for (int layers = 1; layers <= 2; layers++) {
                    for (int[] tn : problems) {
                        k++;
                        RnnDescriptor d = new RnnDescriptor(cell, layers, direction, tn[0], tn[1],
                                SIZES[k % SIZES.length], SIZES[(k * 5 + 3) % SIZES.length] + 8);
                        grid.add(new Case(d, tn[1] > 1 ? BackendConformance.mixedLengths(tn[0], tn[1], k) : null));
                    }
                }
            }
        }
        return grid;
    }

    static List<Case> bf16Grid() {
        return grid(false);
    }

    static List<Case> int8Grid() {
        return grid(true);
    }

    /** The outputs of one inference forward. */
    record Out(FloatTensor y, FloatTensor hn, FloatTensor cn) {
    }

    /** Inputs in [-2, 2] (so layer 0's range is not the states'), initial states in [-1, 1]. */
    private static FloatTensor[] inputs(Case c) {
        SplittableRandom random = new SplittableRandom(c.toString().hashCode());
        FloatTensor x = Tensors.uniform(c.d().srcLayerShape(), random);
        for (long i = 0; i < x.size(); i++) {
            x.setFlat(i, 2 * x.getFlat(i));
        }
        FloatTensor h0 = Tensors.uniform(c.d().iterShape(), random);
        FloatTensor c0 = c.d().cell().hasCellState() ? Tensors.uniform(c.d().iterShape(), random) : null;
        return new FloatTensor[] {x, h0, c0};
    }

    private static Out run(Backend backend, Case c, RnnWeights w, Precision precision, Calibration calibration) {
        RnnDescriptor d = c.d();
        FloatTensor[] in = inputs(c);
        boolean lstm = d.cell().hasCellState();
        Out o = new Out(nan(d.dstLayerShape()), nan(d.iterShape()), lstm ? nan(d.iterShape()) : null);
        try (PreparedRnn rnn = backend.prepare(d, w, precision, calibration); Workspace ws = rnn.newWorkspace()) {
            assertEquals(precision, rnn.precision());
            rnn.forward(Mode.INFERENCE, new RnnForward(in[0], in[1], in[2], o.y(), o.hn(), o.cn(), c.lengths()), ws);
        }
        return o;
    }

    private static FloatTensor nan(Shape shape) {
        FloatTensor t = FloatTensor.zeros(shape);
        t.fill(Float.NaN);
        return t;
    }

    /** Largest absolute difference; NaN if either has a NaN (an output not written). */
    private static double maxDiff(FloatTensor a, FloatTensor b) {
        double worst = 0;
        for (long i = 0; i < a.size(); i++) {
            double d = Math.abs((double) a.getFlat(i) - b.getFlat(i));
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            worst = Math.max(worst, d);
        }
        return worst;
    }

    /**
     * The bound of the class comment: per layer, {@code max_r [weightError(r) * sum_k |v_k| + dataError
     * * sum_k |W[r][k]|]} over the row's input part ({@code |v| <= inputMax[l]}) and state part
     * ({@code |v| <= stateMax}), plus the output's own {@code outputError[l]}, plus {@code max_r sum_k
     * |W_ih[r][k]|} times the layer below's bound.
     *
     * @param relativeWeightError a weight's error as a fraction of itself (bf16), or 0
     * @param rowWeightError per layer, per row in PyTorch order ({@code d * G*H + r}): an absolute weight error (int8), or null
     * @param dataError per layer, a layer input's or state's largest error, absolute; for bf16 relative to {@code |v|} ({@code relativeData})
     */
    static double bound(RnnDescriptor d, RnnWeights w, double relativeWeightError, double[][] rowWeightError,
                                double[] dataError, boolean relativeData, double[] inputMax, double stateMax,
                                double[] outputError) {
        double below = 0;
        for (int l = 0; l < d.layers(); l++) {
            double step = 0, passUp = 0;
            for (int dir = 0; dir < d.directions(); dir++) {
                FloatTensor ih = w.get(Param.WEIGHT_IH, l, dir), hh = w.get(Param.WEIGHT_HH, l, dir);
                for (int r = 0; r < ih.dim(0); r++) {
                    double dw = rowWeightError == null ? 0 : rowWeightError[l][dir * ih.dim(0) + r];
                    double sum = 0, ihSum = 0;
                    for (int k = 0; k < ih.dim(1); k++) {
                        double a = Math.abs(ih.get(r, k)), v = inputMax[l];
                        double dv = relativeData ? dataError[l] * v : dataError[l];
                        sum += (a * relativeWeightError + dw) * (v + dv) + a * dv;
                        ihSum += a;
                    }
                    for (int k = 0; k < hh.dim(1); k++) {
                        double a = Math.abs(hh.get(r, k)), dv = relativeData ? dataError[l] * stateMax : dataError[l];
                        sum += (a * relativeWeightError + dw) * (stateMax + dv) + a * dv;
                    }
                    step = Math.max(step, sum);
                    passUp = Math.max(passUp, ihSum);
                }
            }
            below = step + outputError[l] + passUp * below;
        }
        return below;
    }

    static double[] filled(int layers, double first, double others) {
        double[] v = new double[layers];
        Arrays.fill(v, others);
        v[0] = first;
        return v;
    }

    // ---- bf16

    private static boolean runs(Precision p) {
        return ONEDNN.precisions().contains(p);
    }

    /**
     * Against the reference on the bf16-rounded weights: what is left is oneDNN's rounding of the
     * activations (inputs, {@code h} states, outputs: {@code 2^-8} each), within its bound.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("bf16Grid")
    void bf16MatchesTheReferenceOnTheRoundedWeights(Case c) {
        assumeTrue(runs(Precision.BF16), "oneDNN runs no bf16 RNN here");
        RnnDescriptor d = c.d();
        RnnWeights w = RnnWeights.uniform(d, c.toString().hashCode()), rounded = BFloat16.roundMatrices(w);
        Out want = run(REFERENCE, c, rounded, Precision.FLOAT32, null);
        Out got = run(ONEDNN, c, w, Precision.BF16, null);
        double e = BFloat16.MAX_RELATIVE_ERROR, maxState = maxState(d, want);
        double tol = bound(d, rounded, 0, null, filled(d.layers(), e, e), true, filled(d.layers(), 2, maxState),
                maxState, filled(d.layers(), e * maxState, e * maxState)) + 1e-5;
        assertWithin("bf16 vs reference on rounded weights", c, want, got, tol);
    }

    /** Against float32 weights: the weights' rounding too, within Bf16AccuracyTest's bound plus the activations'. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("bf16Grid")
    void bf16StaysWithinItsBoundOfFloat32(Case c) {
        assumeTrue(runs(Precision.BF16), "oneDNN runs no bf16 RNN here");
        RnnDescriptor d = c.d();
        RnnWeights w = RnnWeights.uniform(d, c.toString().hashCode());
        Out want = run(REFERENCE, c, w, Precision.FLOAT32, null);
        Out got = run(ONEDNN, c, w, Precision.BF16, null);
        double e = BFloat16.MAX_RELATIVE_ERROR, maxState = maxState(d, want);
        double tol = bound(d, w, e, null, filled(d.layers(), e, e), true, filled(d.layers(), 2, maxState),
                maxState, filled(d.layers(), e * maxState, e * maxState)) + 1e-5;
        assertTrue(maxDiff(want.y(), got.y()) > 0, c + ": bf16 gave float32's exact outputs");
        assertWithin("bf16 vs float32", c, want, got, tol);
    }

    /** 1, or the largest |output| of a ReLU stack (its states are not bounded by 1). */
    private static double maxState(RnnDescriptor d, Out o) {
        double m = 1;
        if (d.cell() == CellKind.RNN_RELU) {
            for (long i = 0; i < o.y().size(); i++) {
                m = Math.max(m, Math.abs(o.y().getFlat(i)));
            }
            for (long i = 0; i < o.hn().size(); i++) {
                m = Math.max(m, Math.abs(o.hn().getFlat(i)));
            }
        }
        return m;
    }

    private static void assertWithin(String what, Case c, Out want, Out got, double tol) {
        double y = maxDiff(want.y(), got.y()), hn = maxDiff(want.hn(), got.hn());
        double cn = want.cn() == null ? 0 : maxDiff(want.cn(), got.cn());
        String report = String.format(Locale.ROOT, "%s, %s: output %.3g, h_n %.3g, c_n %.3g, bound %.3g", what, c, y, hn,
                cn, tol);
        assertTrue(y <= tol && hn <= tol, report);
        // c is f32 in oneDNN, but moves with every gate: the same bound, scaled by the steps it sums over
        assertTrue(cn <= tol * Math.max(1, c.d().steps()), report);
    }

    // ---- int8

    /** The calibration of a case: its inputs' range. */
    private static Calibration calibration(Case c) {
        return Calibration.of(inputs(c)[0]);
    }

    /** Per layer, per PyTorch row ({@code d * G*H + r}): half the row's int8 step, {@code max|w| / 254} over both matrices and directions. */
    static double[][] int8WeightErrors(RnnDescriptor d, RnnWeights w) {
        int rows = d.cell().gates() * d.hiddenSize();
        double[][] errors = new double[d.layers()][d.directions() * rows];
        for (int l = 0; l < d.layers(); l++) {
            for (int r = 0; r < rows; r++) {
                double max = 0;
                for (int dir = 0; dir < d.directions(); dir++) {
                    for (Param p : new Param[] {Param.WEIGHT_IH, Param.WEIGHT_HH}) {
                        FloatTensor t = w.get(p, l, dir);
                        for (int k = 0; k < t.dim(1); k++) {
                            max = Math.max(max, Math.abs(t.get(r, k)));
                        }
                    }
                }
                for (int dir = 0; dir < d.directions(); dir++) {
                    errors[l][dir * rows + r] = max / 254;
                }
            }
        }
        return errors;
    }

    /**
     * Within the bound of the class comment from the quantization steps, and visibly int8: the
     * outputs differ from float32's and every output and {@code h_n} is a dequantized u8 value of
     * its layer's data scale and shift (float32 would land on that grid only by chance).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("int8Grid")
    void int8StaysWithinTheQuantizationBoundOfFloat32(Case c) {
        assumeTrue(runs(Precision.INT8), "oneDNN runs no int8 RNN here");
        RnnDescriptor d = c.d();
        RnnWeights w = RnnWeights.uniform(d, c.toString().hashCode());
        Calibration calibration = calibration(c);
        Out want = run(REFERENCE, c, w, Precision.FLOAT32, null);
        Out got = run(ONEDNN, c, w, Precision.INT8, calibration);
        float[] scale = new float[d.layers()], shift = new float[d.layers()];
        try (OneDnnRnn rnn = new OneDnnRnn(d.architecture(), w, Precision.INT8, calibration)) {
            for (int l = 0; l < d.layers(); l++) {
                scale[l] = rnn.dataScale[l];
                shift[l] = rnn.dataShift[l];
            }
        }
        double[] halfStep = new double[d.layers()];
        for (int l = 0; l < d.layers(); l++) {
            halfStep[l] = 0.5 / scale[l];
        }
        double inputMax = Math.max(Math.abs(calibration.min()), Math.abs(calibration.max()));
        double tol = bound(d, w, 0, int8WeightErrors(d, w), halfStep, false, filled(d.layers(), inputMax, 1), 1,
                halfStep)
                + 1e-5;
        assertTrue(maxDiff(want.y(), got.y()) > 0, c + ": int8 gave float32's exact outputs");
        assertWithin("int8 vs float32", c, want, got, tol);
        int top = d.layers() - 1;
        assertOnGrid("output", got.y(), scale[top], shift[top], c);
        for (int l = 0; l < d.layers(); l++) {
            assertOnGrid("h_n of layer " + l, got.hn().slice(0, l * d.directions(), (l + 1) * d.directions()), scale[l],
                    shift[l], c);
        }
    }

    private static void assertOnGrid(String what, FloatTensor t, float scale, float shift, Case c) {
        for (long i = 0; i < t.size(); i++) {
            double q = t.getFlat(i) * (double) scale + shift;
            assertTrue(Math.abs(q - Math.rint(q)) < 1e-3 && q > -0.5 && q < 255.5, what + " of " + c + " at " + i + ": "
                    + t.getFlat(i) + " is not a dequantized u8 of scale " + scale + ", shift " + shift);
        }
    }

    /**
     * Weights and inputs on the int8 grids (each row's largest |w| 127 steps, the inputs dequantized
     * u8 values): with the right scales nothing is lost in quantizing them, so one step's outputs are
     * float32's rounded to the data grid, within half a step. Scales other than {@code 127 / max|w|}
     * per row (a common one, another row's, another gate order) would move the weights.
     */
    @Test
    void int8QuantizesWithThePerRowScales() {
        assumeTrue(runs(Precision.INT8), "oneDNN runs no int8 RNN here");
        for (Direction direction : Direction.values()) {
            RnnDescriptor d = new RnnDescriptor(CellKind.LSTM, 1, direction, 1, 3, 6, 10);
            RnnWeights w = RnnWeights.zeros(d);
            SplittableRandom random = new SplittableRandom(5);
            int rows = 4 * d.hiddenSize();
            for (int r = 0; r < rows; r++) {
                double rowMax = 0.05 + 0.3 * r / rows; // a different range per row
                for (int dir = 0; dir < d.directions(); dir++) {
                    for (Param p : new Param[] {Param.WEIGHT_IH, Param.WEIGHT_HH}) {
                        FloatTensor t = w.get(p, 0, dir);
                        for (int k = 0; k < t.dim(1); k++) {
                            boolean peak = dir == 0 && p == Param.WEIGHT_IH && k == 0;
                            int q = peak ? 127 : random.nextInt(-127, 128);
                            t.set(r, k, (float) (rowMax * q / 127));
                        }
                    }
                }
            }
            Calibration calibration = new Calibration(-1, 1); // scale 127, shift 128
            Case c = new Case(d, null);
            FloatTensor[] in = inputs(c);
            FloatTensor x = in[0];
            for (long i = 0; i < x.size(); i++) {
                x.setFlat(i, (float) (Math.rint(Math.clamp(x.getFlat(i) / 2, -1, 1) * 127) / 127));
            }
            FloatTensor y = FloatTensor.zeros(d.dstLayerShape()), want = FloatTensor.zeros(d.dstLayerShape());
            try (PreparedRnn rnn = ONEDNN.prepare(d, w, Precision.INT8, calibration); Workspace ws = rnn.newWorkspace();
                 PreparedRnn ref = REFERENCE.prepare(d, w); Workspace refWs = ref.newWorkspace()) {
                rnn.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
                ref.forward(Mode.INFERENCE, RnnForward.of(x, want), refWs);
            }
            double worst = maxDiff(want, y);
            assertTrue(worst <= 0.5 / 127 + 1e-5, direction + ": int8 differs from float32 by " + worst
                    + ", more than half a data step (1/254)");
        }
    }

    // ---- both: refusals, allocation, reports

    @Test
    void claimsWhatOneDnnRunsHereAndSaysSo() {
        String implementation = ONEDNN.implementation();
        System.out.println("onednn: " + ONEDNN.precisions() + "; " + implementation);
        assertTrue(ONEDNN.precisions().contains(Precision.FLOAT32));
        assertTrue(implementation.contains("AMX"), implementation);
        for (Precision p : Precision.values()) {
            assertEquals(ONEDNN.precisions().contains(p), implementation.contains(", " + p + " by "), implementation);
        }
        // this project's machines have avx512_bf16 and VNNI: oneDNN must find its bf16 and int8 RNNs there
        if (Dnnl.effectiveIsa().startsWith("avx512_core_bf16") || Dnnl.hasAmx()) {
            assertTrue(ONEDNN.precisions().containsAll(List.of(Precision.BF16, Precision.INT8)), implementation);
        }
    }

    @Test
    void int8RefusesOtherCellsByNameAndRunsNothingWithoutACalibration() {
        assumeTrue(runs(Precision.INT8), "oneDNN runs no int8 RNN here");
        Calibration calibration = new Calibration(-1, 1);
        for (CellKind cell : new CellKind[] {CellKind.GRU, CellKind.RNN_TANH, CellKind.RNN_RELU}) {
            RnnDescriptor d = new RnnDescriptor(cell, 1, Direction.UNIDIRECTIONAL, 2, 2, 3, 4);
            var e = assertThrows(UnsupportedOperationException.class,
                    () -> ONEDNN.prepare(d, RnnWeights.uniform(d, 1), Precision.INT8, calibration));
            assertTrue(e.getMessage().contains("LSTM only") && e.getMessage().contains(cell == CellKind.GRU
                    ? "linear-before-reset GRU" : cell.toString()), e.getMessage());
        }
        RnnDescriptor d = new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 2, 2, 3, 4);
        var e = assertThrows(IllegalArgumentException.class, () -> ONEDNN.prepare(d, RnnWeights.uniform(d, 1), Precision.INT8));
        assertTrue(e.getMessage().contains("'onednn'") && e.getMessage().contains("Calibration"), e.getMessage());
        try (PreparedRnn rnn = ONEDNN.prepare(d, RnnWeights.uniform(d, 1), Precision.INT8, calibration)) {
            var update = assertThrows(UnsupportedOperationException.class, () -> rnn.update(RnnWeights.uniform(d, 2)));
            assertTrue(update.getMessage().contains("prepare a new int8 plan"), update.getMessage());
        }
        var bad = assertThrows(IllegalArgumentException.class, () -> new Calibration(1, -1));
        assertTrue(bad.getMessage().contains("min <= max"), bad.getMessage());
        FloatTensor withNaN = FloatTensor.zeros(2, 3);
        withNaN.set(1, 2, Float.NaN);
        var nan = assertThrows(IllegalArgumentException.class, () -> Calibration.of(withNaN));
        assertTrue(nan.getMessage().contains("[1, 2]"), nan.getMessage());
    }

    @Test
    void reducedPrecisionsServeInferenceOnlyAndBf16Updates() {
        assumeTrue(runs(Precision.BF16), "oneDNN runs no bf16 RNN here");
        Case c = new Case(new RnnDescriptor(CellKind.GRU, 2, Direction.BIDIRECTIONAL, 4, 3, 9, 17), null);
        RnnWeights first = RnnWeights.uniform(c.d(), 1), second = RnnWeights.uniform(c.d(), 2);
        Out fresh = run(ONEDNN, c, second, Precision.BF16, null);
        try (PreparedRnn rnn = ONEDNN.prepare(c.d(), first, Precision.BF16); Workspace ws = rnn.newWorkspace()) {
            FloatTensor[] in = inputs(c);
            FloatTensor y = FloatTensor.zeros(c.d().dstLayerShape());
            var training = assertThrows(UnsupportedOperationException.class,
                    () -> rnn.forward(Mode.TRAINING, RnnForward.of(in[0], y), ws));
            assertTrue(training.getMessage().contains("inference only"), training.getMessage());
            rnn.update(second);
            FloatTensor hn = FloatTensor.zeros(c.d().iterShape());
            rnn.forward(Mode.INFERENCE, new RnnForward(in[0], in[1], null, y, hn, null, null), ws);
            assertEquals(0, maxDiff(fresh.y(), y), "an updated bf16 plan computes what a new plan of the new weights does");
        }
    }

    static List<Object[]> allocationCases() {
        List<Object[]> cases = new ArrayList<>();
        for (Precision p : Precision.values()) {
            for (CellKind cell : p == Precision.INT8 ? new CellKind[] {CellKind.LSTM} : CellKind.values()) {
                cases.add(new Object[] {p, new Case(new RnnDescriptor(cell, 2, Direction.UNIDIRECTIONAL, 1, 1, 10, 20), null)});
                cases.add(new Object[] {p, new Case(new RnnDescriptor(cell, 2, Direction.BIDIRECTIONAL, 6, 3, 10, 20),
                        new int[] {2, 6, 1})});
                cases.add(new Object[] {p, new Case(new RnnDescriptor(cell, 2, Direction.UNIDIRECTIONAL, 6, 3, 10, 20),
                        new int[] {2, 6, 1})});
            }
        }
        return cases;
    }

    /** Once a workspace has run a problem, running it again allocates no Java memory, in every precision. */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("allocationCases")
    void steadyStateInferenceAllocatesNothing(Precision precision, Case c) {
        assumeTrue(runs(precision), "oneDNN runs no " + precision + " RNN here");
        RnnDescriptor d = c.d();
        FloatTensor[] in = inputs(c);
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape()), hn = FloatTensor.zeros(d.iterShape());
        FloatTensor cn = d.cell().hasCellState() ? FloatTensor.zeros(d.iterShape()) : null;
        RnnForward io = new RnnForward(in[0], in[1], in[2], y, hn, cn, c.lengths());
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (PreparedRnn rnn = ONEDNN.prepare(d, RnnWeights.uniform(d, 2), precision, Calibration.of(in[0]));
             Workspace ws = rnn.newWorkspace()) {
            long allocated = Long.MAX_VALUE;
            for (int round = 0; round < 10 && allocated > 0; round++) {
                for (int i = 0; i < 200; i++) {
                    rnn.forward(Mode.INFERENCE, io, ws);
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 200; i++) {
                    rnn.forward(Mode.INFERENCE, io, ws);
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, allocated, "bytes allocated by 200 " + precision + " forward calls of " + c);
        }
    }
}
