package dev.jrnn.simd;

import static dev.jrnn.core.testing.Close.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import dev.jrnn.simd.Bf16Test.Case;
import dev.jrnn.simd.Bf16Test.Out;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * simd's int8 weights ({@link Int8}): the quantizer's contract; the kernels against the reference
 * run in float32 on the dequantized weights ({@code q * s}: the test checks the kernels, not the
 * quantization); the row kernel bit for bit against Gemm's float kernels on the same integers
 * followed by the scale; a sequence's bits the same alone (the row kernel) as in a batch (the
 * widened copy); every thread split. (Not bit for bit against float32 on the dequantized weights,
 * as {@link Bf16Test} is: int8 scales each output's sum once, float32 would scale each weight, and
 * the two round differently.) Zero allocation per call, an update and training's refusal:
 * {@link Bf16Test}, which runs them for int8 too. The accuracy against float32 weights is
 * {@link SimdPrecisionAccuracyTest}'s.
 */
@Tag("width")
class Int8Test {

    private static final Backend REFERENCE = Backends.reference(), SIMD = new SimdBackend();

    static List<Case> grid() {
        return Bf16Test.grid();
    }

    /** Every quantized weight is an integer in [-127, 127], within half a step ({@code s / 2}) of the weight; the row's largest is +-127. */
    @Test
    void quantizesEachRowSymmetricallyWithinHalfAStep() {
        SplittableRandom random = new SplittableRandom(5);
        int rows = 40, cols = 23;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextDouble(-1, 1) * Math.pow(10, random.nextInt(-6, 3))); // rows of any magnitude
        }
        for (int c = 0; c < cols; c++) {
            w[7 * cols + c] = 0f; // a row of zeros: scale 0, every q 0
        }
        float[] q = w.clone(), scales = new float[rows];
        Int8.quantizeRows(q, rows, cols, scales);
        for (int r = 0; r < rows; r++) {
            double max = 0;
            int top = 0;
            for (int c = 0; c < cols; c++) {
                max = Math.max(max, Math.abs(w[r * cols + c]));
            }
            assertEquals((float) max / 127f, scales[r], "scale of row " + r);
            for (int c = 0; c < cols; c++) {
                float v = q[r * cols + c];
                assertTrue(v == Math.rint(v) && Math.abs(v) <= 127, "q " + v + " at " + r + "," + c);
                top = Math.max(top, (int) Math.abs(v));
                double error = Math.abs((double) v * scales[r] - w[r * cols + c]);
                assertTrue(error <= scales[r] / 2 * (1 + 1e-6), "row " + r + " col " + c + ": moved by " + error
                        + ", half a step is " + scales[r] / 2);
            }
            assertEquals(max == 0 ? 0 : 127, top, "largest |q| of row " + r);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("grid")
    void matchesTheReferenceOnTheDequantizedWeights(Case c) {
        RnnWeights w = RnnWeights.uniform(c.d(), c.toString().hashCode());
        Out want = Bf16Test.run(REFERENCE, c, Int8.dequantizeMatrices(w), Precision.FLOAT32);
        Out got = Bf16Test.run(SIMD, c, w, Precision.INT8);
        double tol = Bf16Test.tolerance(c.d());
        assertClose("dstLayer " + c, want.y(), got.y(), tol, tol);
        assertClose("dstIter " + c, want.hn(), got.hn(), tol, tol);
        if (want.cn() != null) {
            assertClose("dstIterC " + c, want.cn(), got.cn(), tol, tol);
        }
    }

    /**
     * The row kernel on the int8 panels against Gemm's kernels (the 8-row tile's and the row's) on
     * the same integers widened to floats, started from zeros, then {@code fma(sum, scale, bias)} per
     * element: the same bits; and {@link Int8#scaleRows} on Gemm's sums gives them too.
     */
    @Test
    void rowKernelIsGemmOnTheIntegersThenTheScale() {
        int[][] shapes = {{4, 2 * SimdSpecies.PANEL, 37}, {3, SimdSpecies.PANEL, 1}, {1, 3 * SimdSpecies.PANEL, 64}};
        SplittableRandom random = new SplittableRandom(11);
        for (int[] shape : shapes) {
            int gates = shape[0], hidden = shape[1], k = shape[2], width = gates * hidden, m = 9;
            float[] w = new float[width * k], scales = new float[width], a = new float[m * k];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) random.nextDouble(-0.3, 0.3);
            }
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextDouble(-1, 1);
            }
            Int8.quantizeRows(w, width, k, scales);
            float[] panels = new float[width * k];
            Gemm.packGatesTransposed(w, gates, hidden, k, panels);
            for (float[] bias : new float[][] {null, uniform(width, random)}) {
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment bytes = arena.allocate(Int8.bytes(panels.length), 64);
                    Int8.pack(panels, panels.length, bytes);
                    MemorySegment floats = Gemm.aligned(arena, panels);
                    float[] sums = new float[m * width], want = new float[m * width];
                    Gemm.gatesUnchecked(m, k, a, 0, k, 1, floats, gates, hidden, 0, hidden / SimdSpecies.PANEL, sums, 0,
                            width, null, false);
                    for (int i = 0; i < m * width; i++) {
                        want[i] = Math.fma(sums[i], scales[i % width], bias == null ? 0f : bias[i % width]);
                    }
                    float[] row = new float[m * width];
                    for (int i = 0; i < m; i++) {
                        Int8.gatesRow(k, a, i * k, bytes, scales, gates, hidden, 0, hidden / SimdSpecies.PANEL, row,
                                i * width, bias);
                    }
                    String what = "gates " + gates + ", hidden " + hidden + ", k " + k + (bias == null ? "" : ", bias");
                    assertArrayEquals(want, row, "row kernel, " + what);
                    Int8.scaleRows(m, sums, 0, width, scales, bias, gates, hidden, 0, hidden / SimdSpecies.PANEL);
                    assertArrayEquals(want, sums, "scaleRows, " + what);
                    MemorySegment widened = Gemm.aligned(arena, panels.length);
                    Int8.widen(bytes, k, 0, width / SimdSpecies.PANEL, widened);
                    assertArrayEquals(panels, widened.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT), "widen, " + what);
                }
            }
        }
    }

    private static float[] uniform(int n, SplittableRandom random) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextDouble(-1, 1);
        }
        return v;
    }

    /** The batched cases of the grid. */
    static List<Case> batches() {
        return grid().stream().filter(c -> c.d().batch() > 1).toList();
    }

    /**
     * Each sequence of a batch (whose recurrent products run on the widened integers), run alone
     * (batch 1: the row kernel on the bytes), gives the same bits. (ThreadsTest's caveat: the JIT may
     * move an activation's last bit between two runs once, so a disagreement is measured again.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("batches")
    void aSequenceAloneGivesTheBitsItHasInABatch(Case c) {
        RnnDescriptor d = c.d();
        RnnWeights w = RnnWeights.uniform(d, c.toString().hashCode());
        SplittableRandom random = new SplittableRandom(c.toString().hashCode());
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random), h0 = Tensors.uniform(d.iterShape(), random);
        boolean lstm = d.cell().hasCellState();
        FloatTensor c0 = lstm ? Tensors.uniform(d.iterShape(), random) : null;
        try (PreparedRnn rnn = SIMD.prepare(d.architecture(), w, Precision.INT8); Workspace ws = rnn.newWorkspace()) {
            Out all = forward(rnn, ws, x, h0, c0, c.lengths(), d);
            for (int n = 0; n < d.batch(); n++) {
                int length = c.lengths() == null ? d.steps() : c.lengths()[n];
                FloatTensor xn = FloatTensor.zeros(length, 1, d.inputSize());
                FloatTensor hn0 = FloatTensor.zeros(d.iterShape().dims()[0], 1, d.hiddenSize());
                FloatTensor cn0 = lstm ? FloatTensor.zeros(d.iterShape().dims()[0], 1, d.hiddenSize()) : null;
                for (int t = 0; t < length; t++) {
                    for (int j = 0; j < d.inputSize(); j++) {
                        xn.set(t, 0, j, x.get(t, n, j));
                    }
                }
                for (int ld = 0; ld < hn0.dim(0); ld++) {
                    for (int j = 0; j < d.hiddenSize(); j++) {
                        hn0.set(ld, 0, j, h0.get(ld, n, j));
                        if (lstm) {
                            cn0.set(ld, 0, j, c0.get(ld, n, j));
                        }
                    }
                }
                Out alone = null;
                boolean same = false;
                for (int attempt = 0; attempt < 2 && !same; attempt++) {
                    alone = forward(rnn, ws, xn, hn0, cn0, null, d.withSteps(length).withBatch(1));
                    same = sameBits(all, alone, n, length);
                    if (!same) {
                        all = forward(rnn, ws, x, h0, c0, c.lengths(), d);
                    }
                }
                assertTrue(same, "sequence " + n + " of " + c + " alone differs from its bits in the batch");
            }
        }
    }

    private static Out forward(PreparedRnn rnn, Workspace ws, FloatTensor x, FloatTensor h0, FloatTensor c0,
                               int[] lengths, RnnDescriptor d) {
        Out o = new Out(FloatTensor.zeros(d.dstLayerShape()), FloatTensor.zeros(d.iterShape()),
                c0 == null ? null : FloatTensor.zeros(d.iterShape()));
        rnn.forward(Mode.INFERENCE, new RnnForward(x, h0, c0, o.y(), o.hn(), o.cn(), lengths), ws);
        return o;
    }

    /** Whether sequence {@code n} of {@code all} (its first {@code length} steps, its final states) has the bits of {@code alone}. */
    private static boolean sameBits(Out all, Out alone, int n, int length) {
        for (int t = 0; t < length; t++) {
            for (int j = 0; j < alone.y().dim(2); j++) {
                if (Float.floatToRawIntBits(all.y().get(t, n, j)) != Float.floatToRawIntBits(alone.y().get(t, 0, j))) {
                    return false;
                }
            }
        }
        for (FloatTensor[] pair : new FloatTensor[][] {{all.hn(), alone.hn()}, {all.cn(), alone.cn()}}) {
            if (pair[0] == null) {
                continue;
            }
            for (int ld = 0; ld < pair[0].dim(0); ld++) {
                for (int j = 0; j < pair[0].dim(2); j++) {
                    if (Float.floatToRawIntBits(pair[0].get(ld, n, j)) != Float.floatToRawIntBits(pair[1].get(ld, 0, j))) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("dev.jrnn.simd.Bf16Test#splitShapes")
    void everySplitGivesTheSameBits(Case c) {
        Bf16Test.everySplitGivesTheSameBits(c, Precision.INT8);
    }
}
