package dev.jrnn.core.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.runtime.Parallelism;
import dev.jrnn.core.spi.DenseKernels;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every {@link DenseKernels} kernel of a backend against the reference, on sizes that straddle
 * vector-lane boundaries, both transposes, offsets and leading dimensions wider than the rows,
 * {@code beta} 0, 1 and other. Padding around each operand's view is NaN: a kernel that reads
 * outside its view, or reads {@code C} when {@code beta} is 0, poisons its result; padding of an
 * output must come back untouched. A backend's test extends this class and names its kernels.
 */
public abstract class DenseConformance {

    protected abstract DenseKernels kernels();

    private static final DenseKernels REFERENCE = Backends.reference().dense().orElseThrow();
    protected static final int[] SIZES = {1, 3, 7, 8, 9, 15, 16, 17, 33, 100};

    /** Float sums of {@code k} products against double ones: about sqrt(k) ulps, bounded here generously by k. */
    private static double tolerance(int k) {
        return 2e-6 * (1 + k);
    }

    /** A {@code rows x cols} view at {@code off} with leading dimension {@code ld}, NaN around it. */
    private record View(float[] data, int off, int ld, int rows, int cols) {
        static View random(int rows, int cols, SplittableRandom random, float scale) {
            int off = 1 + random.nextInt(3), ld = cols + random.nextInt(3);
            float[] data = new float[off + Math.max(0, rows * ld) + 2];
            Arrays.fill(data, Float.NaN);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    data[off + r * ld + c] = scale == 0 ? 0f : (float) random.nextDouble(-scale, scale);
                }
            }
            return new View(data, off, ld, rows, cols);
        }

        View copy() {
            return new View(data.clone(), off, ld, rows, cols);
        }

        boolean inside(int i) {
            int r = (i - off) / ld, c = (i - off) % ld;
            return i >= off && r < rows && c < cols;
        }
    }

    private static void assertView(String what, View want, View got, double atol, double rtol) {
        for (int i = 0; i < want.data.length; i++) {
            float w = want.data[i], g = got.data[i];
            if (!want.inside(i)) {
                if (Float.floatToRawIntBits(w) != Float.floatToRawIntBits(g)) {
                    fail(what + ": element " + i + " outside the view changed from " + w + " to " + g);
                }
                continue;
            }
            if (!(Math.abs(g - w) <= atol + rtol * Math.abs(w))) {
                int r = (i - want.off) / want.ld, c = (i - want.off) % want.ld;
                fail(String.format(Locale.ROOT, "%s: [%d][%d] expected %s but was %s (tolerance %.2g + %.2g rel)",
                        what, r, c, w, g, atol, rtol));
            }
        }
    }

    // ------------------------------------------------------------------ gemm

    private void checkGemm(boolean ta, boolean tb, int m, int n, int k, float alpha, float beta, boolean bias,
                           SplittableRandom random) {
        View a = ta ? View.random(k, m, random, 1) : View.random(m, k, random, 1);
        View b = tb ? View.random(n, k, random, 1) : View.random(k, n, random, 1);
        View c = View.random(m, n, random, 1);
        if (beta == 0) { // beta 0 must not read C
            for (int r = 0; r < m; r++) {
                Arrays.fill(c.data, c.off + r * c.ld, c.off + r * c.ld + n, Float.NaN);
            }
        }
        View bv = bias ? View.random(1, n, random, 1) : null;
        View want = c.copy(), got = c.copy();
        String what = String.format(Locale.ROOT, "gemm %s%s m=%d n=%d k=%d alpha=%s beta=%s bias=%s",
                ta ? "T" : "N", tb ? "T" : "N", m, n, k, alpha, beta, bias);
        REFERENCE.gemm(ta, tb, m, n, k, alpha, a.data, a.off, a.ld, b.data, b.off, b.ld, beta, want.data, want.off,
                want.ld, bias ? bv.data : null, bias ? bv.off : 0);
        kernels().gemm(ta, tb, m, n, k, alpha, a.data, a.off, a.ld, b.data, b.off, b.ld, beta, got.data, got.off,
                got.ld, bias ? bv.data : null, bias ? bv.off : 0);
        assertView(what, want, got, tolerance(k), 1e-5);
    }

    @Test
    void gemmMatchesTheReferenceOnEveryTransposeAndLaneBoundary() {
        SplittableRandom random = new SplittableRandom(1);
        float[] betas = {0f, 1f, 0.5f};
        for (int i = 0; i < SIZES.length; i++) {
            for (int j = 0; j < SIZES.length; j++) {
                int m = SIZES[i], n = SIZES[j], k = SIZES[(i + 2 * j) % SIZES.length];
                for (int t = 0; t < 4; t++) {
                    float beta = betas[(i + j + t) % 3];
                    float alpha = (i + t) % 4 == 3 ? -0.75f : 1f;
                    checkGemm((t & 1) != 0, (t & 2) != 0, m, n, k, alpha, beta, (i + j + t) % 2 == 0, random);
                }
            }
        }
    }

    @Test
    void gemmOnLargeShapesWithEdgesMatchesTheReference() {
        SplittableRandom random = new SplittableRandom(2);
        // large enough for several threads and row blocks; n not a multiple of any panel width
        checkGemm(false, true, 130, 257, 70, 1f, 0f, true, random);
        checkGemm(true, false, 257, 70, 130, 1f, 1f, false, random);
        checkGemm(false, false, 131, 70, 257, 1f, 0f, false, random);
        checkGemm(true, true, 67, 301, 129, 0.5f, 0.5f, true, random);
    }

    @Test
    void gemmWithNothingToSumIsBetaCPlusBias() {
        SplittableRandom random = new SplittableRandom(3);
        checkGemm(false, false, 5, 17, 0, 1f, 0.5f, true, random);
        checkGemm(true, true, 9, 3, 0, 1f, 0f, false, random);
        checkGemm(false, true, 9, 33, 4, 0f, 1f, true, random);
    }

    @Test
    void gemmDoesNotDependOnTheThreadCount() {
        SplittableRandom random = new SplittableRandom(4);
        int m = 203, n = 301, k = 97;
        View a = View.random(m, k, random, 1), b = View.random(n, k, random, 1), bias = View.random(1, n, random, 1);
        float[][] results = new float[3][];
        int[] threads = {1, 2, 3};
        try {
            for (int t = 0; t < threads.length; t++) {
                Parallelism.setThreads(threads[t]);
                float[] c = new float[m * n];
                kernels().gemm(false, true, m, n, k, 1f, a.data, a.off, a.ld, b.data, b.off, b.ld, 0f, c, 0, n,
                        bias.data, bias.off);
                results[t] = c;
            }
        } finally {
            Parallelism.setThreads(0);
        }
        assertArrayEquals(results[0], results[1], "1 and 2 threads");
        assertArrayEquals(results[0], results[2], "1 and 3 threads");
    }

    @Test
    void addColumnSumsMatchesTheReference() {
        SplittableRandom random = new SplittableRandom(5);
        for (int m : SIZES) {
            for (int n : SIZES) {
                View a = View.random(m, n, random, 1), y = View.random(1, n, random, 1);
                View want = y.copy(), got = y.copy();
                REFERENCE.addColumnSums(m, n, a.data, a.off, a.ld, want.data, want.off);
                kernels().addColumnSums(m, n, a.data, a.off, a.ld, got.data, got.off);
                assertView("addColumnSums m=" + m + " n=" + n, want, got, tolerance(m), 1e-5);
            }
        }
    }

    // ------------------------------------------------------------------ embedding

    @Test
    void gatherAndScatterAddMatchTheReference() {
        SplittableRandom random = new SplittableRandom(6);
        for (int dim : SIZES) {
            int rows = 11, count = 37;
            int[] ids = new int[count + 2];
            for (int r = 0; r < ids.length; r++) {
                ids[r] = random.nextInt(rows); // repeats: scatter-add must sum them
            }
            View table = contiguous(rows, dim, random); // tables are contiguous rows
            View out = View.random(count, dim, random, 1);
            View want = out.copy(), got = out.copy();
            REFERENCE.gather(count, dim, ids, 2, table.data, table.off, rows, want.data, want.off, want.ld);
            kernels().gather(count, dim, ids, 2, table.data, table.off, rows, got.data, got.off, got.ld);
            assertView("gather dim=" + dim, want, got, 0, 0);

            View src = View.random(count, dim, random, 1);
            View tWant = contiguous(rows, dim, random), tGot = tWant.copy();
            REFERENCE.scatterAdd(count, dim, ids, 2, src.data, src.off, src.ld, tWant.data, tWant.off, rows);
            kernels().scatterAdd(count, dim, ids, 2, src.data, src.off, src.ld, tGot.data, tGot.off, rows);
            assertView("scatterAdd dim=" + dim, tWant, tGot, 1e-6, 1e-6);
        }
    }

    private static View contiguous(int rows, int cols, SplittableRandom random) {
        View v = View.random(rows, cols, random, 1);
        float[] data = new float[3 + rows * cols + 2];
        Arrays.fill(data, Float.NaN);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(v.data, v.off + r * v.ld, data, 3 + r * cols, cols);
        }
        return new View(data, 3, cols, rows, cols);
    }

    // ------------------------------------------------------------------ softmax and losses

    @Test
    void softmaxCrossEntropyMatchesTheReference() {
        SplittableRandom random = new SplittableRandom(7);
        int ignore = -1;
        for (int classes : SIZES) {
            for (int rows : new int[] {1, 3, 17, 100}) {
                for (float scale : new float[] {1f, 40f}) { // 40: exp would overflow without the max
                    View z = View.random(rows, classes, random, scale);
                    int[] targets = new int[rows + 1];
                    for (int r = 0; r < targets.length; r++) {
                        targets[r] = r % 5 == 4 ? ignore : random.nextInt(classes);
                    }
                    View g = View.random(rows, classes, random, 1);
                    View want = g.copy(), got = g.copy();
                    float gradScale = 1f / rows;
                    double lossWant = REFERENCE.softmaxCrossEntropy(rows, classes, z.data, z.off, z.ld, targets, 1,
                            ignore, gradScale, want.data, want.off, want.ld);
                    double lossGot = kernels().softmaxCrossEntropy(rows, classes, z.data, z.off, z.ld, targets, 1,
                            ignore, gradScale, got.data, got.off, got.ld);
                    String what = "softmaxCrossEntropy rows=" + rows + " classes=" + classes + " scale=" + scale;
                    assertEquals(lossWant, lossGot, 1e-5 * rows * (1 + Math.abs(lossWant) / rows), what + ": loss");
                    assertView(what + ": gradient", want, got, 1e-6, 1e-5);
                    double lossOnly = kernels().softmaxCrossEntropy(rows, classes, z.data, z.off, z.ld, targets, 1,
                            ignore, gradScale, null, 0, 1);
                    assertEquals(lossGot, lossOnly, 0, what + ": the loss without a gradient");
                    View inPlace = z.copy(); // the gradient may replace the logits
                    double lossInPlace = kernels().softmaxCrossEntropy(rows, classes, inPlace.data, inPlace.off,
                            inPlace.ld, targets, 1, ignore, gradScale, inPlace.data, inPlace.off, inPlace.ld);
                    assertEquals(lossGot, lossInPlace, 0, what + ": in place");
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < classes; c++) {
                            assertEquals(got.data[got.off + r * got.ld + c], inPlace.data[inPlace.off + r * inPlace.ld + c],
                                    0f, what + ": gradient in place [" + r + "][" + c + "]");
                        }
                    }
                }
            }
        }
    }

    @Test
    void softmaxRowsAndTheirGradientMatchTheReference() {
        SplittableRandom random = new SplittableRandom(8);
        for (int n : SIZES) {
            for (int rows : new int[] {1, 7, 16}) {
                View x = View.random(rows, n, random, 10);
                View want = x.copy(), got = x.copy();
                REFERENCE.softmaxRows(rows, n, want.data, want.off, want.ld);
                kernels().softmaxRows(rows, n, got.data, got.off, got.ld);
                assertView("softmaxRows n=" + n, want, got, 1e-6, 1e-5);

                View g = View.random(rows, n, random, 1);
                View gWant = g.copy(), gGot = g.copy();
                REFERENCE.softmaxBackwardRows(rows, n, want.data, want.off, want.ld, gWant.data, gWant.off, gWant.ld);
                kernels().softmaxBackwardRows(rows, n, want.data, want.off, want.ld, gGot.data, gGot.off, gGot.ld);
                assertView("softmaxBackwardRows n=" + n, gWant, gGot, 1e-6, 1e-5);
            }
        }
    }

    // ------------------------------------------------------------------ optimizers

    @Test
    void sgdMatchesTheReference() {
        SplittableRandom random = new SplittableRandom(9);
        for (int n : SIZES) {
            for (double momentum : new double[] {0, 0.9}) {
                View w = View.random(1, n, random, 1), v = View.random(1, n, random, 1);
                View wWant = w.copy(), wGot = w.copy(), vWant = v.copy(), vGot = v.copy();
                for (int step = 1; step <= 3; step++) {
                    View g = View.random(1, n, random, 1);
                    REFERENCE.sgd(n, 0.1, momentum, step == 1, wWant.data, wWant.off, g.data, g.off, vWant.data, vWant.off);
                    kernels().sgd(n, 0.1, momentum, step == 1, wGot.data, wGot.off, g.data, g.off, vGot.data, vGot.off);
                }
                assertView("sgd n=" + n + " momentum=" + momentum + ": w", wWant, wGot, 1e-6, 1e-6);
                assertView("sgd n=" + n + " momentum=" + momentum + ": v", vWant, vGot, 1e-6, 1e-6);
            }
        }
    }

    @Test
    void adamAndAdamWMatchTheReference() {
        SplittableRandom random = new SplittableRandom(10);
        for (int n : SIZES) {
            for (int kind = 0; kind < 3; kind++) { // Adam, Adam with L2 decay, AdamW
                double decay = kind == 0 ? 0 : 0.01;
                boolean decoupled = kind == 2;
                View w = View.random(1, n, random, 1);
                View m = View.random(1, n, random, 0), v = View.random(1, n, random, 0); // zeros inside the view
                View wWant = w.copy(), wGot = w.copy(), mWant = m.copy(), mGot = m.copy(), vWant = v.copy(), vGot = v.copy();
                for (long step = 1; step <= 4; step++) {
                    View g = View.random(1, n, random, 1);
                    REFERENCE.adam(n, 1e-2, 0.9, 0.999, 1e-8, decay, decoupled, step, wWant.data, wWant.off, g.data,
                            g.off, mWant.data, mWant.off, vWant.data, vWant.off);
                    kernels().adam(n, 1e-2, 0.9, 0.999, 1e-8, decay, decoupled, step, wGot.data, wGot.off, g.data,
                            g.off, mGot.data, mGot.off, vGot.data, vGot.off);
                }
                String what = "adam n=" + n + " decay=" + decay + " decoupled=" + decoupled;
                assertView(what + ": w", wWant, wGot, 1e-6, 1e-5);
                assertView(what + ": m", mWant, mGot, 1e-6, 1e-5);
                assertView(what + ": v", vWant, vGot, 1e-6, 1e-5);
            }
        }
    }

    @Test
    void sumOfSquaresAndScaleMatchTheReference() {
        SplittableRandom random = new SplittableRandom(11);
        for (int n : new int[] {1, 3, 7, 8, 9, 15, 16, 17, 33, 100, 10_007}) {
            View x = View.random(1, n, random, 1);
            double want = REFERENCE.sumOfSquares(n, x.data, x.off), got = kernels().sumOfSquares(n, x.data, x.off);
            assertEquals(want, got, 1e-6 * want, "sumOfSquares n=" + n);
            View sWant = x.copy(), sGot = x.copy();
            REFERENCE.scale(n, 0.3f, sWant.data, sWant.off);
            kernels().scale(n, 0.3f, sGot.data, sGot.off);
            assertView("scale n=" + n, sWant, sGot, 0, 0);
        }
    }

    // ------------------------------------------------------------------ arguments

    @Test
    void badArgumentsAreRefusedWithTheReason() {
        DenseKernels k = kernels();
        float[] small = new float[6];
        IndexOutOfBoundsException tooSmall = assertThrows(IndexOutOfBoundsException.class,
                () -> k.gemm(false, false, 2, 2, 2, 1f, small, 0, 2, small, 0, 2, 0f, small, 3, 2, null, 0));
        assertTrue(tooSmall.getMessage().contains("C"), tooSmall.getMessage());
        IllegalArgumentException ld = assertThrows(IllegalArgumentException.class,
                () -> k.gemm(false, false, 2, 2, 2, 1f, small, 0, 1, small, 0, 2, 0f, small, 0, 2, null, 0));
        assertTrue(ld.getMessage().contains("leading dimension"), ld.getMessage());
        IllegalArgumentException id = assertThrows(IllegalArgumentException.class,
                () -> k.gather(1, 2, new int[] {3}, 0, small, 0, 3, small, 0, 2));
        assertTrue(id.getMessage().contains("id 3"), id.getMessage());
        IllegalArgumentException target = assertThrows(IllegalArgumentException.class,
                () -> k.softmaxCrossEntropy(2, 3, small, 0, 3, new int[] {0, 3}, 0, -1, 1f, null, 0, 3));
        assertTrue(target.getMessage().contains("target 3"), target.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> k.adam(2, 1e-3, 0.9, 0.999, 1e-8, 0, false, 0, small, 0, small, 0, small, 0, small, 0));
    }
}
