package dev.jrnn.simd;

import static dev.jrnn.simd.SimdSpecies.FLOAT;
import static dev.jrnn.simd.SimdSpecies.LANES;
import static dev.jrnn.simd.SimdSpecies.PANEL;

import java.util.Objects;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

/**
 * Single-precision matrix products {@code C = A B} on a packed {@code B}.
 *
 * <p>{@code B} ({@code k x n}) is packed once into panels of {@link SimdSpecies#PANEL} (two
 * vectors of) columns, each panel {@code k} rows of {@code PANEL} contiguous floats, zero-padded
 * on the right: the micro-kernel then streams it with aligned vector loads. {@code A} is read in
 * place through a row and a column stride, so {@code A} and {@code A}<sup>T</sup> cost the same;
 * its elements are broadcast. The register tile is 4 rows by 2 vectors (8 accumulators, enough to
 * hide FMA latency on two FMA pipes); single rows use 2 vectors with {@code k} unrolled by 4.
 *
 * <p>Every element of {@code C} is one sweep over {@code k} in a fixed order, whatever the caller's
 * partition of rows and panels: results do not depend on the number of threads. Methods named
 * {@code ...Unchecked} trust their arguments; the public methods check them first.
 */
public final class Gemm {

    private Gemm() {
    }

    /** Rows of the register tile. */
    static final int MR = 4;

    /** Panels needed for {@code n} columns. */
    static int panels(int n) {
        return (n + PANEL - 1) / PANEL;
    }

    /** Floats a packed {@code k x n} matrix occupies. */
    public static int packedSize(int k, int n) {
        return Math.multiplyExact(panels(n) * PANEL, k);
    }

    // ------------------------------------------------------------------ packing

    /**
     * Packs row-major {@code B[k][n]} ({@code b[bOff + r * ldb + c]}) into {@code dst} from
     * {@code dstOff}: panel {@code p} holds columns {@code [p * PANEL, p * PANEL + PANEL)}.
     */
    static void packUnchecked(int k, int n, float[] b, int bOff, int ldb, float[] dst, int dstOff) {
        int panels = panels(n);
        for (int p = 0; p < panels; p++) {
            int c0 = p * PANEL, w = Math.min(PANEL, n - c0);
            int base = dstOff + p * k * PANEL;
            for (int r = 0; r < k; r++) {
                int src = bOff + r * ldb + c0, at = base + r * PANEL;
                System.arraycopy(b, src, dst, at, w);
                for (int c = w; c < PANEL; c++) {
                    dst[at + c] = 0f;
                }
            }
        }
    }

