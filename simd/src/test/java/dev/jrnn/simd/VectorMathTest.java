package dev.jrnn.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.DoubleUnaryOperator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The error bounds stated in {@link VectorMath}, over every 61st float bit pattern (both signs, so
 * zeros, subnormals, normals and infinities), plus the special values, against double-precision
 * {@link Math}. A width wider than the hardware's runs in the Vector API's slow Java fallback, so
 * there the sweep takes every 4099th pattern.
 */
@Tag("width")
class VectorMathTest {

    private static final int STRIDE =
            SimdSpecies.FLOAT.vectorBitSize() <= jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize() ? 61 : 4099;
    private static final float[] SPECIAL = {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL,
        -Float.MIN_NORMAL, 1e-30f, -1e-30f, 0.625f, -0.625f, 0.6249999f, 1f, -1f, 9.1f, -9.1f, 87f, -87f, 88f, -88f,
        88.72f, 88.73f, -103f, -104f, -105f, 89f, 100f, -100f, Float.MAX_VALUE, -Float.MAX_VALUE,
        Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};

    /** Largest error, in ulps of the exact result and absolute, over the inputs where {@code counted} holds. */
    private record Errors(double maxUlps, double maxAbs, float worstX) {
    }

    private interface Kernel {
        void apply(float[] src, int srcOff, float[] dst, int dstOff, int n);
    }

    private static Errors sweep(Kernel kernel, DoubleUnaryOperator exact, java.util.function.DoublePredicate counted) {
        int chunk = 1 << 16;
        float[] x = new float[chunk + SPECIAL.length], y = new float[x.length];
        double maxUlps = 0, maxAbs = 0;
        float worst = Float.NaN;
        long bits = 0;
        boolean last = false;
        while (!last) {
            int n = 0;
            while (n < chunk && bits <= 0xFFFFFFFFL) {
                x[n++] = Float.intBitsToFloat((int) bits);
                bits += STRIDE;
            }
            last = bits > 0xFFFFFFFFL;
            if (last) {
                System.arraycopy(SPECIAL, 0, x, n, SPECIAL.length);
                n += SPECIAL.length;
            }
            kernel.apply(x, 0, y, 0, n);
            for (int i = 0; i < n; i++) {
                if (Float.isNaN(x[i])) {
                    assertTrue(Float.isNaN(y[i]), () -> "NaN in must give NaN out");
                    continue;
                }
                double want = exact.applyAsDouble(x[i]);
                double abs = Math.abs(y[i] - want);
                if (Double.isInfinite(want) || Float.isInfinite(y[i])) {
                    assertEquals((float) want, y[i], "at x = " + x[i]);
                    continue;
                }
                if (counted.test(x[i])) {
                    maxAbs = Math.max(maxAbs, abs);
                    double ulps = abs / Math.ulp((float) want);
                    if (ulps > maxUlps) {
                        maxUlps = ulps;
                        worst = x[i];
                    }
                }
            }
        }
        return new Errors(maxUlps, maxAbs, worst);
    }

    @Test
    void exp() {
        Errors e = sweep(VectorMath::exp, Math::exp, x -> Math.exp(x) >= Float.MIN_NORMAL);
        System.out.println("exp " + e);
        assertTrue(e.maxUlps() <= 1.5, e::toString);
        Errors subnormal = sweep(VectorMath::exp, Math::exp, x -> Math.exp(x) < Float.MIN_NORMAL);
        assertTrue(subnormal.maxAbs() <= 2 * Float.MIN_VALUE, subnormal::toString);
    }

    @Test
    void sigmoid() {
        Errors e = sweep(VectorMath::sigmoid, x -> 1 / (1 + Math.exp(-x)), x -> x >= -87);
        System.out.println("sigmoid " + e);
        assertTrue(e.maxUlps() <= 3, e::toString);
        Errors everywhere = sweep(VectorMath::sigmoid, x -> 1 / (1 + Math.exp(-x)), x -> true);
        assertTrue(everywhere.maxAbs() <= 1e-7, everywhere::toString);
    }

    @Test
    void tanh() {
        Errors e = sweep(VectorMath::tanh, Math::tanh, x -> true);
        System.out.println("tanh " + e);
        assertTrue(e.maxUlps() <= 2, e::toString);
        float[] in = {9.1f, -9.1f, 20f, -0f}, out = new float[4];
        VectorMath.tanh(in, 0, out, 0, 4);
        assertEquals(1f, out[0]);
        assertEquals(-1f, out[1]);
        assertEquals(1f, out[2]);
        assertEquals(Float.floatToIntBits(-0f), Float.floatToIntBits(out[3]), "tanh(-0) = -0");
    }
}
