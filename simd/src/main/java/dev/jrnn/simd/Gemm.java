package dev.jrnn.simd;

import static dev.jrnn.simd.SimdSpecies.FLOAT;
import static dev.jrnn.simd.SimdSpecies.LANES;
import static dev.jrnn.simd.SimdSpecies.PANEL;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.runtime.DecisionStore;
import dev.jrnn.core.spi.SelfTest;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;

/**
 * Single-precision matrix products {@code C = A B} on a packed {@code B}.
 *
 * <p>{@code B} ({@code k x n}) is packed once into panels of {@link SimdSpecies#PANEL} (two
 * vectors of) columns, each panel {@code k} rows of {@code PANEL} contiguous floats, zero-padded
 * on the right, in native memory aligned to 64 bytes: the micro-kernel then streams it with
 * aligned vector loads. (A heap array sits 16 bytes past an 8-byte boundary that the collector
 * may move: a 512-bit load from it splits a cache line, measured 1.5x slower on the W1 layer.) {@code A}
 * is read in place through a row and a column stride, so {@code A} and {@code A}<sup>T</sup> cost
 * the same; its elements are broadcast. The register tile ({@link Tile}: 4 to 14 rows by 2 or 4
 * vectors, up to 28 accumulators) is chosen per process by timing the candidates ({@link Planner}),
 * or forced with {@code -Djrnn.simd.tile}; rows the tile leaves go through 8- and 4-row kernels, a last 2 or 3 rows
 * through the 4-row kernel on a padded copy, a single row through a row kernel. The kernels write
 * {@code C} once, as the start (its old value, a bias row, or zeros) plus the product.
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
        product(null, m, k, a, aOff, rsA, csA, packed, 0, u0 * gates, u1 * gates, gates, hidden, c, cOff, ldc,
                accumulate, bias);
    }

    /**
     * {@code C[m][panels p0..p1) (+)= A B} for a {@link #packUnchecked} matrix; every panel is
     * written whole, so {@code C}'s rows must hold {@code p1 * PANEL} columns.
     */
    static void gemmUnchecked(int m, int k, float[] a, int aOff, int rsA, int csA, MemorySegment packed, int p0, int p1,
                              float[] c, int cOff, int ldc, boolean accumulate) {
        product(null, m, k, a, aOff, rsA, csA, packed, 0, p0, p1, 1, 0, c, cOff, ldc, accumulate, null);
    }

    /** {@code C[i][0..PANEL) += A[i][:] Bp} for {@code m} rows of a strided {@code A}; {@code bpOff} in bytes. */
    static void panel(int m, int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bpOff, float[] c,
                      int cOff, int ldc) {
        product(null, m, k, a, aOff, rsA, csA, bp, bpOff, 0, 1, 1, 0, c, cOff, ldc, true, null);
    }

    /**
     * The product of {@code m} rows of a strided {@code A} and the panels {@code [q0, q1)} of a packed
     * {@code B}: panel {@code q} is {@code k * PANEL} floats from byte {@code bpOff + q * k * PANEL * 4}
     * and lands in C's columns from {@link #column}{@code (q, gates, hidden)} (a
     * {@link #packGatesTransposed} matrix; {@code gates} 1: plain panels), each row starting from C
     * itself ({@code accumulate}), the bias at the same columns, or zeros. {@code tile} null: the
     * process's ({@link #tile()}).
     *
     * <p>Rows go in blocks of about 256 KiB of {@code A} ({@link #rowBlock}), which stays in L2 while
     * every panel streams past once. Within a block, the rows go through the tile's kernel and 8- and
     * 4-row kernels for what is left; a last 2 or 3 rows through the 4-row kernel on a zero-padded
     * copy, a last single row through the row kernel. ({@code A} is read in place: copying each block
     * in the order the kernel broadcasts it, so that the JIT checks the indices once per loop rather
     * than at every element, measured no faster on W3's products and 1.3x slower on W5's weight
     * gradient, 1024 x 256 x 1120, where the copy is a large part of the work.)
     */
    private static void product(Tile tile, int m, int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp,
                                long bpOff, int q0, int q1, int gates, int hidden, float[] c, int cOff, int ldc,
                                boolean accumulate, float[] bias) {
        int full = m / MR * MR;
        if (full > 0) {
            if (tile == null) { // planned here, not on a single row's path (Warmup's thread runs that)
                tile = tile();
            }
            int mc = rowBlock(k, tile);
            for (int i0 = 0; i0 < full; i0 += mc) {
                int rows = Math.min(mc, full - i0), big = bigRows(rows, tile);
                block(tile, rows, big, k, a, aOff + i0 * rsA, rsA, csA, bp, bpOff, q0, q1, gates, hidden, c,
                        cOff + i0 * ldc, ldc, accumulate, bias);
            }
        }
        if (full == m - 1) { // one row (batch 1): the row kernel streams the panels once
            int at = cOff + full * ldc;
            rowPanels(k, a, aOff + full * rsA, csA, bp, bpOff, q0, q1, gates, hidden, c, at,
                    accumulate ? c : bias != null ? bias : ZEROS, accumulate ? at : 0, accumulate || bias != null);
        } else if (full < m) {
            tail(m - full, k, a, aOff + full * rsA, rsA, csA, bp, bpOff, q0, q1, gates, hidden, c, cOff + full * ldc,
                    ldc, accumulate, bias);
        }
    }

    /**
     * Rows of {@code A} per block: about 256 KiB of {@code A}, which stays in L2 while the panels
     * stream past once per block (64 KiB cut W3's 64-row recurrent product in two blocks and
     * streamed its 4 MiB of weights twice per step), a multiple of the tile's rows and of 4.
     */
    private static int rowBlock(int k, Tile tile) {
        int unit = tile.rows % MR == 0 ? tile.rows : tile.rows % 2 == 0 ? 2 * tile.rows : MR * tile.rows;
        return Math.max(unit, (65536 / Math.max(1, k)) / unit * unit);
    }

    /** Rows of a block (a multiple of 4) that go through the tile's kernel: the most whole tiles that leave a multiple of 4. */
    private static int bigRows(int rows, Tile tile) {
        int q = rows / tile.rows;
        while (q > 0 && (rows - q * tile.rows) % MR != 0) {
            q--;
        }
        return q * tile.rows;
    }

    /** Rows of the kernel after the tile's, at row {@code r} of a block of {@code rows}: 8 where the tile has as many accumulators, else 4. */
    private static int smallRows(Tile tile, int r, int rows) {
        return rows - r >= 8 && tile.rows * tile.panels >= 8 ? 8 : MR;
    }

    /** A block of {@code rows} rows (a multiple of 4; the first {@code big} in whole tiles) against the panels {@code [q0, q1)}. */
    private static void block(Tile tile, int rows, int big, int k, float[] a, int aOff, int rsA, int csA,
                              MemorySegment bp, long bpOff, int q0, int q1, int gates, int hidden, float[] c, int cOff,
                              int ldc, boolean accumulate, float[] bias) {
        long panelBytes = (long) k * ROW;
        int sld = accumulate ? ldc : 0;
        for (int q = q0; q < q1; ) {
            boolean pair = tile.panels == 2 && q + 1 < q1;
            int col0 = column(q, gates, hidden), col1 = pair ? column(q + 1, gates, hidden) : col0;
            long o0 = bpOff + q * panelBytes, o1 = o0 + panelBytes;
            float[] s = accumulate ? c : bias != null ? bias : ZEROS;
            int s0 = accumulate ? cOff + col0 : bias != null ? col0 : 0;
            int s1 = accumulate ? cOff + col1 : bias != null ? col1 : 0;
            for (int r = 0; r < big; r += tile.rows) {
                int at = r * ldc, sAt = r * sld;
                if (pair) {
                    tileKernel(tile, k, a, aOff + r * rsA, rsA, csA, bp, o0, o1, c,
                            cOff + at + col0, cOff + at + col1, ldc, s, s0 + sAt, s1 + sAt, sld);
                } else {
                    oneKernel(tile.rows, k, a, aOff + r * rsA, rsA, csA, bp, o0, c,
                            cOff + at + col0, ldc, s, s0 + sAt, sld);
                }
            }
            for (int r = big; r < rows; ) {
                int g = smallRows(tile, r, rows), at = r * ldc, sAt = r * sld, aAt = aOff + r * rsA;
                oneKernel(g, k, a, aAt, rsA, csA, bp, o0, c, cOff + at + col0, ldc, s, s0 + sAt, sld);
                if (pair) {
                    oneKernel(g, k, a, aAt, rsA, csA, bp, o1, c, cOff + at + col1, ldc, s, s1 + sAt, sld);
                }
                r += g;
            }
            q += pair ? 2 : 1;
        }
    }

    /** The tile's kernel on two panels, or on one for a tile one panel wide. */
    private static void tileKernel(Tile tile, int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long o0,
                                   long o1, float[] c, int c0, int c1, int ldc, float[] s, int s0, int s1, int sld) {
        switch (tile) {
            case T4x4 -> k4x4(k, a, aOff, rsA, csA, bp, o0, o1, c, c0, c1, ldc, s, s0, s1, sld);
            case T6x4 -> k6x4(k, a, aOff, rsA, csA, bp, o0, o1, c, c0, c1, ldc, s, s0, s1, sld);
            default -> oneKernel(tile.rows, k, a, aOff, rsA, csA, bp, o0, c, c0, ldc, s, s0, sld);
        }
    }

    /** The kernel of {@code rows} rows on one panel. */
    private static void oneKernel(int rows, int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long o0,
                                  float[] c, int c0, int ldc, float[] s, int s0, int sld) {
        switch (rows) {
            case 4 -> k4x2(k, a, aOff, rsA, csA, bp, o0, c, c0, ldc, s, s0, sld);
            case 6 -> k6x2(k, a, aOff, rsA, csA, bp, o0, c, c0, ldc, s, s0, sld);
            case 8 -> k8x2(k, a, aOff, rsA, csA, bp, o0, c, c0, ldc, s, s0, sld);
            case 12 -> k12x2(k, a, aOff, rsA, csA, bp, o0, c, c0, ldc, s, s0, sld);
            case 14 -> k14x2(k, a, aOff, rsA, csA, bp, o0, c, c0, ldc, s, s0, sld);
            default -> throw new AssertionError(rows);
        }
    }

    /** A thread's scratch: the last 2 or 3 rows of a product padded to 4, of {@code A} and of {@code C}. */
    private static final class Scratch {
        float[] tailA = new float[0];
        final float[] tailC = new float[MR * PANEL];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * The last {@code rows} (2 or 3) rows: packed as a group of 4 whose other rows are zeros, through
     * the 4-row kernel into this thread's scratch, then the real rows into {@code C}.
     */
    private static void tail(int rows, int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bpOff,
                             int q0, int q1, int gates, int hidden, float[] c, int cOff, int ldc, boolean accumulate,
                             float[] bias) {
        Scratch scratch = SCRATCH.get();
        if (scratch.tailA.length < MR * k) {
            scratch.tailA = new float[MR * k];
        }
        float[] ta = scratch.tailA, tc = scratch.tailC;
        java.util.Arrays.fill(ta, 0, MR * k, 0f);
        for (int j = 0; j < rows; j++) {
            int from = aOff + j * rsA;
            for (int kk = 0; kk < k; kk++) {
                ta[kk * MR + j] = a[from + kk * csA];
            }
        }
        long panelBytes = (long) k * ROW;
        for (int q = q0; q < q1; q++) {
            int col = column(q, gates, hidden);
            if (accumulate) {
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(c, cOff + r * ldc + col, tc, r * PANEL, PANEL);
                }
            }
            float[] s = accumulate ? tc : bias != null ? bias : ZEROS;
            int s0 = accumulate ? 0 : bias != null ? col : 0, sld = accumulate ? PANEL : 0;
            k4x2(k, ta, 0, 1, MR, bp, bpOff + q * panelBytes, tc, 0, PANEL, s, s0, sld);
            for (int r = 0; r < rows; r++) {
                System.arraycopy(tc, r * PANEL, c, cOff + r * ldc + col, PANEL);
            }
        }
    }

    // ------------------------------------------------------------------ register tiles and the planner

    /**
     * A register tile: rows of {@code A} by panels of {@code B} (each two vectors) per kernel call,
     * {@code rows * 2 * panels} accumulators. Every tile gives every element of {@code C} the same
     * sum in the same order, so the choice changes times, never results.
     */
    enum Tile {
        T4x2(4, 1), T8x2(8, 1), T12x2(12, 1), T14x2(14, 1), T4x4(4, 2), T6x4(6, 2);

        final int rows, panels;

        Tile(int rows, int panels) {
            this.rows = rows;
            this.panels = panels;
        }

        /** Rows by vectors, e.g. {@code 12x2}. */
        String label() {
            return rows + "x" + 2 * panels;
        }

        static Tile parse(String name) {
            String n = name.trim();
            if (n.equals("4") || n.equals("8")) { // the older property's values: rows of a two-vector tile
                n += "x2";
            }
            for (Tile t : values()) {
                if (t.label().equals(n)) {
                    return t;
                }
            }
            StringBuilder known = new StringBuilder();
            for (Tile t : values()) {
                known.append(known.isEmpty() ? "" : ", ").append(t.label());
            }
            throw new IllegalArgumentException("-D" + TILE_PROPERTY + " must be one of " + known + " (or 4, 8), got '"
                    + name + "'");
        }
    }

    /**
     * {@code -Djrnn.simd.tile=12x2} (any {@link Tile#label}) forces a tile, {@code plan} has the
     * planner choose; unset, the tile the planner chose on this machine in an earlier process
     * ({@link Remembered}), else {@link #PROVISIONAL}. Unset, the planner runs only when asked
     * what the tile is ({@code jrnn backends}): its warm-up (the JIT compiling five kernels on a
     * daemon thread, 1-5 s) cost {@code ./jrnn demo} a third of its speed (32k against 46-50k
     * characters a second, Zen 5), while on a quiet machine the tiles from 8x2 up time within 1-4%
     * of each other on the layers (bench/RESULTS.md). So a machine pays it once, and every later
     * process uses its choice, as FFTW's wisdom is used.
     */
    static final String TILE_PROPERTY = "jrnn.simd.tile";

    /**
     * The tile products use by default and until the planner has chosen (results are the same bits
     * whatever the tile, so the switch shows only in time): 8x2 with 512-bit vectors, else 4x2.
     */
    static final Tile PROVISIONAL = FLOAT.vectorBitSize() >= 512 ? Tile.T8x2 : Tile.T4x2;

    /**
     * The planner's choices remembered between processes ({@code ~/.cache/jrnn/simd-tiles.tsv}),
     * under the CPU, the JDK, the vector width and the candidates: another machine or JDK plans
     * afresh. {@code -Djrnn.auto.remember=false} keeps nothing, as for auto's decisions.
     */
    static final class Remembered {
        static final String KEY = "register tile";
        static final DecisionStore STORE = Boolean.parseBoolean(System.getProperty(Backends.REMEMBER_PROPERTY, "true"))
                ? new DecisionStore(DecisionStore.directory().resolve("simd-tiles.tsv"), SelfTest.cpu() + "; JDK "
                        + Runtime.version() + "; " + FLOAT.vectorBitSize() + "-bit vectors; candidates "
                        + java.util.Arrays.stream(Planner.CANDIDATES).map(Tile::label).toList())
                : null;

        private Remembered() {
        }

        /** The tile planned on this machine by an earlier process, or null. */
        static Tile recall() {
            String label = STORE == null ? null : STORE.recall(KEY);
            if (label == null) {
                return null;
            }
            try {
                return Tile.parse(label);
            } catch (IllegalArgumentException e) {
                return null; // a line from another jrnn build: plan again
            }
        }

        static void remember(Tile t) {
            if (STORE != null) {
                STORE.remember(KEY, t.label());
            }
        }
    }

    /** The tile an earlier process planned on this machine (read once), or null; only when no tile is forced. */
    private static final Tile REMEMBERED_TILE = System.getProperty(TILE_PROPERTY, "").isBlank() ? Remembered.recall() : null;
    /** The tile in use, once forced, defaulted, remembered or planned (null: the planner chooses). */
    private static volatile Tile chosen = configured(System.getProperty(TILE_PROPERTY));
    /** How it was chosen, for {@link #describeTile()}; null once planned (the planner says). */
    private static volatile String how = howConfigured(System.getProperty(TILE_PROPERTY));

    private static Tile configured(String name) {
        if (name == null || name.isBlank()) {
            return REMEMBERED_TILE != null ? REMEMBERED_TILE : PROVISIONAL;
        }
        return name.trim().equals("plan") ? null : Tile.parse(name);
    }

    private static String howConfigured(String name) {
        if (name != null && !name.isBlank()) {
            return name.trim().equals("plan") ? "" : "forced by -D" + TILE_PROPERTY;
        }
        if (REMEMBERED_TILE != null) {
            return "planned on this machine by an earlier process, remembered in " + Remembered.STORE.file()
                    + "; -D" + TILE_PROPERTY + "=plan plans again";
        }
        return "the default for " + FLOAT.vectorBitSize() + "-bit vectors until the planner has run on this machine;"
                + " -D" + TILE_PROPERTY + "=plan or `jrnn backends` runs it";
    }

    /**
     * The tile every product uses: forced, planned, or {@link #PROVISIONAL} while the planner's
     * warm-up thread has the JIT compile the candidates; the first product after that plans, on
     * its own thread, in a few milliseconds.
     */
    static Tile tile() {
        Tile t = chosen;
        if (t != null) {
            return t;
        }
        if (Planner.warm()) {
            return choose();
        }
        Planner.startWarmup();
        return PROVISIONAL;
    }

    private static synchronized Tile choose() {
        if (chosen == null) {
            chosen = Planner.plan();
            Remembered.remember(chosen);
        }
        return chosen;
    }

    /** Uses {@code t} from now on ({@code null}: plan again). Tests. */
    static synchronized void forceTile(Tile t) {
        chosen = t;
        how = t == null ? "" : "forced";
    }

    /**
     * The tile in use and how it was chosen, e.g. {@code "register tile 12x2 (planned: ...)"}: waits
     * for the planner's warm-up (seconds, once per process) and plans if need be.
     */
    static String describeTile() {
        Tile t = chosen;
        if (t == null || how != null && how.startsWith("the default")) { // not planned on this machine yet: plan now
            synchronized (Gemm.class) {
                chosen = null;
            }
            Planner.startWarmup();
            Planner.awaitWarm();
            t = choose();
        }
        String h = how;
        return "register tile " + t.label() + " (" + (h != null ? h : Planner.describe()) + ")";
    }

    /**
     * Chooses the tile by timing every candidate, in the spirit of FFTW's planner, on a
     * representative product ({@link #M} x {@code 32 * PANEL} x {@link #K}: a batch's recurrent step).
     *
     * <p>Until C2 compiles a Vector API kernel it boxes every vector (1-5 GFLOPS against 100-200), and
     * compiling the candidates takes seconds of interpreted calls and compiler time: timed cold on
     * the calling thread, within a 3 s budget, the race ended before most candidates were compiled
     * and picked at random (measured in JMH forks on a busy 2-core machine). So a daemon thread
     * first runs every candidate on a small product until the JIT has gone quiet and every candidate
     * runs at compiled speed (products meanwhile use {@link #PROVISIONAL}); then the next product,
     * on its own thread, times each candidate {@value #ROUNDS} times, in turn (about 5-10 ms), and
     * the fastest best time wins. {@code -Djrnn.simd.tile} skips all of it.
     */
    static final class Planner {
        /**
         * The race's product: a batch of 64 rows, {@code k} 512, and 32 panels, 2 MiB of {@code B}:
         * past L2, streamed from L3 on every call, as a layer's weights are. (On a product whose
         * {@code B} sits in L2, 84 x 128 x 256, every tile from 8x2 up timed within 3% of the others,
         * 205-224 GFLOPS on Zen 5, and 6x4 won as often as 12x2; on W3's own products 6x4 is 1.2x
         * slower than 12x2.)
         */
        static final int M = 64, K = 512, PANELS = 32;
        /** The warm-up's product, small so that interpreted calls (before C2) stay short. */
        static final int WARM_M = 84, WARM_K = 256, WARM_PANELS = 4;
        /** Timed calls per candidate on the calling thread (each about 0.35 ms on Zen 5). */
        static final int ROUNDS = 4;
        /** Calls each candidate makes on the warm-up thread after the JIT was last seen busy. */
        static final int QUIET_CALLS = 8;
        /** The warm-up gives up waiting for the JIT after this long (the race then ranks what it finds). */
        static final long WARMUP_BUDGET_NANOS = 30_000_000_000L;
        /**
         * A candidate whose best time is more than this many times the fastest's is taken to be still
         * interpreted or in C1, and the warm-up goes on: a compile in progress does not show in the
         * JIT's total time until it ends.
         */
        static final long COMPILED_WITHIN = 4;
        /**
         * The tiles raced: every one but 14x2 (28 accumulators, 2 vectors of B and a broadcast: 31 of 32
         * registers, and C2 spills: measured 1.8-2.3x slower than 12x2 on Zen 5; it still can be forced).
         */
        static final Tile[] CANDIDATES = {Tile.T4x2, Tile.T8x2, Tile.T12x2, Tile.T4x4, Tile.T6x4};

        private static final java.util.concurrent.atomic.AtomicBoolean STARTED =
                new java.util.concurrent.atomic.AtomicBoolean();
        private static final java.util.concurrent.CountDownLatch WARM = new java.util.concurrent.CountDownLatch(1);
        private static volatile String warmup = "";

        private Planner() {
        }

        static boolean warm() {
            return WARM.getCount() == 0;
        }

        static void awaitWarm() {
            try {
                WARM.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        static void startWarmup() {
            if (STARTED.get() || !STARTED.compareAndSet(false, true)) {
                return;
            }
            Thread thread = new Thread(Planner::warmUp, "jrnn-simd-tile-planner");
            thread.setDaemon(true);
            thread.start();
        }

        /** A product's operands: {@code m x k} times {@code k x panels * PANEL}. */
        private static final class Product {
            final int m, k, panels;
            final float[] a, c;
            final MemorySegment b;

            Product(int m, int k, int panels) {
                this.m = m;
                this.k = k;
                this.panels = panels;
                a = new float[m * k];
                c = new float[m * panels * PANEL];
                java.util.SplittableRandom random = new java.util.SplittableRandom(16);
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) random.nextDouble(-1, 1);
                }
                float[] plain = new float[k * panels * PANEL];
                for (int i = 0; i < plain.length; i++) {
                    plain[i] = (float) random.nextDouble(-1, 1);
                }
                float[] packed = new float[packedSize(k, panels * PANEL)];
                packUnchecked(k, panels * PANEL, plain, 0, panels * PANEL, packed, 0);
                b = aligned(Arena.ofAuto(), packed); // made by the warm-up thread, timed by the race's
            }

            double flops() {
                return 2.0 * m * k * panels * PANEL;
            }

            long time(Tile tile) {
                long t0 = System.nanoTime();
                product(tile, m, k, a, 0, k, 1, b, 0, 0, panels, 1, 0, c, 0, panels * PANEL, false, null);
                return System.nanoTime() - t0;
            }
        }

        /** The warm-up thread: every candidate in turn until each runs compiled and the JIT is quiet. */
        private static void warmUp() {
            long start = System.nanoTime();
            int calls = 0;
            try {
                Product p = new Product(WARM_M, WARM_K, WARM_PANELS);
                product = new Product(M, K, PANELS);
                long[] best = new long[CANDIDATES.length];
                int[] quiet = new int[CANDIDATES.length];
                java.util.Arrays.fill(best, Long.MAX_VALUE);
                dev.jrnn.core.runtime.JitWatch jit = new dev.jrnn.core.runtime.JitWatch();
                boolean done = false;
                while (!done) {
                    for (int i = 0; i < CANDIDATES.length; i++) {
                        best[i] = Math.min(best[i], p.time(CANDIDATES[i]));
                        calls++;
                        if (jit.look(System.nanoTime())) { // the JIT compiled something: every count starts again
                            java.util.Arrays.fill(quiet, 0);
                        } else {
                            quiet[i]++;
                        }
                    }
                    long fastest = Long.MAX_VALUE;
                    for (long t : best) {
                        fastest = Math.min(fastest, t);
                    }
                    boolean ready = true;
                    for (int i = 0; i < CANDIDATES.length; i++) {
                        ready &= quiet[i] >= QUIET_CALLS && best[i] <= COMPILED_WITHIN * fastest;
                    }
                    done = ready || System.nanoTime() - start > WARMUP_BUDGET_NANOS;
                }
            } catch (RuntimeException | Error e) {
                // the race on the calling thread still ranks the candidates, compiled or not
            } finally {
                warmupMillis = (System.nanoTime() - start) / 1_000_000;
                warmupCalls = calls;
                WARM.countDown();
            }
        }

        /** The representative product, made by the warm-up thread; the race's best times, per candidate. */
        private static volatile Product product;
        private static final long[] BEST = new long[CANDIDATES.length];
        private static volatile long warmupMillis, warmupCalls, raceNanos;

        /**
         * The race, on the calling thread: each candidate {@value #ROUNDS} times, in turn; the fastest
         * best time wins. It allocates nothing (it may run inside a caller's forward pass).
         */
        static Tile plan() {
            Product p = product;
            if (p == null) { // the warm-up failed before making it
                return PROVISIONAL;
            }
            long start = System.nanoTime();
            java.util.Arrays.fill(BEST, Long.MAX_VALUE);
            for (int r = 0; r < ROUNDS; r++) {
                for (int i = 0; i < CANDIDATES.length; i++) {
                    BEST[i] = Math.min(BEST[i], p.time(CANDIDATES[i]));
                }
            }
            int win = 0;
            for (int i = 1; i < CANDIDATES.length; i++) {
                if (BEST[i] < BEST[win]) {
                    win = i;
                }
            }
            raceNanos = System.nanoTime() - start;
            how = null; // described on demand: describeTile
            return CANDIDATES[win];
        }

        /** How the race went, for {@link #describeTile()}. */
        static String describe() {
            double flops = 2.0 * M * K * PANELS * PANEL;
            StringBuilder sb = new StringBuilder("planned on " + M + " x " + PANELS * PANEL + " x " + K + ": timed in ")
                    .append(String.format(java.util.Locale.ROOT, "%.1f", raceNanos / 1e6))
                    .append(" ms on the calling thread after a ").append(warmupMillis).append(" ms JIT warm-up of ")
                    .append(warmupCalls).append(" calls on a daemon thread; GFLOPS");
            for (int i = 0; i < CANDIDATES.length; i++) {
                sb.append(i == 0 ? " " : ", ").append(CANDIDATES[i].label()).append(' ')
                        .append(Math.round(flops / BEST[i]));
            }
            return sb.toString();
        }
    }

    // ------------------------------------------------------------------ micro-kernels

    /*
     * The micro-kernels pass no vector to any method of ours: C2 inlines the Vector API's own
     * methods even past its node budget (they are @ForceInline and get delayed), but a helper of
     * ours cut off there would box every vector it touches.
     *
     * A kernel sweeps k in order, with one accumulator per row and vector from zero; at the end C's
     * row becomes start + accumulator, where start is C itself (accumulate), the bias, or zeros.
     * Every kernel (each tile, the 8- and 4-row kernels for what a block leaves, the row kernel for
     * a single row) gives every element the same sum in the same order: so every element of C is
     * the same sum whatever the tile and the partition of rows and panels.
     */

    /**
     * Row granularity the callers round their row counts to, so that no rows go through a padded
     * copy: 8 with 512-bit vectors, else 4. (Whatever the tile, the drivers cover any multiple of 4
     * rows with the tile's kernel and the 8- and 4-row kernels.)
     */
    static final int TILE = FLOAT.vectorBitSize() >= 512 ? 8 : MR;

    /** Zeros to start from: a panel's worth. */
    private static final float[] ZEROS = new float[PANEL];

    /** Bytes of one packed row ({@code PANEL} floats) and of one vector. */
    private static final long ROW = (long) PANEL * Float.BYTES, HALF = (long) LANES * Float.BYTES;


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

    static int column(int q, int gates, int hidden) {
        return q % gates * hidden + q / gates * PANEL;
    }

    /**
     * {@code C} row = start + {@code A} row times four panels: each element the same sweep over
     * {@code k}, in the same order, as in the tile kernels, so a row's results
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

    private static void k4x2(int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bp0, float[] c, int c0, int ldc, float[] s, int s0, int sld) {
        FloatVector c0_0 = FloatVector.zero(FLOAT), c0_1 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c2_0 = c0_0, c2_1 = c0_0, c3_0 = c0_0, c3_1 = c0_0;
        for (int kk = 0, ap = aOff; kk < k; kk++, ap += csA) {
            long o0 = bp0 + kk * ROW;
            FloatVector b0 = FloatVector.fromMemorySegment(FLOAT, bp, o0, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(FLOAT, bp, o0 + HALF, ORDER);
            FloatVector a0 = FloatVector.broadcast(FLOAT, a[ap]);
            c0_0 = b0.fma(a0, c0_0);
            c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(FLOAT, a[ap + rsA]);
            c1_0 = b0.fma(a1, c1_0);
            c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(FLOAT, a[ap + 2 * rsA]);
            c2_0 = b0.fma(a2, c2_0);
            c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(FLOAT, a[ap + 3 * rsA]);
            c3_0 = b0.fma(a3, c3_0);
            c3_1 = b1.fma(a3, c3_1);
        }
        FloatVector.fromArray(FLOAT, s, s0).add(c0_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c0_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c1_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c1_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c2_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c2_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c3_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c3_1).intoArray(c, c0 + LANES);
    }

    private static void k6x2(int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bp0, float[] c, int c0, int ldc, float[] s, int s0, int sld) {
        FloatVector c0_0 = FloatVector.zero(FLOAT), c0_1 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c2_0 = c0_0, c2_1 = c0_0, c3_0 = c0_0, c3_1 = c0_0, c4_0 = c0_0, c4_1 = c0_0, c5_0 = c0_0, c5_1 = c0_0;
        for (int kk = 0, ap = aOff; kk < k; kk++, ap += csA) {
            long o0 = bp0 + kk * ROW;
            FloatVector b0 = FloatVector.fromMemorySegment(FLOAT, bp, o0, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(FLOAT, bp, o0 + HALF, ORDER);
            FloatVector a0 = FloatVector.broadcast(FLOAT, a[ap]);
            c0_0 = b0.fma(a0, c0_0);
            c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(FLOAT, a[ap + rsA]);
            c1_0 = b0.fma(a1, c1_0);
            c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(FLOAT, a[ap + 2 * rsA]);
            c2_0 = b0.fma(a2, c2_0);
            c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(FLOAT, a[ap + 3 * rsA]);
            c3_0 = b0.fma(a3, c3_0);
            c3_1 = b1.fma(a3, c3_1);
            FloatVector a4 = FloatVector.broadcast(FLOAT, a[ap + 4 * rsA]);
            c4_0 = b0.fma(a4, c4_0);
            c4_1 = b1.fma(a4, c4_1);
            FloatVector a5 = FloatVector.broadcast(FLOAT, a[ap + 5 * rsA]);
            c5_0 = b0.fma(a5, c5_0);
            c5_1 = b1.fma(a5, c5_1);
        }
        FloatVector.fromArray(FLOAT, s, s0).add(c0_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c0_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c1_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c1_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c2_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c2_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c3_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c3_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c4_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c4_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c5_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c5_1).intoArray(c, c0 + LANES);
    }

    private static void k8x2(int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bp0, float[] c, int c0, int ldc, float[] s, int s0, int sld) {
        FloatVector c0_0 = FloatVector.zero(FLOAT), c0_1 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c2_0 = c0_0, c2_1 = c0_0, c3_0 = c0_0, c3_1 = c0_0, c4_0 = c0_0, c4_1 = c0_0, c5_0 = c0_0, c5_1 = c0_0, c6_0 = c0_0, c6_1 = c0_0, c7_0 = c0_0, c7_1 = c0_0;
        for (int kk = 0, ap = aOff; kk < k; kk++, ap += csA) {
            long o0 = bp0 + kk * ROW;
            FloatVector b0 = FloatVector.fromMemorySegment(FLOAT, bp, o0, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(FLOAT, bp, o0 + HALF, ORDER);
            FloatVector a0 = FloatVector.broadcast(FLOAT, a[ap]);
            c0_0 = b0.fma(a0, c0_0);
            c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(FLOAT, a[ap + rsA]);
            c1_0 = b0.fma(a1, c1_0);
            c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(FLOAT, a[ap + 2 * rsA]);
            c2_0 = b0.fma(a2, c2_0);
            c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(FLOAT, a[ap + 3 * rsA]);
            c3_0 = b0.fma(a3, c3_0);
            c3_1 = b1.fma(a3, c3_1);
            FloatVector a4 = FloatVector.broadcast(FLOAT, a[ap + 4 * rsA]);
            c4_0 = b0.fma(a4, c4_0);
            c4_1 = b1.fma(a4, c4_1);
            FloatVector a5 = FloatVector.broadcast(FLOAT, a[ap + 5 * rsA]);
            c5_0 = b0.fma(a5, c5_0);
            c5_1 = b1.fma(a5, c5_1);
            FloatVector a6 = FloatVector.broadcast(FLOAT, a[ap + 6 * rsA]);
            c6_0 = b0.fma(a6, c6_0);
            c6_1 = b1.fma(a6, c6_1);
            FloatVector a7 = FloatVector.broadcast(FLOAT, a[ap + 7 * rsA]);
            c7_0 = b0.fma(a7, c7_0);
            c7_1 = b1.fma(a7, c7_1);
        }
        FloatVector.fromArray(FLOAT, s, s0).add(c0_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c0_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c1_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c1_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c2_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c2_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c3_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c3_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c4_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c4_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c5_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c5_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c6_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c6_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c7_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c7_1).intoArray(c, c0 + LANES);
    }

    private static void k12x2(int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bp0, float[] c, int c0, int ldc, float[] s, int s0, int sld) {
        FloatVector c0_0 = FloatVector.zero(FLOAT), c0_1 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c2_0 = c0_0, c2_1 = c0_0, c3_0 = c0_0, c3_1 = c0_0, c4_0 = c0_0, c4_1 = c0_0, c5_0 = c0_0, c5_1 = c0_0, c6_0 = c0_0, c6_1 = c0_0, c7_0 = c0_0, c7_1 = c0_0, c8_0 = c0_0, c8_1 = c0_0, c9_0 = c0_0, c9_1 = c0_0, c10_0 = c0_0, c10_1 = c0_0, c11_0 = c0_0, c11_1 = c0_0;
        for (int kk = 0, ap = aOff; kk < k; kk++, ap += csA) {
            long o0 = bp0 + kk * ROW;
            FloatVector b0 = FloatVector.fromMemorySegment(FLOAT, bp, o0, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(FLOAT, bp, o0 + HALF, ORDER);
            FloatVector a0 = FloatVector.broadcast(FLOAT, a[ap]);
            c0_0 = b0.fma(a0, c0_0);
            c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(FLOAT, a[ap + rsA]);
            c1_0 = b0.fma(a1, c1_0);
            c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(FLOAT, a[ap + 2 * rsA]);
            c2_0 = b0.fma(a2, c2_0);
            c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(FLOAT, a[ap + 3 * rsA]);
            c3_0 = b0.fma(a3, c3_0);
            c3_1 = b1.fma(a3, c3_1);
            FloatVector a4 = FloatVector.broadcast(FLOAT, a[ap + 4 * rsA]);
            c4_0 = b0.fma(a4, c4_0);
            c4_1 = b1.fma(a4, c4_1);
            FloatVector a5 = FloatVector.broadcast(FLOAT, a[ap + 5 * rsA]);
            c5_0 = b0.fma(a5, c5_0);
            c5_1 = b1.fma(a5, c5_1);
            FloatVector a6 = FloatVector.broadcast(FLOAT, a[ap + 6 * rsA]);
            c6_0 = b0.fma(a6, c6_0);
            c6_1 = b1.fma(a6, c6_1);
            FloatVector a7 = FloatVector.broadcast(FLOAT, a[ap + 7 * rsA]);
            c7_0 = b0.fma(a7, c7_0);
            c7_1 = b1.fma(a7, c7_1);
            FloatVector a8 = FloatVector.broadcast(FLOAT, a[ap + 8 * rsA]);
            c8_0 = b0.fma(a8, c8_0);
            c8_1 = b1.fma(a8, c8_1);
            FloatVector a9 = FloatVector.broadcast(FLOAT, a[ap + 9 * rsA]);
            c9_0 = b0.fma(a9, c9_0);
            c9_1 = b1.fma(a9, c9_1);
            FloatVector a10 = FloatVector.broadcast(FLOAT, a[ap + 10 * rsA]);
            c10_0 = b0.fma(a10, c10_0);
            c10_1 = b1.fma(a10, c10_1);
            FloatVector a11 = FloatVector.broadcast(FLOAT, a[ap + 11 * rsA]);
            c11_0 = b0.fma(a11, c11_0);
            c11_1 = b1.fma(a11, c11_1);
        }
        FloatVector.fromArray(FLOAT, s, s0).add(c0_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c0_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c1_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c1_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c2_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c2_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c3_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c3_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c4_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c4_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c5_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c5_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c6_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c6_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c7_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c7_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c8_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c8_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c9_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c9_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c10_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c10_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c11_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c11_1).intoArray(c, c0 + LANES);
    }

    private static void k14x2(int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bp0, float[] c, int c0, int ldc, float[] s, int s0, int sld) {
        FloatVector c0_0 = FloatVector.zero(FLOAT), c0_1 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c2_0 = c0_0, c2_1 = c0_0, c3_0 = c0_0, c3_1 = c0_0, c4_0 = c0_0, c4_1 = c0_0, c5_0 = c0_0, c5_1 = c0_0, c6_0 = c0_0, c6_1 = c0_0, c7_0 = c0_0, c7_1 = c0_0, c8_0 = c0_0, c8_1 = c0_0, c9_0 = c0_0, c9_1 = c0_0, c10_0 = c0_0, c10_1 = c0_0, c11_0 = c0_0, c11_1 = c0_0, c12_0 = c0_0, c12_1 = c0_0, c13_0 = c0_0, c13_1 = c0_0;
        for (int kk = 0, ap = aOff; kk < k; kk++, ap += csA) {
            long o0 = bp0 + kk * ROW;
            FloatVector b0 = FloatVector.fromMemorySegment(FLOAT, bp, o0, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(FLOAT, bp, o0 + HALF, ORDER);
            FloatVector a0 = FloatVector.broadcast(FLOAT, a[ap]);
            c0_0 = b0.fma(a0, c0_0);
            c0_1 = b1.fma(a0, c0_1);
            FloatVector a1 = FloatVector.broadcast(FLOAT, a[ap + rsA]);
            c1_0 = b0.fma(a1, c1_0);
            c1_1 = b1.fma(a1, c1_1);
            FloatVector a2 = FloatVector.broadcast(FLOAT, a[ap + 2 * rsA]);
            c2_0 = b0.fma(a2, c2_0);
            c2_1 = b1.fma(a2, c2_1);
            FloatVector a3 = FloatVector.broadcast(FLOAT, a[ap + 3 * rsA]);
            c3_0 = b0.fma(a3, c3_0);
            c3_1 = b1.fma(a3, c3_1);
            FloatVector a4 = FloatVector.broadcast(FLOAT, a[ap + 4 * rsA]);
            c4_0 = b0.fma(a4, c4_0);
            c4_1 = b1.fma(a4, c4_1);
            FloatVector a5 = FloatVector.broadcast(FLOAT, a[ap + 5 * rsA]);
            c5_0 = b0.fma(a5, c5_0);
            c5_1 = b1.fma(a5, c5_1);
            FloatVector a6 = FloatVector.broadcast(FLOAT, a[ap + 6 * rsA]);
            c6_0 = b0.fma(a6, c6_0);
            c6_1 = b1.fma(a6, c6_1);
            FloatVector a7 = FloatVector.broadcast(FLOAT, a[ap + 7 * rsA]);
            c7_0 = b0.fma(a7, c7_0);
            c7_1 = b1.fma(a7, c7_1);
            FloatVector a8 = FloatVector.broadcast(FLOAT, a[ap + 8 * rsA]);
            c8_0 = b0.fma(a8, c8_0);
            c8_1 = b1.fma(a8, c8_1);
            FloatVector a9 = FloatVector.broadcast(FLOAT, a[ap + 9 * rsA]);
            c9_0 = b0.fma(a9, c9_0);
            c9_1 = b1.fma(a9, c9_1);
            FloatVector a10 = FloatVector.broadcast(FLOAT, a[ap + 10 * rsA]);
            c10_0 = b0.fma(a10, c10_0);
            c10_1 = b1.fma(a10, c10_1);
            FloatVector a11 = FloatVector.broadcast(FLOAT, a[ap + 11 * rsA]);
            c11_0 = b0.fma(a11, c11_0);
            c11_1 = b1.fma(a11, c11_1);
            FloatVector a12 = FloatVector.broadcast(FLOAT, a[ap + 12 * rsA]);
            c12_0 = b0.fma(a12, c12_0);
            c12_1 = b1.fma(a12, c12_1);
            FloatVector a13 = FloatVector.broadcast(FLOAT, a[ap + 13 * rsA]);
            c13_0 = b0.fma(a13, c13_0);
            c13_1 = b1.fma(a13, c13_1);
        }
        FloatVector.fromArray(FLOAT, s, s0).add(c0_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c0_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c1_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c1_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c2_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c2_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c3_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c3_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c4_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c4_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c5_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c5_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c6_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c6_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c7_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c7_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c8_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c8_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c9_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c9_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c10_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c10_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c11_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c11_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c12_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c12_1).intoArray(c, c0 + LANES);
        c0 += ldc;
        s0 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c13_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c13_1).intoArray(c, c0 + LANES);
    }

    private static void k4x4(int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bp0, long bp1, float[] c, int c0, int c1, int ldc, float[] s, int s0, int s1, int sld) {
        FloatVector c0_0 = FloatVector.zero(FLOAT), c0_1 = c0_0, c0_2 = c0_0, c0_3 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c1_2 = c0_0, c1_3 = c0_0, c2_0 = c0_0, c2_1 = c0_0, c2_2 = c0_0, c2_3 = c0_0, c3_0 = c0_0, c3_1 = c0_0, c3_2 = c0_0, c3_3 = c0_0;
        for (int kk = 0, ap = aOff; kk < k; kk++, ap += csA) {
            long o0 = bp0 + kk * ROW;
            long o1 = bp1 + kk * ROW;
            FloatVector b0 = FloatVector.fromMemorySegment(FLOAT, bp, o0, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(FLOAT, bp, o0 + HALF, ORDER);
            FloatVector b2 = FloatVector.fromMemorySegment(FLOAT, bp, o1, ORDER);
            FloatVector b3 = FloatVector.fromMemorySegment(FLOAT, bp, o1 + HALF, ORDER);
            FloatVector a0 = FloatVector.broadcast(FLOAT, a[ap]);
            c0_0 = b0.fma(a0, c0_0);
            c0_1 = b1.fma(a0, c0_1);
            c0_2 = b2.fma(a0, c0_2);
            c0_3 = b3.fma(a0, c0_3);
            FloatVector a1 = FloatVector.broadcast(FLOAT, a[ap + rsA]);
            c1_0 = b0.fma(a1, c1_0);
            c1_1 = b1.fma(a1, c1_1);
            c1_2 = b2.fma(a1, c1_2);
            c1_3 = b3.fma(a1, c1_3);
            FloatVector a2 = FloatVector.broadcast(FLOAT, a[ap + 2 * rsA]);
            c2_0 = b0.fma(a2, c2_0);
            c2_1 = b1.fma(a2, c2_1);
            c2_2 = b2.fma(a2, c2_2);
            c2_3 = b3.fma(a2, c2_3);
            FloatVector a3 = FloatVector.broadcast(FLOAT, a[ap + 3 * rsA]);
            c3_0 = b0.fma(a3, c3_0);
            c3_1 = b1.fma(a3, c3_1);
            c3_2 = b2.fma(a3, c3_2);
            c3_3 = b3.fma(a3, c3_3);
        }
        FloatVector.fromArray(FLOAT, s, s0).add(c0_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c0_1).intoArray(c, c0 + LANES);
        FloatVector.fromArray(FLOAT, s, s1).add(c0_2).intoArray(c, c1);
        FloatVector.fromArray(FLOAT, s, s1 + LANES).add(c0_3).intoArray(c, c1 + LANES);
        c0 += ldc;
        s0 += sld;
        c1 += ldc;
        s1 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c1_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c1_1).intoArray(c, c0 + LANES);
        FloatVector.fromArray(FLOAT, s, s1).add(c1_2).intoArray(c, c1);
        FloatVector.fromArray(FLOAT, s, s1 + LANES).add(c1_3).intoArray(c, c1 + LANES);
        c0 += ldc;
        s0 += sld;
        c1 += ldc;
        s1 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c2_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c2_1).intoArray(c, c0 + LANES);
        FloatVector.fromArray(FLOAT, s, s1).add(c2_2).intoArray(c, c1);
        FloatVector.fromArray(FLOAT, s, s1 + LANES).add(c2_3).intoArray(c, c1 + LANES);
        c0 += ldc;
        s0 += sld;
        c1 += ldc;
        s1 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c3_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c3_1).intoArray(c, c0 + LANES);
        FloatVector.fromArray(FLOAT, s, s1).add(c3_2).intoArray(c, c1);
        FloatVector.fromArray(FLOAT, s, s1 + LANES).add(c3_3).intoArray(c, c1 + LANES);
    }

    private static void k6x4(int k, float[] a, int aOff, int rsA, int csA, MemorySegment bp, long bp0, long bp1, float[] c, int c0, int c1, int ldc, float[] s, int s0, int s1, int sld) {
        FloatVector c0_0 = FloatVector.zero(FLOAT), c0_1 = c0_0, c0_2 = c0_0, c0_3 = c0_0, c1_0 = c0_0, c1_1 = c0_0, c1_2 = c0_0, c1_3 = c0_0, c2_0 = c0_0, c2_1 = c0_0, c2_2 = c0_0, c2_3 = c0_0, c3_0 = c0_0, c3_1 = c0_0, c3_2 = c0_0, c3_3 = c0_0, c4_0 = c0_0, c4_1 = c0_0, c4_2 = c0_0, c4_3 = c0_0, c5_0 = c0_0, c5_1 = c0_0, c5_2 = c0_0, c5_3 = c0_0;
        for (int kk = 0, ap = aOff; kk < k; kk++, ap += csA) {
            long o0 = bp0 + kk * ROW;
            long o1 = bp1 + kk * ROW;
            FloatVector b0 = FloatVector.fromMemorySegment(FLOAT, bp, o0, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(FLOAT, bp, o0 + HALF, ORDER);
            FloatVector b2 = FloatVector.fromMemorySegment(FLOAT, bp, o1, ORDER);
            FloatVector b3 = FloatVector.fromMemorySegment(FLOAT, bp, o1 + HALF, ORDER);
            FloatVector a0 = FloatVector.broadcast(FLOAT, a[ap]);
            c0_0 = b0.fma(a0, c0_0);
            c0_1 = b1.fma(a0, c0_1);
            c0_2 = b2.fma(a0, c0_2);
            c0_3 = b3.fma(a0, c0_3);
            FloatVector a1 = FloatVector.broadcast(FLOAT, a[ap + rsA]);
            c1_0 = b0.fma(a1, c1_0);
            c1_1 = b1.fma(a1, c1_1);
            c1_2 = b2.fma(a1, c1_2);
            c1_3 = b3.fma(a1, c1_3);
            FloatVector a2 = FloatVector.broadcast(FLOAT, a[ap + 2 * rsA]);
            c2_0 = b0.fma(a2, c2_0);
            c2_1 = b1.fma(a2, c2_1);
            c2_2 = b2.fma(a2, c2_2);
            c2_3 = b3.fma(a2, c2_3);
            FloatVector a3 = FloatVector.broadcast(FLOAT, a[ap + 3 * rsA]);
            c3_0 = b0.fma(a3, c3_0);
            c3_1 = b1.fma(a3, c3_1);
            c3_2 = b2.fma(a3, c3_2);
            c3_3 = b3.fma(a3, c3_3);
            FloatVector a4 = FloatVector.broadcast(FLOAT, a[ap + 4 * rsA]);
            c4_0 = b0.fma(a4, c4_0);
            c4_1 = b1.fma(a4, c4_1);
            c4_2 = b2.fma(a4, c4_2);
            c4_3 = b3.fma(a4, c4_3);
            FloatVector a5 = FloatVector.broadcast(FLOAT, a[ap + 5 * rsA]);
            c5_0 = b0.fma(a5, c5_0);
            c5_1 = b1.fma(a5, c5_1);
            c5_2 = b2.fma(a5, c5_2);
            c5_3 = b3.fma(a5, c5_3);
        }
        FloatVector.fromArray(FLOAT, s, s0).add(c0_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c0_1).intoArray(c, c0 + LANES);
        FloatVector.fromArray(FLOAT, s, s1).add(c0_2).intoArray(c, c1);
        FloatVector.fromArray(FLOAT, s, s1 + LANES).add(c0_3).intoArray(c, c1 + LANES);
        c0 += ldc;
        s0 += sld;
        c1 += ldc;
        s1 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c1_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c1_1).intoArray(c, c0 + LANES);
        FloatVector.fromArray(FLOAT, s, s1).add(c1_2).intoArray(c, c1);
        FloatVector.fromArray(FLOAT, s, s1 + LANES).add(c1_3).intoArray(c, c1 + LANES);
        c0 += ldc;
        s0 += sld;
        c1 += ldc;
        s1 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c2_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c2_1).intoArray(c, c0 + LANES);
        FloatVector.fromArray(FLOAT, s, s1).add(c2_2).intoArray(c, c1);
        FloatVector.fromArray(FLOAT, s, s1 + LANES).add(c2_3).intoArray(c, c1 + LANES);
        c0 += ldc;
        s0 += sld;
        c1 += ldc;
        s1 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c3_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c3_1).intoArray(c, c0 + LANES);
        FloatVector.fromArray(FLOAT, s, s1).add(c3_2).intoArray(c, c1);
        FloatVector.fromArray(FLOAT, s, s1 + LANES).add(c3_3).intoArray(c, c1 + LANES);
        c0 += ldc;
        s0 += sld;
        c1 += ldc;
        s1 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c4_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c4_1).intoArray(c, c0 + LANES);
        FloatVector.fromArray(FLOAT, s, s1).add(c4_2).intoArray(c, c1);
        FloatVector.fromArray(FLOAT, s, s1 + LANES).add(c4_3).intoArray(c, c1 + LANES);
        c0 += ldc;
        s0 += sld;
        c1 += ldc;
        s1 += sld;
        FloatVector.fromArray(FLOAT, s, s0).add(c5_0).intoArray(c, c0);
        FloatVector.fromArray(FLOAT, s, s0 + LANES).add(c5_1).intoArray(c, c0 + LANES);
        FloatVector.fromArray(FLOAT, s, s1).add(c5_2).intoArray(c, c1);
        FloatVector.fromArray(FLOAT, s, s1 + LANES).add(c5_3).intoArray(c, c1 + LANES);
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
