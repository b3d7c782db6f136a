package dev.jrnn.simd;

import static dev.jrnn.simd.SimdSpecies.FLOAT;
import static dev.jrnn.simd.SimdSpecies.LANES;
import static dev.jrnn.simd.SimdSpecies.PANEL;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;

/**
 * Single-precision matrix products {@code C = A B} on a packed {@code B}.
 *
 * <p>{@code B} ({@code k x n}) is packed once into panels of {@link SimdSpecies#PANEL} (two
 * vectors of) columns, each panel {@code k} rows of {@code PANEL} contiguous floats, zero-padded
 * on the right, in native memory aligned to 64 bytes: the micro-kernel then streams it with
 * aligned vector loads. (A heap array sits 16 bytes past an 8-byte boundary that the collector
 * may move: a 512-bit load from it splits a cache line, measured 1.5x slower on the W1 layer.) {@code A} is read in
 * place through a row and a column stride, so {@code A} and {@code A}<sup>T</sup> cost the same;
 * its elements are broadcast. The register tile is 8 rows by 2 vectors where the ISA has 32 vector
 * registers ({@link #WIDE_TILE}), else 4 rows by 2 vectors (8 accumulators, enough to hide FMA
 * latency on two FMA pipes); rows after the last whole tile go through the same kernel on a
 * padded copy. The kernels write {@code C} once, as the start (its old value, a bias row, or
 * zeros) plus the product.
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

    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final long ALIGNMENT = 64;

    /** A copy of packed floats in native memory of {@code arena}, aligned for vector loads. */
    static MemorySegment aligned(Arena arena, float[] packed) {
        MemorySegment segment = arena.allocate((long) packed.length * Float.BYTES, ALIGNMENT);
        MemorySegment.copy(packed, 0, segment, ValueLayout.JAVA_FLOAT, 0, packed.length);
        return segment;
    }

    /** Zeroed native memory for {@code floats} packed floats. */
    static MemorySegment aligned(Arena arena, int floats) {
        return arena.allocate((long) floats * Float.BYTES, ALIGNMENT);
    }

    /** Columns of a packed panel: two vectors of the species in use. */
    public static int panelWidth() {
        return PANEL;
    }

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
                for (int c = 0; c < PANEL; c++) { // read W's rows in order, write the panel's columns
                    if (c < width) {
                        for (int r = 0, src = (g * hidden + j0 + c) * k; r < k; r++) {
                            dst[base + r * PANEL + c] = w[src + r];
                        }
                    } else {
                        for (int r = 0; r < k; r++) {
                            dst[base + r * PANEL + c] = 0f;
                        }
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
    static void gatesUnchecked(int m, int k, float[] a, int aOff, int rsA, int csA, MemorySegment packed, int gates,
                               int hidden, int u0, int u1, float[] c, int cOff, int ldc, float[] bias,
                               boolean accumulate) {
        int mc = rowBlock(k), full = m / TILE * TILE;
        for (int i0 = 0; i0 < full; i0 += mc) {
            int rows = Math.min(mc, full - i0);
            for (int u = u0; u < u1; u++) {
                for (int g = 0; g < gates; g++) {
                    int col = g * hidden + u * PANEL;
                    tiles(rows, k, a, aOff + i0 * rsA, rsA, csA, packed,
                            (long) (u * gates + g) * k * PANEL * Float.BYTES, c, cOff + i0 * ldc + col, ldc, accumulate,
                            bias, col);
                }
            }
        }
        if (full == m - 1) { // one row (batch 1): the row kernel streams the panels once
            int at = cOff + full * ldc;
            rowPanels(k, a, aOff + full * rsA, csA, packed, 0, u0 * gates, u1 * gates, gates, hidden, c, at,
                    accumulate ? c : bias != null ? bias : ZEROS, accumulate ? at : 0, accumulate || bias != null);
        } else if (full < m) {
            Tail t = tailRows(m - full, k, a, aOff + full * rsA, rsA, csA);
            for (int u = u0; u < u1; u++) {
                for (int g = 0; g < gates; g++) {
                    int col = g * hidden + u * PANEL;
                    tailPanel(t, m - full, k, packed, (long) (u * gates + g) * k * PANEL * Float.BYTES, c,
                            cOff + full * ldc + col, ldc, accumulate, bias, col);
                }
            }
        }
    }

    /**
     * {@code C[m][panels p0..p1) (+)= A B} for a {@link #packUnchecked} matrix; every panel is
     * written whole, so {@code C}'s rows must hold {@code p1 * PANEL} columns.
     */
    static void gemmUnchecked(int m, int k, float[] a, int aOff, int rsA, int csA, MemorySegment packed, int p0, int p1,
                              float[] c, int cOff, int ldc, boolean accumulate) {
        int mc = rowBlock(k), full = m / TILE * TILE;
        for (int i0 = 0; i0 < full; i0 += mc) {
            int rows = Math.min(mc, full - i0);
            for (int p = p0; p < p1; p++) {
                tiles(rows, k, a, aOff + i0 * rsA, rsA, csA, packed, (long) p * k * PANEL * Float.BYTES, c,
                        cOff + i0 * ldc + p * PANEL, ldc, accumulate, null, 0);
            }
        }
        if (full == m - 1) {
            int at = cOff + full * ldc;
            rowPanels(k, a, aOff + full * rsA, csA, packed, 0, p0, p1, 1, 0, c, at, accumulate ? c : ZEROS,
                    accumulate ? at : 0, accumulate);
        } else if (full < m) {
            Tail t = tailRows(m - full, k, a, aOff + full * rsA, rsA, csA);
            for (int p = p0; p < p1; p++) {
                tailPanel(t, m - full, k, packed, (long) p * k * PANEL * Float.BYTES, c, cOff + full * ldc + p * PANEL,
                        ldc, accumulate, null, 0);
            }
        }
    }

    /**
     * Rows of {@code A} per block: about 256 KiB of {@code A}, which stays in L2 while the panels
     * stream past once per block. (64 KiB cut W3's 64-row recurrent product in two blocks and
     * streamed its 4 MiB of weights twice per step.)
     */
    private static int rowBlock(int k) {
        return Math.max(TILE, (65536 / Math.max(1, k)) / TILE * TILE);
    }

    // ------------------------------------------------------------------ micro-kernels

    /*
     * The micro-kernels pass no vector to any method of ours: C2 inlines the Vector API's own
     * methods even past its node budget (they are @ForceInline and get delayed), but a helper of
     * ours cut off there would box every vector it touches.
     *
     * A kernel sweeps k in order (A strided by rsA and csA), with one accumulator per row and
     * vector from zero; at the end C's row becomes start + accumulator, where start is C itself
     * (accumulate), the bias, or zeros. The 8-row and 4-row kernels give every element the same
     * sum in the same order, and rows after the last whole tile go through the same kernel on a
     * padded copy (tailRows, tailPanel): so every element of C is the same sum whatever the
     * partition of rows, and one kernel does all the work (one method for C2 to compile).
     */

    /**
     * Whether the 8-row kernel is used: 16 accumulators, 2 vectors of B and a broadcast need more
     * than 16 vector registers, which every ISA with 512-bit vectors has (AVX-512, SVE: 32). Narrower
     * species run the 4-row kernel, which fits 16 (AVX2). Measured on Zen 5 (512 bits): the 8-row
     * kernel is 10-17% faster on the demo's LSTM products (it loads B half as often per FMA).
     * {@code -Djrnn.simd.tile=4|8} forces one (tests).
     */
    static final boolean WIDE_TILE = wideTile(System.getProperty("jrnn.simd.tile"));

    /** Rows of one kernel call: 8 or 4 ({@link #WIDE_TILE}). */
    static final int TILE = WIDE_TILE ? 8 : MR;

    static boolean wideTile(String forced) {
        if (forced == null || forced.isBlank()) {
            return FLOAT.vectorBitSize() >= 512;
        }
        return switch (forced.trim()) {
            case "4" -> false;
            case "8" -> true;
            default -> throw new IllegalArgumentException("-Djrnn.simd.tile must be 4 or 8, got '" + forced + "'");
        };
    }

    /** Zeros to start from: a panel's worth. */
    private static final float[] ZEROS = new float[PANEL];

    /** Bytes of one packed row ({@code PANEL} floats) and of one vector. */
    private static final long ROW = (long) PANEL * Float.BYTES, HALF = (long) LANES * Float.BYTES;

    /** {@code C[i][0..PANEL) += A[i][:] Bp} for {@code m} rows of a strided {@code A}; {@code bpOff} in bytes. */
    static void panel(int m, int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bpOff, float[] c,
                      int cOff, int ldc) {
        int full = m / TILE * TILE;
        tiles(full, k, a, aOff, rsA, csA, bp, bpOff, c, cOff, ldc, true, null, 0);
        if (full == m - 1) {
            int at = cOff + full * ldc;
            rowPanels(k, a, aOff + full * rsA, csA, bp, bpOff, 0, 1, 1, 0, c, at, c, at, true);
        } else if (full < m) {
            tailPanel(tailRows(m - full, k, a, aOff + full * rsA, rsA, csA), m - full, k, bp, bpOff, c,
                    cOff + full * ldc, ldc, true, null, 0);
        }
    }

    /** {@code C[i][0..PANEL) = start + A[i][:] Bp} for {@code m} rows, a multiple of {@link #TILE}, of a strided {@code A}. */
    private static void tiles(int m, int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bpOff,
                              float[] c, int cOff, int ldc, boolean accumulate, float[] bias, int biasOff) {
        // where each row starts from: C's row itself, the bias (every row), or zeros (every row)
        float[] s = accumulate ? c : bias != null ? bias : ZEROS;
        int sOff = accumulate ? cOff : bias != null ? biasOff : 0, sld = accumulate ? ldc : 0;
        for (int i = 0; i < m; i += TILE) {
            if (WIDE_TILE) {
                kernel8(k, a, aOff + i * rsA, rsA, csA, bp, bpOff, c, cOff + i * ldc, ldc, s, sOff + i * sld, sld);
            } else {
                kernel4(k, a, aOff + i * rsA, rsA, csA, bp, bpOff, c, cOff + i * ldc, ldc, s, sOff + i * sld, sld);
            }
        }
    }

    /** A thread's scratch for the rows after the last whole tile: those rows of A padded to a tile, and of C. */
    private static final class Tail {
        float[] a = new float[0];
        final float[] c = new float[8 * PANEL];
    }

    private static final ThreadLocal<Tail> TAILS = ThreadLocal.withInitial(Tail::new);

    /**
     * Copies {@code rows} (fewer than a tile) rows of {@code A} into this thread's scratch, {@code k}
     * apart; the scratch's other rows hold whatever they held (their results are dropped).
     */
    private static Tail tailRows(int rows, int k, float[] a, int aOff, int rsA, int csA) {
        Tail t = TAILS.get();
        if (t.a.length < TILE * k) {
            t.a = new float[TILE * k];
        }
        float[] ta = t.a;
        for (int r = 0; r < rows; r++) {
            int from = aOff + r * rsA;
            if (csA == 1) {
                System.arraycopy(a, from, ta, r * k, k);
            } else {
                for (int kk = 0; kk < k; kk++) {
                    ta[r * k + kk] = a[from + kk * csA];
                }
            }
        }
        return t;
    }

    /** One panel of the rows in {@code t}: the kernel on a whole tile of scratch rows, then the real rows into {@code C}. */
    private static void tailPanel(Tail t, int rows, int k, MemorySegment bp, long bpOff, float[] c, int cOff, int ldc,
                                  boolean accumulate, float[] bias, int biasOff) {
        float[] tc = t.c;
        if (accumulate) {
            for (int r = 0; r < rows; r++) {
                System.arraycopy(c, cOff + r * ldc, tc, r * PANEL, PANEL);
            }
        }
        float[] s = accumulate ? tc : bias != null ? bias : ZEROS;
        int sOff = accumulate ? 0 : bias != null ? biasOff : 0, sld = accumulate ? PANEL : 0;
        if (WIDE_TILE) {
            kernel8(k, t.a, 0, k, 1, bp, bpOff, tc, 0, PANEL, s, sOff, sld);
        } else {
            kernel4(k, t.a, 0, k, 1, bp, bpOff, tc, 0, PANEL, s, sOff, sld);
        }
        for (int r = 0; r < rows; r++) {
            System.arraycopy(tc, r * PANEL, c, cOff + r * ldc, PANEL);
        }
    }

    /**
     * One row of {@code A} against panels {@code [q0, q1)}: panel {@code q} is {@code k * PANEL}
     * floats from byte {@code bpOff + q * k * PANEL * 4} and lands in C's columns from
     * {@code (q % gates) * hidden + (q / gates) * PANEL} (a {@link #packGatesTransposed} matrix;
     * {@code gates} 1: plain panels), starting from {@code s} at the same columns ({@code sCols}) or
     * from {@code s[sOff..]}. Four panels per sweep over {@code k} (a batch-1 product is bound by
     * streaming the weights, not by FMAs: the 8-row tile would spend 8 times the FMAs on padding).
     */
    private static void rowPanels(int k, float[] a, int aOff, int csA, MemorySegment bp, long bpOff, int q0, int q1,
                                  int gates, int hidden, float[] c, int cOff, float[] s, int sOff, boolean sCols) {
        long panelBytes = (long) k * ROW;
        for (int q = q0; q < q1; q += 4) {
            // a group of fewer than four repeats its last panel: the same value written twice
            int qa = q, qb = Math.min(q + 1, q1 - 1), qc = Math.min(q + 2, q1 - 1), qd = Math.min(q + 3, q1 - 1);
            int ca = column(qa, gates, hidden), cb = column(qb, gates, hidden), cc = column(qc, gates, hidden),
                    cd = column(qd, gates, hidden);
            row4(k, a, aOff, csA, bp, bpOff + qa * panelBytes, bpOff + qb * panelBytes, bpOff + qc * panelBytes,
                    bpOff + qd * panelBytes, c, cOff + ca, cOff + cb, cOff + cc, cOff + cd, s,
                    sCols ? sOff + ca : sOff, sCols ? sOff + cb : sOff, sCols ? sOff + cc : sOff,
                    sCols ? sOff + cd : sOff);
        }
    }

    private static int column(int q, int gates, int hidden) {
        return q % gates * hidden + q / gates * PANEL;
    }

    /**
     * {@code C} row = start + {@code A} row times four panels: each element the same sweep over
     * {@code k}, in the same order, as in {@link #kernel8} and {@link #kernel4}, so a row's results
     * do not depend on the kernel that ran it. Every start is read before any of {@code C} is written.
     */
    private static void row4(int k, float[] a, int aOff, int csA, MemorySegment bp, long ba, long bb, long bc, long bd,
                             float[] c, int ca, int cb, int cc, int cd, float[] s, int sa, int sb, int sc, int sd) {
        FloatVector a0 = FloatVector.zero(FLOAT), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, d0 = a0, d1 = a0;
        for (int kk = 0, ap = aOff; kk < k; kk++, ap += csA) {
            FloatVector x = FloatVector.broadcast(FLOAT, a[ap]);
            long step = kk * ROW;
            a0 = FloatVector.fromMemorySegment(FLOAT, bp, ba + step, ORDER).fma(x, a0);
            a1 = FloatVector.fromMemorySegment(FLOAT, bp, ba + step + HALF, ORDER).fma(x, a1);
            b0 = FloatVector.fromMemorySegment(FLOAT, bp, bb + step, ORDER).fma(x, b0);
            b1 = FloatVector.fromMemorySegment(FLOAT, bp, bb + step + HALF, ORDER).fma(x, b1);
            c0 = FloatVector.fromMemorySegment(FLOAT, bp, bc + step, ORDER).fma(x, c0);
            c1 = FloatVector.fromMemorySegment(FLOAT, bp, bc + step + HALF, ORDER).fma(x, c1);
            d0 = FloatVector.fromMemorySegment(FLOAT, bp, bd + step, ORDER).fma(x, d0);
            d1 = FloatVector.fromMemorySegment(FLOAT, bp, bd + step + HALF, ORDER).fma(x, d1);
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

    private static void kernel8(int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bpOff,
                                float[] c, int cOff, int ldc, float[] s, int sOff, int sld) {
        FloatVector c00 = FloatVector.zero(FLOAT), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        long bpp = bpOff;
        for (int kk = 0, ap = aOff; kk < k; kk++, ap += csA, bpp += ROW) {
            FloatVector b0 = FloatVector.fromMemorySegment(FLOAT, bp, bpp, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(FLOAT, bp, bpp + HALF, ORDER);
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
            FloatVector a4 = FloatVector.broadcast(FLOAT, a[ap + 4 * rsA]);
            c40 = b0.fma(a4, c40);
            c41 = b1.fma(a4, c41);
            FloatVector a5 = FloatVector.broadcast(FLOAT, a[ap + 5 * rsA]);
            c50 = b0.fma(a5, c50);
            c51 = b1.fma(a5, c51);
            FloatVector a6 = FloatVector.broadcast(FLOAT, a[ap + 6 * rsA]);
            c60 = b0.fma(a6, c60);
            c61 = b1.fma(a6, c61);
            FloatVector a7 = FloatVector.broadcast(FLOAT, a[ap + 7 * rsA]);
            c70 = b0.fma(a7, c70);
            c71 = b1.fma(a7, c71);
        }
        int r = cOff, q = sOff;
        FloatVector.fromArray(FLOAT, s, q).add(c00).intoArray(c, r);
        FloatVector.fromArray(FLOAT, s, q + LANES).add(c01).intoArray(c, r + LANES);
        r += ldc;
        q += sld;
        FloatVector.fromArray(FLOAT, s, q).add(c10).intoArray(c, r);
        FloatVector.fromArray(FLOAT, s, q + LANES).add(c11).intoArray(c, r + LANES);
        r += ldc;
        q += sld;
        FloatVector.fromArray(FLOAT, s, q).add(c20).intoArray(c, r);
        FloatVector.fromArray(FLOAT, s, q + LANES).add(c21).intoArray(c, r + LANES);
        r += ldc;
        q += sld;
        FloatVector.fromArray(FLOAT, s, q).add(c30).intoArray(c, r);
        FloatVector.fromArray(FLOAT, s, q + LANES).add(c31).intoArray(c, r + LANES);
        r += ldc;
        q += sld;
        FloatVector.fromArray(FLOAT, s, q).add(c40).intoArray(c, r);
        FloatVector.fromArray(FLOAT, s, q + LANES).add(c41).intoArray(c, r + LANES);
        r += ldc;
        q += sld;
        FloatVector.fromArray(FLOAT, s, q).add(c50).intoArray(c, r);
        FloatVector.fromArray(FLOAT, s, q + LANES).add(c51).intoArray(c, r + LANES);
        r += ldc;
        q += sld;
        FloatVector.fromArray(FLOAT, s, q).add(c60).intoArray(c, r);
        FloatVector.fromArray(FLOAT, s, q + LANES).add(c61).intoArray(c, r + LANES);
        r += ldc;
        q += sld;
        FloatVector.fromArray(FLOAT, s, q).add(c70).intoArray(c, r);
        FloatVector.fromArray(FLOAT, s, q + LANES).add(c71).intoArray(c, r + LANES);
    }

    private static void kernel4(int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bpOff,
                                float[] c, int cOff, int ldc, float[] s, int sOff, int sld) {
        FloatVector c00 = FloatVector.zero(FLOAT), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        long bpp = bpOff;
        for (int kk = 0, ap = aOff; kk < k; kk++, ap += csA, bpp += ROW) {
            FloatVector b0 = FloatVector.fromMemorySegment(FLOAT, bp, bpp, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(FLOAT, bp, bpp + HALF, ORDER);
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
        int r = cOff, q = sOff;
        FloatVector.fromArray(FLOAT, s, q).add(c00).intoArray(c, r);
        FloatVector.fromArray(FLOAT, s, q + LANES).add(c01).intoArray(c, r + LANES);
        r += ldc;
        q += sld;
        FloatVector.fromArray(FLOAT, s, q).add(c10).intoArray(c, r);
        FloatVector.fromArray(FLOAT, s, q + LANES).add(c11).intoArray(c, r + LANES);
        r += ldc;
        q += sld;
        FloatVector.fromArray(FLOAT, s, q).add(c20).intoArray(c, r);
        FloatVector.fromArray(FLOAT, s, q + LANES).add(c21).intoArray(c, r + LANES);
        r += ldc;
        q += sld;
        FloatVector.fromArray(FLOAT, s, q).add(c30).intoArray(c, r);
        FloatVector.fromArray(FLOAT, s, q + LANES).add(c31).intoArray(c, r + LANES);
    }

    // ------------------------------------------------------------------ public, checked

    /** A {@code k x n} matrix packed for use as {@code B}, in native memory the garbage collector frees. */
    public record PackedB(int k, int n, MemorySegment data) {
    }

    /** Packs row-major {@code B[k][n]} with leading dimension {@code ldb}. */
    public static PackedB pack(int k, int n, float[] b, int bOff, int ldb) {
        checkMatrix("B", k, n, b, bOff, ldb);
        float[] data = new float[packedSize(k, n)];
        packUnchecked(k, n, b, bOff, ldb, data, 0);
        return new PackedB(k, n, aligned(Arena.ofAuto(), data));
    }

    /**
     * {@code C = A B} or, with {@code accumulate}, {@code C += A B}: {@code A} is {@code m x k}
     * row-major with leading dimension {@code lda} ({@code transA}: {@code A} is stored as its
     * {@code k x m} transpose), {@code C} is {@code m x n} row-major with leading dimension {@code ldc}.
     * Allocates nothing when {@code n} is a multiple of {@link #panelWidth()}.
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
        int rsA = transA ? 1 : lda, csA = transA ? lda : 1, panels = panels(n);
        if (n % PANEL == 0) {
            gemmUnchecked(m, k, a, aOff, rsA, csA, b.data(), 0, panels, c, cOff, ldc, accumulate);
            return;
        }
        // the kernels write whole panels: go through a padded copy of C (this allocates)
        int ldp = panels * PANEL;
        float[] padded = new float[m * ldp];
        for (int i = 0; i < m; i++) {
            System.arraycopy(c, cOff + i * ldc, padded, i * ldp, n);
        }
        gemmUnchecked(m, k, a, aOff, rsA, csA, b.data(), 0, panels, padded, 0, ldp, accumulate);
        for (int i = 0; i < m; i++) {
            System.arraycopy(padded, i * ldp, c, cOff + i * ldc, n);
        }
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
