package dev.jrnn.simd;

import static dev.jrnn.simd.SimdSpecies.FLOAT;
import static dev.jrnn.simd.SimdSpecies.LANES;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Vectorized {@code exp}, {@code sigmoid} and {@code tanh} for float, accurate over the whole float
 * range. {@code exp} and {@code tanh} are the JDK's lane-wise {@code EXP} and {@code TANH}, which C2
 * compiles to calls of the vector math library the JDK bundles (Intel's SVML on x86); elsewhere the
 * JDK falls back to {@link Math}, lane by lane. Each is one node in the compiled graph, which keeps
 * a cell's whole pointwise pass (up to five activations, written out in {@link Cells}) small for
 * C2. {@code sigmoid(x) = 1 / (1 + exp(-x))}.
 *
 * <p>The bounds below are asserted by {@code VectorMathTest} against {@link Math#exp} and
 * {@link Math#tanh} in double, over every 61st float bit pattern plus the special values (measured
 * on AVX-512 and at 128 bits: exp 0.75 ulp, sigmoid 2.4 ulp and 8.9e-8 absolute, tanh 0.57 ulp).
 * <ul>
 *   <li>{@code exp}: at most 1.5 ulp off wherever the result is a normal float; subnormal results
 *       within 2 of the smallest subnormal; {@code exp(-inf) = 0}, {@code exp(x > 88.73) = inf}.
 *   <li>{@code sigmoid}: at most 3 ulp off for {@code x >= -87}, absolute error at most 1e-7 everywhere.
 *   <li>{@code tanh}: at most 2 ulp off, odd (keeps {@code -0}), exactly {@code +-1} for {@code |x| >= 9.1}.
 * </ul>
 * NaN in gives NaN out.
 */
public final class VectorMath {

    private VectorMath() {
    }

    // ---- array versions: checked, for tests and benchmarks ----

    /** {@code dst[dstOff + i] = exp(src[srcOff + i])} for {@code i < n}. */
    public static void exp(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        check(src, srcOff, dst, dstOff, n);
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector.fromArray(FLOAT, src, srcOff + i).lanewise(VectorOperators.EXP).intoArray(dst, dstOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = SimdSpecies.prefix(n - i);
            FloatVector.fromArray(FLOAT, src, srcOff + i, m).lanewise(VectorOperators.EXP).intoArray(dst, dstOff + i, m);
        }
    }

    public static void sigmoid(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        check(src, srcOff, dst, dstOff, n);
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector x = FloatVector.fromArray(FLOAT, src, srcOff + i);
            FloatVector.broadcast(FLOAT, 1f).div(x.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(dst, dstOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = SimdSpecies.prefix(n - i);
            FloatVector x = FloatVector.fromArray(FLOAT, src, srcOff + i, m);
            FloatVector.broadcast(FLOAT, 1f).div(x.neg().lanewise(VectorOperators.EXP).add(1f)).intoArray(dst, dstOff + i, m);
        }
    }

    public static void tanh(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        check(src, srcOff, dst, dstOff, n);
        int i = 0;
        for (; i <= n - LANES; i += LANES) {
            FloatVector.fromArray(FLOAT, src, srcOff + i).lanewise(VectorOperators.TANH).intoArray(dst, dstOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = SimdSpecies.prefix(n - i);
            FloatVector.fromArray(FLOAT, src, srcOff + i, m).lanewise(VectorOperators.TANH).intoArray(dst, dstOff + i, m);
        }
    }

    private static void check(float[] src, int srcOff, float[] dst, int dstOff, int n) {
        Objects.checkFromIndexSize(srcOff, n, src.length);
        Objects.checkFromIndexSize(dstOff, n, dst.length);
    }
}
