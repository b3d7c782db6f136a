package dev.jrnn.core.scalar;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.core.runtime.DenseBackends;
import dev.jrnn.core.spi.DenseKernels;
import org.junit.jupiter.api.Test;

/** The reference dense kernels on small cases worked out by hand: it is the oracle of the others. */
class ReferenceDenseTest {

    private final DenseKernels k = ReferenceDense.instance();

    @Test
    void gemmWithTransposesBetaAndBias() {
        float[] a = {1, 2, 3, 4, 5, 6};      // A 2x3
        float[] at = {1, 4, 2, 5, 3, 6};     // A^T stored 3x2
        float[] b = {1, 0, 0, 1, 1, 1};      // B 3x2
        float[] bt = {1, 0, 1, 0, 1, 1};     // B^T stored 2x3
        float[] want = {4 + 10, 5 + 20, 10 + 10, 11 + 20}; // A B = [[4, 5], [10, 11]], plus bias [10, 20]
        for (int t = 0; t < 4; t++) {
            boolean ta = (t & 1) != 0, tb = (t & 2) != 0;
            float[] c = {Float.NaN, Float.NaN, Float.NaN, Float.NaN};
            k.gemm(ta, tb, 2, 2, 3, 1f, ta ? at : a, 0, ta ? 2 : 3, tb ? bt : b, 0, tb ? 3 : 2, 0f, c, 0, 2,
                    new float[] {10, 20}, 0);
            assertArrayEquals(want, c, "transA=" + ta + " transB=" + tb);
        }
        float[] c = {1, 1, 1, 1};
        k.gemm(false, false, 2, 2, 3, 2f, a, 0, 3, b, 0, 2, 0.5f, c, 0, 2, null, 0);
        assertArrayEquals(new float[] {8.5f, 10.5f, 20.5f, 22.5f}, c);
    }

    @Test
    void softmaxCrossEntropyIsTheNegativeLogProbabilityAndItsGradient() {
        float[] z = {0, (float) Math.log(3), 5, 5};
        float[] grad = new float[4];
        double loss = k.softmaxCrossEntropy(2, 2, z, 0, 2, new int[] {1, -1}, 0, -1, 0.5f, grad, 0, 2);
        assertEquals(-Math.log(0.75), loss, 1e-7); // softmax(0, log 3) = (1/4, 3/4)
        assertArrayEquals(new float[] {0.125f, -0.125f, 0, 0}, grad, 1e-7f); // 0.5 * ((1/4, 3/4) - (0, 1)); ignored row 0
    }

    @Test
    void adamsFirstStepMovesEachWeightByTheLearningRate() {
        float[] w = {1, 1}, g = {0.5f, -2}, m = new float[2], v = new float[2];
        k.adam(2, 0.1, 0.9, 0.999, 0, 0, false, 1, w, 0, g, 0, m, 0, v, 0);
        assertArrayEquals(new float[] {0.9f, 1.1f}, w, 1e-6f); // m^ / sqrt(v^) = sign(g) on the first step
        float[] sgdW = {1, 1}, vel = new float[2];
        k.sgd(2, 0.1, 0.9, true, sgdW, 0, g, 0, vel, 0);
        k.sgd(2, 0.1, 0.9, false, sgdW, 0, g, 0, vel, 0);
        assertArrayEquals(new float[] {0.95f - 0.095f, 1.2f + 0.38f}, sgdW, 1e-6f);
    }

    @Test
    void gatherScatterAndTheRest() {
        float[] table = {1, 2, 3, 4, 5, 6}, out = new float[4];
        k.gather(2, 2, new int[] {2, 0}, 0, table, 0, 3, out, 0, 2);
        assertArrayEquals(new float[] {5, 6, 1, 2}, out);
        k.scatterAdd(2, 2, new int[] {1, 1}, 0, out, 0, 2, table, 0, 3);
        assertArrayEquals(new float[] {1, 2, 9, 12, 5, 6}, table);
        float[] sums = {1, 1};
        k.addColumnSums(3, 2, table, 0, 2, sums, 0);
        assertArrayEquals(new float[] {16, 21}, sums);
        assertEquals(1 + 4 + 81 + 144 + 25 + 36, k.sumOfSquares(6, table, 0));
    }

    @Test
    void theReferenceIsChosenWhenForced() {
        assertEquals("reference", DenseBackends.kernels("reference").name());
        assertEquals("reference", DenseBackends.kernels(" Reference ").name());
    }
}