    /**
     * Packs the transpose of a gate-major weight matrix {@code W[G*H][k]} (PyTorch's
     * {@code weight_ih} or {@code weight_hh}) so that {@code x W^T} comes out gate-major, in
     * <em>unit blocks</em>: panel {@code u * G + g} holds the columns of gate {@code g} for hidden
     * units {@code [u * PANEL, u * PANEL + PANEL)}. A thread that owns unit block {@code u} then
     * computes every gate of its units, and can run the cell's pointwise pass on them at once.
     */
    static void packGatesTransposed(float[] w, int gates, int hidden, int k, float[] dst) {
        int blocks = panels(hidden);
        for (int u = 0; u < blocks; u++) {
            int j0 = u * PANEL, width = Math.min(PANEL, hidden - j0);
            for (int g = 0; g < gates; g++) {
                int base = (u * gates + g) * k * PANEL;
                for (int r = 0; r < k; r++) {
                    for (int c = 0; c < PANEL; c++) {
                        dst[base + r * PANEL + c] = c < width ? w[(g * hidden + j0 + c) * k + r] : 0f;
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ drivers

    /**
     * {@code C[m][g*H + j] (+)= sum_k A[i][k] Bt[k][g*H + j] (+ bias[g*H + j])} for the unit blocks
     * {@code [u0, u1)} of a {@link #packGatesTransposed} matrix, for all rows.
     */
    static void gatesUnchecked(int m, int k, float[] a, int aOff, int rsA, int csA, float[] packed, int gates,
                               int hidden, int u0, int u1, float[] c, int cOff, int ldc, float[] bias,
                               boolean accumulate) {
        int mc = rowBlock(k);
        for (int i0 = 0; i0 < m; i0 += mc) {
            int rows = Math.min(mc, m - i0);
            for (int u = u0; u < u1; u++) {
                int j0 = u * PANEL, width = Math.min(PANEL, hidden - j0);
                for (int g = 0; g < gates; g++) {
                    int col = g * hidden + j0;
                    panel(rows, k, a, aOff + i0 * rsA, rsA, csA, packed, (u * gates + g) * k * PANEL,
                            c, cOff + i0 * ldc + col, ldc, width, bias, col, accumulate);
                }
            }
        }
    }

    /** {@code C[m][p-panels] (+)= A B} for panels {@code [p0, p1)} of a {@link #packUnchecked} matrix of {@code n} columns. */
    static void gemmUnchecked(int m, int n, int k, float[] a, int aOff, int rsA, int csA, float[] packed, int p0,
                              int p1, float[] c, int cOff, int ldc, boolean accumulate) {
        int mc = rowBlock(k);
        for (int i0 = 0; i0 < m; i0 += mc) {
            int rows = Math.min(mc, m - i0);
            for (int p = p0; p < p1; p++) {
                int col = p * PANEL;
                panel(rows, k, a, aOff + i0 * rsA, rsA, csA, packed, p * k * PANEL, c, cOff + i0 * ldc + col, ldc,
                        Math.min(PANEL, n - col), null, 0, accumulate);
            }
        }
    }

    /** Rows of {@code A} per block: about 64 KiB of {@code A}, so it stays in L2 while the panels stream past. */
    private static int rowBlock(int k) {
        return Math.max(MR, (16384 / Math.max(1, k)) / MR * MR);
    }

    // ------------------------------------------------------------------ micro-kernels

    /** One panel against {@code m} rows of {@code A}: {@code C[i][0..width)}. */
    static void panel(int m, int k, float[] a, int aOff, int rsA, int csA, float[] bp, int bpOff, float[] c,
                      int cOff, int ldc, int width, float[] bias, int biasOff, boolean accumulate) {
        int i = 0;
        for (; i + MR <= m; i += MR) {
            kernel4(k, a, aOff + i * rsA, rsA, csA, bp, bpOff, c, cOff + i * ldc, ldc, width, bias, biasOff, accumulate);
        }
        for (; i < m; i++) {
            kernel1(k, a, aOff + i * rsA, csA, bp, bpOff, c, cOff + i * ldc, width, bias, biasOff, accumulate);
        }
    }

    private static void kernel4(int k, float[] a, int aOff, int rsA, int csA, float[] bp, int bpOff, float[] c,
                                int cOff, int ldc, int width, float[] bias, int biasOff, boolean accumulate) {
        FloatVector c00 = FloatVector.zero(FLOAT), c01 = c00, c10 = c00, c11 = c00;
        FloatVector c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        int ap = aOff, bpp = bpOff;
        for (int kk = 0; kk < k; kk++, ap += csA, bpp += PANEL) {
            FloatVector b0 = FloatVector.fromArray(FLOAT, bp, bpp);
            FloatVector b1 = FloatVector.fromArray(FLOAT, bp, bpp + LANES);
            FloatVector a0 = FloatVector.broadcast(FLOAT, a[ap]);
            c00 = b0.fma(a0, c00);
            c01 = b1.fma(a0, c01);
            FloatVector a1 = FloatVector.broadcast(FLOAT, a[ap + rsA]);
            c10 = b0.fma(a1, c10);
            c11 = b1.fma(a1, c11);
            FloatVector a2 = FloatVector.broadcast(FLOAT, a[ap + 2 * rsA]);
            c20 = b0.fma(a2, c20);
            c21 = b1.fma(a2, c21);
            FloatVector a3 = FloatVector.broadcast(FLOAT, a[ap + 3 * rsA]);
            c30 = b0.fma(a3, c30);
            c31 = b1.fma(a3, c31);
        }
        store(c00, c01, c, cOff, width, bias, biasOff, accumulate);
        store(c10, c11, c, cOff + ldc, width, bias, biasOff, accumulate);
        store(c20, c21, c, cOff + 2 * ldc, width, bias, biasOff, accumulate);
        store(c30, c31, c, cOff + 3 * ldc, width, bias, biasOff, accumulate);
    }

    private static void kernel1(int k, float[] a, int aOff, int csA, float[] bp, int bpOff, float[] c, int cOff,
                                int width, float[] bias, int biasOff, boolean accumulate) {
        FloatVector s0 = FloatVector.zero(FLOAT), s1 = s0, t0 = s0, t1 = s0, u0 = s0, u1 = s0, v0 = s0, v1 = s0;
        int kk = 0, ap = aOff, bpp = bpOff;
        for (; kk + 4 <= k; kk += 4, ap += 4 * csA, bpp += 4 * PANEL) {
            FloatVector a0 = FloatVector.broadcast(FLOAT, a[ap]);
            s0 = FloatVector.fromArray(FLOAT, bp, bpp).fma(a0, s0);
            s1 = FloatVector.fromArray(FLOAT, bp, bpp + LANES).fma(a0, s1);
            FloatVector a1 = FloatVector.broadcast(FLOAT, a[ap + csA]);
            t0 = FloatVector.fromArray(FLOAT, bp, bpp + PANEL).fma(a1, t0);
            t1 = FloatVector.fromArray(FLOAT, bp, bpp + PANEL + LANES).fma(a1, t1);
            FloatVector a2 = FloatVector.broadcast(FLOAT, a[ap + 2 * csA]);
            u0 = FloatVector.fromArray(FLOAT, bp, bpp + 2 * PANEL).fma(a2, u0);
            u1 = FloatVector.fromArray(FLOAT, bp, bpp + 2 * PANEL + LANES).fma(a2, u1);
            FloatVector a3 = FloatVector.broadcast(FLOAT, a[ap + 3 * csA]);
            v0 = FloatVector.fromArray(FLOAT, bp, bpp + 3 * PANEL).fma(a3, v0);
            v1 = FloatVector.fromArray(FLOAT, bp, bpp + 3 * PANEL + LANES).fma(a3, v1);
        }
        for (; kk < k; kk++, ap += csA, bpp += PANEL) {
            FloatVector a0 = FloatVector.broadcast(FLOAT, a[ap]);
            s0 = FloatVector.fromArray(FLOAT, bp, bpp).fma(a0, s0);
            s1 = FloatVector.fromArray(FLOAT, bp, bpp + LANES).fma(a0, s1);
        }
        store(s0.add(t0).add(u0.add(v0)), s1.add(t1).add(u1.add(v1)), c, cOff, width, bias, biasOff, accumulate);
    }

    private static void store(FloatVector lo, FloatVector hi, float[] c, int cOff, int width, float[] bias,
                              int biasOff, boolean accumulate) {
        if (width == PANEL) {
            if (bias != null) {
                lo = lo.add(FloatVector.fromArray(FLOAT, bias, biasOff));
                hi = hi.add(FloatVector.fromArray(FLOAT, bias, biasOff + LANES));
            }
            if (accumulate) {
                lo = lo.add(FloatVector.fromArray(FLOAT, c, cOff));
                hi = hi.add(FloatVector.fromArray(FLOAT, c, cOff + LANES));
            }
            lo.intoArray(c, cOff);
            hi.intoArray(c, cOff + LANES);
            return;
        }
        VectorMask<Float> mLo = SimdSpecies.prefix(Math.min(width, LANES));
        VectorMask<Float> mHi = SimdSpecies.prefix(Math.max(0, width - LANES));
        if (bias != null) {
            lo = lo.add(FloatVector.fromArray(FLOAT, bias, biasOff, mLo));
            hi = hi.add(FloatVector.fromArray(FLOAT, bias, biasOff + LANES, mHi));
        }
        if (accumulate) {
            lo = lo.add(FloatVector.fromArray(FLOAT, c, cOff, mLo));
            hi = hi.add(FloatVector.fromArray(FLOAT, c, cOff + LANES, mHi));
        }
        lo.intoArray(c, cOff, mLo);
        hi.intoArray(c, cOff + LANES, mHi);
    }

    // ------------------------------------------------------------------ public, checked

    /** A {@code k x n} matrix packed for use as {@code B}. */
    public record PackedB(int k, int n, float[] data) {
    }

    /** Packs row-major {@code B[k][n]} with leading dimension {@code ldb}. */
    public static PackedB pack(int k, int n, float[] b, int bOff, int ldb) {
        checkMatrix("B", k, n, b, bOff, ldb);
        float[] data = new float[packedSize(k, n)];
        packUnchecked(k, n, b, bOff, ldb, data, 0);
        return new PackedB(k, n, data);
    }

    /**
     * {@code C = A B} or, with {@code accumulate}, {@code C += A B}: {@code A} is {@code m x k}
     * row-major with leading dimension {@code lda} ({@code transA}: {@code A} is stored as its
     * {@code k x m} transpose), {@code C} is {@code m x n} row-major with leading dimension {@code ldc}.
     */
    public static void gemm(int m, boolean transA, float[] a, int aOff, int lda, PackedB b, float[] c, int cOff,
                            int ldc, boolean accumulate) {
        Objects.requireNonNull(b, "b");
        int k = b.k(), n = b.n();
        if (transA) {
            checkMatrix("A^T", k, m, a, aOff, lda);
        } else {
            checkMatrix("A", m, k, a, aOff, lda);
        }
        checkMatrix("C", m, n, c, cOff, ldc);
        gemmUnchecked(m, n, k, a, aOff, transA ? 1 : lda, transA ? lda : 1, b.data(), 0, panels(n), c, cOff, ldc,
                accumulate);
    }

    /** {@code y = A x} ({@code A} is {@code m x k} row-major, packed transposed as {@code B}): batch-1 GEMM. */
    public static void gemv(float[] x, int xOff, PackedB aTransposed, float[] y, int yOff) {
        gemm(1, false, x, xOff, aTransposed.k(), aTransposed, y, yOff, aTransposed.n(), false);
    }

    private static void checkMatrix(String name, int rows, int cols, float[] data, int off, int ld) {
        Objects.requireNonNull(data, name);
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException(name + ": dimensions must be >= 1, got " + rows + " x " + cols);
        }
        if (ld < cols) {
            throw new IllegalArgumentException(name + ": leading dimension " + ld + " < " + cols + " columns");
        }
        long last = off + (long) (rows - 1) * ld + cols;
        if (off < 0 || last > data.length) {
            throw new IndexOutOfBoundsException(name + ": " + rows + " x " + cols + " with leading dimension " + ld
                    + " from offset " + off + " needs " + last + " floats, the array has " + data.length);
        }
    }
}
