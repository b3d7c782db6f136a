package dev.jrnn.simd;

import static dev.jrnn.simd.SimdSpecies.FLOAT;
import static dev.jrnn.simd.SimdSpecies.INT;
import static dev.jrnn.simd.SimdSpecies.LANES;
import static dev.jrnn.simd.SimdSpecies.PANEL;

import dev.jrnn.core.rnn.BFloat16;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Packed weight panels ({@link Gemm}'s: rows of {@link SimdSpecies#PANEL} floats) stored as
 * bfloat16, half the bytes: what a batch-1 product, bound by streaming the weights, reads.
 *
 * <p>A panel row of {@code PANEL} floats (two vectors) becomes one vector of {@code LANES} ints:
 * int {@code j} holds column {@code j} in its low 16 bits and column {@code LANES + j} in its high
 * 16 bits. One int vector load then widens into the row's two float vectors without crossing
 * lanes: a shift left by 16 gives the first, a mask of the high half the second (a bf16 is the top
 * half of a float32). Loading a {@code ShortVector} and converting it ({@code S2I}) would cost a
 * lane-crossing conversion per vector instead.
 *
 * <p>The products accumulate in float32 in the same order as Gemm's kernels, so a product on bf16
 * panels equals, bit for bit, Gemm's product on the same weights rounded to bf16 and widened.
 */
final class Bf16 {

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Bytes of one bf16 panel row ({@code PANEL} bf16 = {@code LANES} ints), and of one float panel row. */
    private static final long ROW = (long) LANES * Integer.BYTES, FLOAT_ROW = (long) PANEL * Float.BYTES;
    private static final long HALF = (long) LANES * Float.BYTES;
    private static final int HIGH = 0xFFFF0000;
    private static final float[] ZEROS = new float[PANEL];

    private Bf16() {
    }

    /** Bytes of {@code floats} packed floats (whole panel rows) as bf16. */
    static long bytes(int floats) {
        return (long) floats * Short.BYTES;
    }

    /** The first {@code floats} (whole panel rows) of the float panels {@code src}, rounded to bf16 into {@code dst}. */
    static void pack(float[] src, int floats, MemorySegment dst) {
        for (int row = 0, rows = floats / PANEL; row < rows; row++) {
            int from = row * PANEL;
            long at = row * ROW;
            for (int j = 0; j < LANES; j++) {
                int low = BFloat16.round(src[from + j]) & 0xFFFF, high = BFloat16.round(src[from + LANES + j]) & 0xFFFF;
                dst.set(ValueLayout.JAVA_INT, at + (long) j * Integer.BYTES, high << 16 | low);
            }
        }
    }

    /** Widens panels {@code [q0, q1)} ({@code k} rows each) of {@code src} into the float panels {@code dst}, same places. */
    static void widen(MemorySegment src, int k, int q0, int q1, MemorySegment dst) {
        for (long row = (long) q0 * k, end = (long) q1 * k; row < end; row++) {
            IntVector v = IntVector.fromMemorySegment(INT, src, row * ROW, ORDER);
            long at = row * FLOAT_ROW;
            v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().intoMemorySegment(dst, at, ORDER);
            v.and(HIGH).reinterpretAsFloats().intoMemorySegment(dst, at + HALF, ORDER);
        }
    }

    /**
     * One row: {@code C[g*H + j] = bias[g*H + j] (or 0) + sum_k A[k] W[k][g*H + j]} for the unit
     * blocks {@code [u0, u1)} of a {@link Gemm#packGatesTransposed} matrix in bf16 (Gemm's row kernel,
     * on bf16 panels): four panels per sweep over {@code k}.
     */
    static void gatesRow(int k, float[] a, int aOff, MemorySegment bp, int gates, int hidden, int u0, int u1,
                         float[] c, int cOff, float[] bias) {
        long panelBytes = (long) k * ROW;
        int q1 = u1 * gates;
        for (int q = u0 * gates; q < q1; q += 4) {
            // a group of fewer than four repeats its last panel: the same value written twice
            int qa = q, qb = Math.min(q + 1, q1 - 1), qc = Math.min(q + 2, q1 - 1), qd = Math.min(q + 3, q1 - 1);
            int ca = Gemm.column(qa, gates, hidden), cb = Gemm.column(qb, gates, hidden);
            int cc = Gemm.column(qc, gates, hidden), cd = Gemm.column(qd, gates, hidden);
            float[] s = bias != null ? bias : ZEROS;
            row4(k, a, aOff, bp, qa * panelBytes, qb * panelBytes, qc * panelBytes, qd * panelBytes, c, cOff + ca,
                    cOff + cb, cOff + cc, cOff + cd, s, bias != null ? ca : 0, bias != null ? cb : 0,
                    bias != null ? cc : 0, bias != null ? cd : 0);
        }
    }

    /** Gemm's {@code row4} on bf16 panels: each element the same sweep over {@code k}, in the same order. */
    private static void row4(int k, float[] a, int aOff, MemorySegment bp, long ba, long bb, long bc, long bd,
                             float[] c, int ca, int cb, int cc, int cd, float[] s, int sa, int sb, int sc, int sd) {
        FloatVector a0 = FloatVector.zero(FLOAT), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        for (int kk = 0; kk < k; kk++) {
            FloatVector x = FloatVector.broadcast(FLOAT, a[aOff + kk]);
            long step = kk * ROW;
            IntVector va = IntVector.fromMemorySegment(INT, bp, ba + step, ORDER);
            IntVector vb = IntVector.fromMemorySegment(INT, bp, bb + step, ORDER);
            IntVector vc = IntVector.fromMemorySegment(INT, bp, bc + step, ORDER);
            IntVector vd = IntVector.fromMemorySegment(INT, bp, bd + step, ORDER);
            a0 = va.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x, a0);
            a1 = va.and(HIGH).reinterpretAsFloats().fma(x, a1);
            b0 = vb.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x, b0);
            b1 = vb.and(HIGH).reinterpretAsFloats().fma(x, b1);
            c0 = vc.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x, c0);
            c1 = vc.and(HIGH).reinterpretAsFloats().fma(x, c1);
            d0 = vd.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(x, d0);
            d1 = vd.and(HIGH).reinterpretAsFloats().fma(x, d1);
        }
        FloatVector sa0 = FloatVector.fromArray(FLOAT, s, sa), sa1 = FloatVector.fromArray(FLOAT, s, sa + LANES);
        FloatVector sb0 = FloatVector.fromArray(FLOAT, s, sb), sb1 = FloatVector.fromArray(FLOAT, s, sb + LANES);
        FloatVector sc0 = FloatVector.fromArray(FLOAT, s, sc), sc1 = FloatVector.fromArray(FLOAT, s, sc + LANES);
        FloatVector sd0 = FloatVector.fromArray(FLOAT, s, sd), sd1 = FloatVector.fromArray(FLOAT, s, sd + LANES);
        sa0.add(a0).intoArray(c, ca);
        sa1.add(a1).intoArray(c, ca + LANES);
        sb0.add(b0).intoArray(c, cb);
        sb1.add(b1).intoArray(c, cb + LANES);
        sc0.add(c0).intoArray(c, cc);
        sc1.add(c1).intoArray(c, cc + LANES);
        sd0.add(d0).intoArray(c, cd);
        sd1.add(d1).intoArray(c, cd + LANES);
    }
}
