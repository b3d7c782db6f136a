package dev.jrnn.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The softmax kernels' own exp over x <= 0 ({@code SimdDense.softmaxRow}, not normalized, on rows
 * whose max is 0): within 2 ulp of Math.exp wherever the result is a normal float.
 */
@Tag("width")
class SimdDenseExpTest {

    @Test
    void expOfNonPositiveValuesIsWithinTwoUlp() {
        float[] in = new float[SimdSpecies.LANES], out = new float[SimdSpecies.LANES];
        double worst = 0;
        float worstAt = 0;
        int i = 1; // in[0] = 0 is each row's max: the row is exp(x - 0)
        // every 97th float bit pattern from -0 down to -87.4 (the results go below the smallest normal)
        for (int bits = Float.floatToRawIntBits(-0f); Float.intBitsToFloat(bits) >= -87.4f; bits += 97) {
            in[i++] = Float.intBitsToFloat(bits);
            if (i == in.length) {
                in[0] = 0f;
                double logSumExp = SimdDense.softmaxRow(in.length, in, 0, out, 0, false, 0);
                float ordered = 0;
                for (float e : out) {
                    ordered += e;
                }
                assertEquals(Math.log(ordered), logSumExp, 0, "the sum, lane by lane in order");
                for (int j = 0; j < in.length; j++) {
                    double want = Math.exp(in[j]);
                    if (want >= Float.MIN_NORMAL) {
                        double ulps = Math.abs(out[j] - want) / Math.ulp((float) want);
                        if (ulps > worst) {
                            worst = ulps;
                            worstAt = in[j];
                        }
                    } else {
                        assertTrue(out[j] >= 0 && out[j] <= 2 * Float.MIN_NORMAL, "exp(" + in[j] + ") = " + out[j]);
                    }
                }
                i = 1;
            }
        }
        assertTrue(worst <= 2, "worst error " + worst + " ulp at x = " + worstAt);
        in[0] = Float.NEGATIVE_INFINITY;
        in[1] = 0f;
        SimdDense.softmaxRow(2, in, 0, out, 0, false, 0);
        assertTrue(out[0] < 2 * Float.MIN_NORMAL, "exp(-inf) = " + out[0]);
        assertEquals(1f, out[1]);
    }
}
