package dev.jrnn.simd;

import static dev.jrnn.simd.SimdSpecies.FLOAT;
import static dev.jrnn.simd.SimdSpecies.LANES;
import static dev.jrnn.simd.SimdSpecies.PANEL;

import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.tensor.FloatTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * 8-bit integer weights with a float32 scale per output row (symmetric, weight-only, no
 * calibration): row {@code r} of {@code W} is stored as {@code q = rint(w / s_r)} in
 * {@code [-127, 127]} with {@code s_r = max_k |W[r][k]| / 127}, so a weight moves by at most
 * {@code s_r / 2}. Packed weight panels ({@link Gemm}'s) hold one byte per float, a quarter of the
 * bytes: what a batch-1 product, bound by streaming the weights, reads.
 *
 * <p>A product sums {@code q * a} in float32 in Gemm's order and applies the scale once per output
 * element at the end, {@code c = fma(sum, s, start)} (start: the bias or zero). The row kernel
 * widens the bytes in registers (a byte vector of {@code LANES} lanes converted to floats, lane for
 * lane: one sign extension and one conversion per vector); a product of more rows runs Gemm's
 * kernels on the {@code q}s widened to floats once per call, then {@link #scaleRows}: the two give
 * the same bits. (Not the bits of float32 on the dequantized weights {@code fl(q * s)}: scaling the
 * sum rather than each weight rounds differently, within float32's reordering error.)
 *
 * <p>Public only for the bench, which checks int8 results against the reference on
 * {@link #dequantizeMatrices}; the package is not exported.
 */
public final class Int8 {

    /** The largest stored magnitude: symmetric, so -128 is never used. */
    public static final int MAX = 127;

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /**
     * Bytes a vector of {@code LANES} weights is loaded from: {@code LANES} lanes, except with
     * 128-bit floats (4 lanes), where the narrowest byte species (64 bits) reads 4 more bytes than
     * it converts.
     */
    private static final VectorSpecies<Byte> BYTE =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, FLOAT.vectorBitSize() / 4)));
    /** Bytes past the last panel that a load may read ({@link #BYTE}'s extra lanes). */
    private static final int SLACK = BYTE.length() - LANES;
    private static final long FLOAT_ROW = (long) PANEL * Float.BYTES, HALF = (long) LANES * Float.BYTES;
    private static final float[] ZEROS = new float[PANEL];

    private Int8() {
    }

    /** The scale of a row whose largest magnitude is {@code max}: {@code max / 127}. */
    static float scale(float max) {
        return max / MAX;
    }

    /** {@code w} on a row of scale {@code scale}: {@code rint(w / scale)} in [-127, 127]; 0 on a row of zeros. */
    static int quantize(float w, float scale) {
        if (scale == 0f) {
            return 0;
        }
        return (int) Math.max(-MAX, Math.min(MAX, Math.rint(w / scale)));
    }

    /** The largest magnitude among {@code n} floats of {@code w} from {@code off}. */
    private static float maxAbs(float[] w, int off, int n) {
        float max = 0f;
        for (int i = off; i < off + n; i++) {
            max = Math.max(max, Math.abs(w[i]));
        }
        return max;
    }

    /**
     * Replaces each of the {@code rows} rows of {@code cols} floats of {@code w} by its quantized
     * values (as floats: integers in [-127, 127]) and writes its scale into {@code scales[row]}.
     */
    static void quantizeRows(float[] w, int rows, int cols, float[] scales) {
        for (int r = 0; r < rows; r++) {
            int off = r * cols;
            float s = scales[r] = scale(maxAbs(w, off, cols));
            for (int i = off; i < off + cols; i++) {
                w[i] = quantize(w[i], s);
            }
        }
    }

    /**
     * A copy of {@code weights} whose {@code weight_ih} and {@code weight_hh} are quantized per row
     * and dequantized in float32 ({@code q * s}; the biases stay as they are): the weights an int8
     * product computes with, up to float32 rounding.
     */
    public static RnnWeights dequantizeMatrices(RnnWeights weights) {
        RnnArchitecture a = weights.architecture();
        RnnWeights out = RnnWeights.zeros(a);
        out.copyFrom(weights);
        for (int layer = 0; layer < a.layers(); layer++) {
            for (int dir = 0; dir < a.directions(); dir++) {
                for (RnnWeights.Param param : new RnnWeights.Param[] {RnnWeights.Param.WEIGHT_IH, RnnWeights.Param.WEIGHT_HH}) {
                    FloatTensor t = out.get(param, layer, dir);
                    int rows = t.dim(0), cols = t.dim(1);
                    float[] row = new float[cols];
                    for (int r = 0; r < rows; r++) {
                        for (int c = 0; c < cols; c++) {
                            row[c] = t.get(r, c);
                        }
                        float s = scale(maxAbs(row, 0, cols));
                        for (int c = 0; c < cols; c++) {
                            t.set(r, c, quantize(row[c], s) * s);
                        }
                    }
                }
            }
        }
        return out;
    }

    /** Bytes of {@code floats} packed floats (whole panel rows) as int8, with the slack a load may read past them. */
    static long bytes(int floats) {
        return (long) floats + SLACK;
    }

    /** The first {@code floats} of the float panels {@code src}, quantized values (integers), as bytes into {@code dst}. */
    static void pack(float[] src, int floats, MemorySegment dst) {
        for (int i = 0; i < floats; i++) {
            dst.set(ValueLayout.JAVA_BYTE, i, (byte) src[i]);
        }
    }

    /** The {@code LANES} weights at byte {@code at} of {@code src}, widened to floats lane for lane. */
    private static FloatVector load(MemorySegment src, long at) {
        return (FloatVector) ByteVector.fromMemorySegment(BYTE, src, at, ORDER).convertShape(VectorOperators.B2F, FLOAT, 0);
    }

    /** Widens panels {@code [q0, q1)} ({@code k} rows each) of {@code src} into the float panels {@code dst}, same places. */
    static void widen(MemorySegment src, int k, int q0, int q1, MemorySegment dst) {
        for (long row = (long) q0 * k, end = (long) q1 * k; row < end; row++) {
            long at = row * FLOAT_ROW, from = row * PANEL;
            load(src, from).intoMemorySegment(dst, at, ORDER);
            load(src, from + LANES).intoMemorySegment(dst, at + HALF, ORDER);
        }
    }

    /**
     * Scales a product of {@code m} rows on the widened panels (Gemm's, started from zeros):
     * {@code C[i][col] = fma(C[i][col], scale[col], bias[col] or 0)} for the columns of the unit
     * blocks {@code [u0, u1)}, as {@link #gatesRow} ends.
     */
    static void scaleRows(int m, float[] c, int cOff, int ldc, float[] scale, float[] bias, int gates, int hidden,
                          int u0, int u1) {
        float[] s = bias != null ? bias : ZEROS;
        for (int i = 0; i < m; i++) {
            for (int q = u0 * gates, q1 = u1 * gates; q < q1; q++) {
                int col = Gemm.column(q, gates, hidden), at = cOff + i * ldc + col, sc = bias != null ? col : 0;
                FloatVector.fromArray(FLOAT, c, at).fma(FloatVector.fromArray(FLOAT, scale, col),
                        FloatVector.fromArray(FLOAT, s, sc)).intoArray(c, at);
                FloatVector.fromArray(FLOAT, c, at + LANES).fma(FloatVector.fromArray(FLOAT, scale, col + LANES),
                        FloatVector.fromArray(FLOAT, s, sc + LANES)).intoArray(c, at + LANES);
            }
        }
    }

    /**
     * One row: {@code C[g*H + j] = fma(sum_k A[k] Q[k][g*H + j], scale[g*H + j], bias[g*H + j] or 0)}
     * for the unit blocks {@code [u0, u1)} of a {@link Gemm#packGatesTransposed} matrix in int8
     * (Gemm's row kernel on int8 panels): four panels per sweep over {@code k}.
     */
    static void gatesRow(int k, float[] a, int aOff, MemorySegment bp, float[] scale, int gates, int hidden, int u0,
                         int u1, float[] c, int cOff, float[] bias) {
        long panelBytes = (long) k * PANEL;
        float[] s = bias != null ? bias : ZEROS;
        for (int q = u0 * gates, q1 = u1 * gates; q < q1; q += 4) {
            // a group of fewer than four repeats its last panel: the same value written twice
            int qa = q, qb = Math.min(q + 1, q1 - 1), qc = Math.min(q + 2, q1 - 1), qd = Math.min(q + 3, q1 - 1);
            int ca = Gemm.column(qa, gates, hidden), cb = Gemm.column(qb, gates, hidden);
            int cc = Gemm.column(qc, gates, hidden), cd = Gemm.column(qd, gates, hidden);
            row4(k, a, aOff, bp, qa * panelBytes, qb * panelBytes, qc * panelBytes, qd * panelBytes, scale, c, cOff,
                    ca, cb, cc, cd, s, bias != null);
        }
    }

    /** Gemm's {@code row4} on int8 panels, each element the same sweep over {@code k}; then the scale and the start. */
    private static void row4(int k, float[] a, int aOff, MemorySegment bp, long ba, long bb, long bc, long bd,
                             float[] scale, float[] c, int cOff, int ca, int cb, int cc, int cd, float[] s,
                             boolean sCols) {
        FloatVector a0 = FloatVector.zero(FLOAT), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        for (int kk = 0; kk < k; kk++) {
            FloatVector x = FloatVector.broadcast(FLOAT, a[aOff + kk]);
            long step = (long) kk * PANEL;
            a0 = load(bp, ba + step).fma(x, a0);
            a1 = load(bp, ba + step + LANES).fma(x, a1);
            b0 = load(bp, bb + step).fma(x, b0);
            b1 = load(bp, bb + step + LANES).fma(x, b1);
            c0 = load(bp, bc + step).fma(x, c0);
            c1 = load(bp, bc + step + LANES).fma(x, c1);
            d0 = load(bp, bd + step).fma(x, d0);
            d1 = load(bp, bd + step + LANES).fma(x, d1);
        }
        FloatVector ra0 = finish(a0, scale, ca, s, sCols ? ca : 0), ra1 = finish(a1, scale, ca + LANES, s, sCols ? ca + LANES : LANES);
        FloatVector rb0 = finish(b0, scale, cb, s, sCols ? cb : 0), rb1 = finish(b1, scale, cb + LANES, s, sCols ? cb + LANES : LANES);
        FloatVector rc0 = finish(c0, scale, cc, s, sCols ? cc : 0), rc1 = finish(c1, scale, cc + LANES, s, sCols ? cc + LANES : LANES);
        FloatVector rd0 = finish(d0, scale, cd, s, sCols ? cd : 0), rd1 = finish(d1, scale, cd + LANES, s, sCols ? cd + LANES : LANES);
        ra0.intoArray(c, cOff + ca);
        ra1.intoArray(c, cOff + ca + LANES);
        rb0.intoArray(c, cOff + cb);
        rb1.intoArray(c, cOff + cb + LANES);
        rc0.intoArray(c, cOff + cc);
        rc1.intoArray(c, cOff + cc + LANES);
        rd0.intoArray(c, cOff + cd);
        rd1.intoArray(c, cOff + cd + LANES);
    }

    /** {@code fma(sum, scale[col..], s[sAt..])}: one vector of a row's results. */
    private static FloatVector finish(FloatVector sum, float[] scale, int col, float[] s, int sAt) {
        return sum.fma(FloatVector.fromArray(FLOAT, scale, col), FloatVector.fromArray(FLOAT, s, sAt));
    }
}
