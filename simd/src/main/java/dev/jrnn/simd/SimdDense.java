package dev.jrnn.simd;

import static dev.jrnn.simd.SimdSpecies.FLOAT;
import static dev.jrnn.simd.SimdSpecies.LANES;
import static dev.jrnn.simd.SimdSpecies.PANEL;

import dev.jrnn.core.runtime.Parallelism;
import dev.jrnn.core.spi.DenseKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * The Vector API dense kernels. Products pack {@code alpha * op(B)} into {@link Gemm}'s aligned
 * panels and run its register-tiled micro-kernel over {@code A} read in place (either
 * orientation); fewer rows than a register tile (batch-1 generation) skip the packing and use
 * dot products or row updates. Large products and softmax passes split over {@link WorkerPool}
 * workers by fixed arithmetic (whole panels, or row groups of {@link Gemm#TILE}), and every element
 * is one sweep in a fixed order, so results do not depend on the number of threads.
 *
 * <p>Scratch memory (packed panels, edge tiles, per-row losses) is per calling thread and grows
 * to the largest shape seen: after that no call allocates.
 */
final class SimdDense extends DenseKernels {

    /** Below this many multiply-adds a product runs on one thread: waking a helper costs microseconds. */
    static final long PARALLEL_FMAS = 1L << 21;
    /** Below this many logits a softmax pass runs on one thread. */
    static final long PARALLEL_LOGITS = 1L << 15;
    /** Fewer rows than this skip the packing: it would cost as much as the product. */
    static final int SMALL_M = Gemm.MR;

    private static final ValueLayout.OfFloat FLOAT_LAYOUT = ValueLayout.JAVA_FLOAT;
    private static final int SHAPES = 16;

    private final WorkerPool pool;
    private final ThreadLocal<Context> contexts;

    SimdDense(WorkerPool pool) {
        this.pool = pool;
        this.contexts = ThreadLocal.withInitial(() -> new Context(pool.maxParties()));
    }

    private static final class Holder {
        static final SimdDense SHARED = new SimdDense(WorkerPool.shared());
    }

    static SimdDense shared() {
        return Holder.SHARED;
    }

    @Override
    public String name() {
        return SimdRnn.NAME;
    }

    private int parties(long work, long threshold) {
        return work < threshold ? 1 : Math.min(Parallelism.threads(), pool.maxParties());
    }

    /** A calling thread's scratch memory and its reusable tasks (a lambda per call would allocate). */
    private static final class Context {
        float[] staging = new float[0];
        MemorySegment packed = MemorySegment.NULL;
        long packedFloats;
        final float[][] tiles;
        float[] column = new float[0];
        final float[] lanes = new float[LANES];
        double[] rowLoss = new double[0];
        final GemmTask gemm = new GemmTask();
        /** Per product shape, one thread or all ({@link Adaptive}): a few shapes per model, replaced in turn beyond that. */
        final long[] shapes = new long[SHAPES];
        final Adaptive[] adaptives = new Adaptive[SHAPES];
        int nextShape;

        Adaptive adaptive(int m, int n, int k, boolean transA, int parties) {
            long key = ((((long) m * 31 + n) * 31 + k) << 1 | (transA ? 1 : 0)) * 8 + Math.min(parties, 7);
            for (int i = 0; i < SHAPES; i++) {
                if (shapes[i] == key && adaptives[i] != null) {
                    return adaptives[i];
                }
            }
            int at = nextShape;
            nextShape = (nextShape + 1) % SHAPES;
            shapes[at] = key;
            adaptives[at] = new Adaptive(parties);
            return adaptives[at];
        }
        final SoftmaxTask softmax = new SoftmaxTask();

        Context(int workers) {
            tiles = new float[workers][];
            for (int w = 0; w < workers; w++) {
                tiles[w] = new float[0];
            }
        }

        /** Aligned native memory for at least {@code floats} packed floats (the old is freed by the collector). */
        MemorySegment packed(long floats) {
            if (packedFloats < floats) {
                packed = Gemm.aligned(Arena.ofAuto(), Math.toIntExact(floats));
                packedFloats = floats;
            }
            return packed;
        }

        float[] staging(int floats) {
            if (staging.length < floats) {
                staging = new float[floats];
            }
            return staging;
        }
    }

    // ------------------------------------------------------------------ matrix product

    @Override
    protected void gemmUnchecked(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a,
                                 int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff,
                                 int ldc, float[] bias, int biasOff) {
        if (k == 0 || alpha == 0) {
            for (int i = 0; i < m; i++) {
                prepareRow(c, cOff + i * ldc, n, beta, bias, biasOff);
            }
            return;
        }
        Context ctx = contexts.get();
        if (m < SMALL_M) {
            small(ctx, transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, bias, biasOff);
            return;
        }
        int panels = (n + PANEL - 1) / PANEL;
        int floats = Math.multiplyExact(panels * PANEL, k);
        MemorySegment packed = ctx.packed(floats);
        GemmTask t = ctx.gemm;
        t.set(ctx, m, n, k, a, aOff, transA ? 1 : lda, transA ? lda : 1, packed, beta, c, cOff, ldc, bias, biasOff);
        if (transB) { // a transpose, element by element: packed here
            float[] staging = ctx.staging(floats);
            pack(transB, k, n, alpha, b, bOff, ldb, staging);
            MemorySegment.copy(staging, 0, packed, FLOAT_LAYOUT, 0, floats);
        } else { // rows of B, vector by vector, straight into the panels: by the workers, each its share of the panels
            t.packing(b, bOff, ldb, alpha);
        }
        int planned = parties((long) m * n * k, PARALLEL_FMAS);
        try {
            if (planned == 1) {
                pool.run(t, 1);
            } else {
                // on a busy machine a helper may be descheduled while the caller waits for it: time both, take the faster
                Adaptive threads = ctx.adaptive(m, n, k, transA, planned);
                int p = threads.next();
                long start = System.nanoTime();
                pool.run(t, p);
                threads.record(p, System.nanoTime() - start);
            }
        } finally {
            t.clear();
        }
    }

    /** Packs {@code alpha * op(B)} ({@code k x n}) into {@link Gemm}'s panels: panel p, row kk, column c. */
    private static void pack(boolean transB, int k, int n, float alpha, float[] b, int bOff, int ldb, float[] dst) {
        int panels = (n + PANEL - 1) / PANEL;
        for (int p = 0; p < panels; p++) {
            int c0 = p * PANEL, w = Math.min(PANEL, n - c0), base = p * k * PANEL;
            if (transB) { // op(B)[kk][c] = B[c][kk]: read B's rows, write a column of the panel
                for (int cc = 0; cc < w; cc++) {
                    int from = bOff + (c0 + cc) * ldb;
                    for (int kk = 0; kk < k; kk++) {
                        dst[base + kk * PANEL + cc] = alpha * b[from + kk];
                    }
                }
                for (int kk = 0; kk < k; kk++) {
                    for (int cc = w; cc < PANEL; cc++) {
                        dst[base + kk * PANEL + cc] = 0f;
                    }
                }
            } else {
                for (int kk = 0; kk < k; kk++) {
                    int from = bOff + kk * ldb + c0, at = base + kk * PANEL;
                    if (alpha == 1f) {
                        System.arraycopy(b, from, dst, at, w);
                    } else {
                        for (int cc = 0; cc < w; cc++) {
                            dst[at + cc] = alpha * b[from + cc];
                        }
                    }
                    for (int cc = w; cc < PANEL; cc++) {
                        dst[at + cc] = 0f;
                    }
                }
            }
        }
    }

    /**
     * Packs panels {@code [p0, p1)} of {@code alpha * B} ({@code B} {@code k x n} row-major, not
     * transposed) straight into {@code dst}: two vectors per panel row, zero past column {@code n}.
     */
    private static void packPanels(int k, int n, float alpha, float[] b, int bOff, int ldb, int p0, int p1,
                                   MemorySegment dst) {
        java.nio.ByteOrder order = java.nio.ByteOrder.nativeOrder();
        long half = (long) LANES * Float.BYTES;
        for (int p = p0; p < p1; p++) {
            int c0 = p * PANEL, w = Math.min(PANEL, n - c0);
            long at = (long) p * k * PANEL * Float.BYTES;
            if (w == PANEL) { // whole panels: plain loads (masked ones cost a check per lane)
                for (int kk = 0; kk < k; kk++, at += (long) PANEL * Float.BYTES) {
                    int from = bOff + kk * ldb + c0;
                    // times alpha always (exact for 1): no vector merges two ways, which C2 may box
                    FloatVector.fromArray(FLOAT, b, from).mul(alpha).intoMemorySegment(dst, at, order);
                    FloatVector.fromArray(FLOAT, b, from + LANES).mul(alpha).intoMemorySegment(dst, at + half, order);
                }
                continue;
            }
            VectorMask<Float> m0 = SimdSpecies.prefix(Math.min(LANES, w)), m1 = SimdSpecies.prefix(Math.max(0, w - LANES));
            for (int kk = 0; kk < k; kk++, at += (long) PANEL * Float.BYTES) {
                int from = bOff + kk * ldb + c0;
                FloatVector.fromArray(FLOAT, b, from, m0).mul(alpha).intoMemorySegment(dst, at, order);
                FloatVector.fromArray(FLOAT, b, from + LANES, m1).mul(alpha).intoMemorySegment(dst, at + half, order);
            }
        }
    }

    /** {@code C[i][0..n) = beta * C (+ bias)}, the start the micro-kernels accumulate onto; beta 0 does not read C. */
    private static void prepareRow(float[] c, int at, int n, float beta, float[] bias, int biasOff) {
        if (beta == 1f && bias == null) {
            return;
        }
        int j = 0;
        for (; j < n; j += LANES) {
            VectorMask<Float> m = SimdSpecies.prefix(Math.min(LANES, n - j));
            FloatVector v = beta == 0f ? FloatVector.zero(FLOAT)
                    : FloatVector.fromArray(FLOAT, c, at + j, m).mul(beta);
            if (bias != null) {
                v = v.lanewise(VectorOperators.ADD, FloatVector.fromArray(FLOAT, bias, biasOff + j, m)); // (see softmaxRow)
            }
            v.intoArray(c, at + j, m);
        }
    }

    /** Products with fewer rows than a register tile: no packing. */
    private static void small(Context ctx, boolean transA, boolean transB, int m, int n, int k, float alpha,
                              float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float beta, float[] c,
                              int cOff, int ldc, float[] bias, int biasOff) {
        for (int i = 0; i < m; i++) {
            float[] row = a;
            int rowOff = aOff + i * lda;
            if (transA) { // gather the column of A^T into a contiguous row
                if (ctx.column.length < k) {
                    ctx.column = new float[k];
                }
                row = ctx.column;
                rowOff = 0;
                for (int kk = 0; kk < k; kk++) {
                    row[kk] = a[aOff + kk * lda + i];
                }
            }
            int cr = cOff + i * ldc;
            if (transB) { // C[i][j] from the dot product of A's row with B's row j
                for (int j = 0; j < n; j++) {
                    float dot = alpha * dot(k, row, rowOff, b, bOff + j * ldb, ctx.lanes);
                    float start = beta == 0f ? 0f : beta * c[cr + j];
                    c[cr + j] = (bias == null ? start : start + bias[biasOff + j]) + dot;
                }
            } else { // C[i] += (alpha A[i][kk]) B[kk], row by row
                prepareRow(c, cr, n, beta, bias, biasOff);
                for (int kk = 0; kk < k; kk++) {
                    axpy(n, alpha * row[rowOff + kk], b, bOff + kk * ldb, c, cr);
                }
            }
        }
    }

    /*
     * Small loops run one masked loop (the mask is all ones but at the end) rather than a main loop
     * and a tail: measured here, a vector live across a main loop and a separate tail was boxed by
     * C2 (1.4 KB per call), while the single masked loop allocates nothing.
     */

    /** The dot product; its lanes are summed in order through {@code lanes} (LANES floats), cheaper than lane(i). */
    private static float dot(int k, float[] x, int xOff, float[] y, int yOff, float[] lanes) {
        FloatVector s = FloatVector.zero(FLOAT);
        for (int kk = 0; kk < k; kk += LANES) {
            VectorMask<Float> m = SimdSpecies.prefix(Math.min(LANES, k - kk));
            s = FloatVector.fromArray(FLOAT, x, xOff + kk, m).fma(FloatVector.fromArray(FLOAT, y, yOff + kk, m), s);
        }
        s.intoArray(lanes, 0);
        float total = 0;
        for (int i = 0; i < LANES; i++) { // in lane order (see softmaxRow)
            total += lanes[i];
        }
        return total;
    }

    private static void axpy(int n, float scalar, float[] x, int xOff, float[] y, int yOff) {
        FloatVector s = FloatVector.broadcast(FLOAT, scalar);
        for (int j = 0; j < n; j += LANES) {
            VectorMask<Float> m = SimdSpecies.prefix(Math.min(LANES, n - j));
            FloatVector.fromArray(FLOAT, x, xOff + j, m).fma(s, FloatVector.fromArray(FLOAT, y, yOff + j, m))
                    .intoArray(y, yOff + j, m);
        }
    }

    /** One product's arguments, split over workers by whole panels or by row groups of {@link Gemm#TILE}. */
    private static final class GemmTask implements WorkerPool.Task {
        Context ctx;
        int m, n, k, aOff, rsA, csA, cOff, ldc, biasOff;
        float[] a, c, bias;
        MemorySegment packed;
        float beta;

        void set(Context ctx, int m, int n, int k, float[] a, int aOff, int rsA, int csA, MemorySegment packed,
                 float beta, float[] c, int cOff, int ldc, float[] bias, int biasOff) {
            this.ctx = ctx;
            this.m = m;
            this.n = n;
            this.k = k;
            this.a = a;
            this.aOff = aOff;
            this.rsA = rsA;
            this.csA = csA;
            this.packed = packed;
            this.beta = beta;
            this.c = c;
            this.cOff = cOff;
            this.ldc = ldc;
            this.bias = bias;
            this.biasOff = biasOff;
        }

        /** B (not transposed) for the workers to pack before the product: null when already packed. */
        float[] b;
        int bOff, ldb;
        float alpha;

        void packing(float[] b, int bOff, int ldb, float alpha) {
            this.b = b;
            this.bOff = bOff;
            this.ldb = ldb;
            this.alpha = alpha;
        }

        void clear() { // drop references to the caller's arrays
            a = c = bias = b = null;
        }

        @Override
        public void run(int worker, int parties, WorkerPool.Barrier barrier) {
            int panels = (n + PANEL - 1) / PANEL, groups = (m + Gemm.TILE - 1) / Gemm.TILE;
            if (b != null) {
                packPanels(k, n, alpha, b, bOff, ldb, (int) ((long) panels * worker / parties),
                        (int) ((long) panels * (worker + 1) / parties), packed);
                barrier.await(); // every panel, before any party's product
            }
            int p0 = 0, p1 = panels, i0 = 0, i1 = m;
            if (parties > 1) {
                if (panels >= groups || panels >= 2 * parties) {
                    p0 = (int) ((long) panels * worker / parties);
                    p1 = (int) ((long) panels * (worker + 1) / parties);
                } else {
                    i0 = Math.min(m, (int) ((long) groups * worker / parties) * Gemm.TILE);
                    i1 = Math.min(m, (int) ((long) groups * (worker + 1) / parties) * Gemm.TILE);
                }
            }
            if (p0 >= p1 || i0 >= i1) {
                return;
            }
            int j0 = p0 * PANEL, j1 = Math.min(n, p1 * PANEL);
            for (int i = i0; i < i1; i++) {
                prepareRow(c, cOff + i * ldc + j0, j1 - j0, beta, bias, biasOff + j0);
            }
            // rows per block: about 256 KiB of A stays in L2 while the panels stream past (as Gemm)
            int mc = Math.max(Gemm.TILE, (65536 / Math.max(1, k)) / Gemm.TILE * Gemm.TILE);
            boolean edge = n % PANEL != 0 && p1 == panels;
            float[] tile = null;
            if (edge) {
                tile = ctx.tiles[worker];
                if (tile.length < mc * PANEL) {
                    tile = new float[mc * PANEL];
                    ctx.tiles[worker] = tile;
                }
            }
            long panelBytes = (long) k * PANEL * Float.BYTES;
            for (int r0 = i0; r0 < i1; r0 += mc) {
                int rows = Math.min(mc, i1 - r0);
                int aAt = aOff + r0 * rsA;
                int fullEnd = edge ? p1 - 1 : p1;
                if (p0 < fullEnd) { // A is packed once per block for all the panels
                    Gemm.gemmUnchecked(rows, k, a, aAt, rsA, csA, packed, p0, fullEnd, c, cOff + r0 * ldc, ldc, true);
                }
                if (edge) { // the kernels write whole panels: the last, partial one goes through a tile
                    int p = panels - 1, w = n - p * PANEL;
                    java.util.Arrays.fill(tile, 0, rows * PANEL, 0f);
                    Gemm.panel(rows, k, a, aAt, rsA, csA, packed, p * panelBytes, tile, 0, PANEL);
                    for (int r = 0; r < rows; r++) {
                        int at = cOff + (r0 + r) * ldc + p * PANEL;
                        for (int cc = 0; cc < w; cc++) {
                            c[at + cc] += tile[r * PANEL + cc];
                        }
                    }
                }
            }
        }
    }

    @Override
    protected void addColumnSumsUnchecked(int m, int n, float[] a, int aOff, int lda, float[] y, int yOff) {
        for (int i = 0; i < m; i++) { // row by row: y stays in L1, A streams once
            axpy(n, 1f, a, aOff + i * lda, y, yOff);
        }
    }

    // ------------------------------------------------------------------ embedding

    @Override
    protected void gatherUnchecked(int count, int dim, int[] ids, int idsOff, float[] table, int tableOff,
                                   float[] out, int outOff, int ldo) {
        for (int r = 0; r < count; r++) {
            System.arraycopy(table, tableOff + ids[idsOff + r] * dim, out, outOff + r * ldo, dim);
        }
    }

    @Override
    protected void scatterAddUnchecked(int count, int dim, int[] ids, int idsOff, float[] src, int srcOff, int lds,
                                       float[] table, int tableOff) {
        for (int r = 0; r < count; r++) {
            axpy(dim, 1f, src, srcOff + r * lds, table, tableOff + ids[idsOff + r] * dim);
        }
    }

    // ------------------------------------------------------------------ softmax and losses

    @Override
    protected double softmaxCrossEntropyUnchecked(int rows, int classes, float[] logits, int lOff, int ldl,
                                                  int[] targets, int tOff, int ignoreIndex, float gradScale,
                                                  float[] grad, int gOff, int ldg) {
        int parties = parties((long) rows * classes, PARALLEL_LOGITS);
        if (parties == 1) {
            double total = 0;
            for (int r = 0; r < rows; r++) {
                total += crossEntropyRow(classes, logits, lOff + r * ldl, targets[tOff + r], ignoreIndex, gradScale,
                        grad, gOff + r * ldg);
            }
            return total;
        }
        Context ctx = contexts.get();
        if (ctx.rowLoss.length < rows) {
            ctx.rowLoss = new double[rows];
        }
        SoftmaxTask t = ctx.softmax;
        t.set(ctx.rowLoss, rows, classes, logits, lOff, ldl, targets, tOff, ignoreIndex, gradScale, grad, gOff, ldg);
        try {
            pool.run(t, parties);
        } finally {
            t.clear();
        }
        double total = 0;
        for (int r = 0; r < rows; r++) { // in row order, as one thread sums: the same total
            total += ctx.rowLoss[r];
        }
        return total;
    }

    private static final class SoftmaxTask implements WorkerPool.Task {
        double[] rowLoss;
        int rows, classes, lOff, ldl, tOff, ignoreIndex, gOff, ldg;
        float[] logits, grad;
        int[] targets;
        float gradScale;

        void set(double[] rowLoss, int rows, int classes, float[] logits, int lOff, int ldl, int[] targets, int tOff,
                 int ignoreIndex, float gradScale, float[] grad, int gOff, int ldg) {
            this.rowLoss = rowLoss;
            this.rows = rows;
            this.classes = classes;
            this.logits = logits;
            this.lOff = lOff;
            this.ldl = ldl;
            this.targets = targets;
            this.tOff = tOff;
            this.ignoreIndex = ignoreIndex;
            this.gradScale = gradScale;
            this.grad = grad;
            this.gOff = gOff;
            this.ldg = ldg;
        }

        void clear() {
            logits = grad = null;
            targets = null;
        }

        @Override
        public void run(int worker, int parties, WorkerPool.Barrier barrier) {
            int r0 = (int) ((long) rows * worker / parties), r1 = (int) ((long) rows * (worker + 1) / parties);
            for (int r = r0; r < r1; r++) {
                rowLoss[r] = crossEntropyRow(classes, logits, lOff + r * ldl, targets[tOff + r], ignoreIndex,
                        gradScale, grad, gOff + r * ldg);
            }
        }
    }

    /**
     * One row of the fused loss: {@code -log softmax(z)[target]}, and its gradient
     * {@code scale * softmax(z)} minus {@code scale} at the target when {@code grad} is not null.
     */
    private static double crossEntropyRow(int classes, float[] z, int zOff, int target, int ignoreIndex,
                                          float scale, float[] grad, int gOff) {
        if (target == ignoreIndex) {
            if (grad != null) {
                java.util.Arrays.fill(grad, gOff, gOff + classes, 0f);
            }
            return 0;
        }
        float zt = z[zOff + target]; // read first: grad may be z itself
        double logSumExp = softmaxRow(classes, z, zOff, grad, gOff, true, scale);
        if (grad != null) {
            grad[gOff + target] -= scale;
        }
        return logSumExp - zt;
    }

    /*
     * Bitwise reproducible results: a training run resumed from a checkpoint must end where the
     * uninterrupted run ends, though C2 compiles the kernels at other moments in the two runs. The
     * JDK's lane-wise EXP is not reproducible that way (SVML once compiled, StrictMath before: an
     * ulp apart), and a float reduceLanes(ADD) may sum in any order. So softmax uses its own exp
     * made of IEEE adds and multiplies ({@link #softmaxRow}), and sums are taken lane by lane in order.
     */

    private static final float LOG2E = 1.44269504f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float ROUND = 12582912f; // 1.5 * 2^23: adding it rounds to an integer in the low mantissa bits
    private static final float EXP_MIN = -87.33654f; // exp(EXP_MIN) is the smallest normal float

    /**
     * Softmax of one row, its three passes in one method: {@code max} of {@code x}; then
     * {@code e = exp(x - max)}, stored in {@code dst} unless it is null ({@code dst} may be
     * {@code x}), and their sum, lanes added in order; then, when {@code normalize}, {@code dst}
     * times {@code (float) (numerator / sum)}. Returns the row's log-sum-exp, {@code max + log(sum)}.
     * The exp is Cephes' expf: a degree-5 polynomial on {@code x - k ln 2} scaled by {@code 2^k};
     * at most 2 ulp off where the result is a normal float ({@code SimdDenseExpTest}), about the
     * smallest normal float below that.
     *
     * <p>One method, larger than C2 inlines into a hot caller (FreqInlineSize, 325 bytes of
     * bytecode), so it is always compiled as a unit of its own. Split into small helpers, it was
     * inlined into whichever caller C2 compiled first; there the Vector API calls, which C2 inlines
     * late and only while the unit is under its node budget, could be left as calls, and the last
     * ones of the exp loop ran the Vector API's Java fallback: 16 KB a training step, for good, in
     * some JVMs (a test suite's profile; DenseAllocationTest).
     */
    static double softmaxRow(int n, float[] x, int xOff, float[] dst, int dstOff, boolean normalize,
                             double numerator) {
        FloatVector top = FloatVector.broadcast(FLOAT, Float.NEGATIVE_INFINITY);
        for (int c = 0; c < n; c += LANES) {
            VectorMask<Float> m = SimdSpecies.prefix(Math.min(LANES, n - c));
            top = top.lanewise(VectorOperators.MAX, FloatVector.fromArray(FLOAT, x, xOff + c, m), m);
        }
        float max = top.reduceLanes(VectorOperators.MAX);
        FloatVector sum = FloatVector.zero(FLOAT);
        for (int c = 0; c < n; c += LANES) {
            VectorMask<Float> m = SimdSpecies.prefix(Math.min(LANES, n - c));
            FloatVector v = FloatVector.fromArray(FLOAT, x, xOff + c, m).sub(max).max(EXP_MIN);
            FloatVector t = v.mul(LOG2E).add(ROUND);
            FloatVector k = t.sub(ROUND); // round(v / ln 2)
            FloatVector r = k.mul(-LN2_HI).add(v).add(k.mul(-LN2_LO));
            FloatVector p = r.mul(1.9875691500e-4f).add(1.3981999507e-3f);
            p = p.mul(r).add(8.3334519073e-3f);
            p = p.mul(r).add(4.1665795894e-2f);
            p = p.mul(r).add(1.6666665459e-1f);
            p = p.mul(r).add(5.0000001201e-1f);
            FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
            // 2^k from k's bits in t: t's mantissa holds k + 2^22 (t's exponent is 23)
            IntVector bits = t.reinterpretAsInts().sub(0x4B400000 - 127).lanewise(VectorOperators.LSHL, 23);
            FloatVector e = y.mul(bits.reinterpretAsFloats());
            // lanewise, not add: in 2 of 14 runs of models' tests this masked add ran the Java fallback
            // and boxed e and sum, while MAX above never did. The suspect (not proven): on a loop-carried
            // vector C2 resolves the call from a type profile, add's from the JDK method's, MAX's from ours
            sum = sum.lanewise(VectorOperators.ADD, e, m);
            if (dst != null) {
                e.intoArray(dst, dstOff + c, m);
            }
        }
        float total = 0;
        for (int i = 0; i < LANES; i++) { // in lane order (see above)
            total += sum.lane(i);
        }
        if (dst != null && normalize) {
            float factor = (float) (numerator / total);
            for (int c = 0; c < n; c += LANES) {
                VectorMask<Float> m = SimdSpecies.prefix(Math.min(LANES, n - c));
                FloatVector.fromArray(FLOAT, dst, dstOff + c, m).mul(factor).intoArray(dst, dstOff + c, m);
            }
        }
        return max + Math.log(total);
    }

    @Override
    protected void softmaxRowsUnchecked(int rows, int n, float[] x, int off, int ld) {
        for (int r = 0; r < rows; r++) {
            softmaxRow(n, x, off + r * ld, x, off + r * ld, true, 1.0);
        }
    }

    @Override
    protected void softmaxBackwardRowsUnchecked(int rows, int n, float[] p, int pOff, int ldp, float[] g, int gOff,
                                                int ldg) {
        float[] lanes = contexts.get().lanes;
        for (int r = 0; r < rows; r++) {
            int pr = pOff + r * ldp, gr = gOff + r * ldg;
            float dot = dot(n, p, pr, g, gr, lanes);
            for (int c = 0; c < n; c += LANES) {
                VectorMask<Float> m = SimdSpecies.prefix(Math.min(LANES, n - c));
                FloatVector pv = FloatVector.fromArray(FLOAT, p, pr + c, m);
                FloatVector.fromArray(FLOAT, g, gr + c, m).sub(dot).mul(pv).intoArray(g, gr + c, m);
            }
        }
    }

    // ------------------------------------------------------------------ optimizers and gradients

    @Override
    protected void sgdUnchecked(int n, double lr, double momentum, boolean firstStep, float[] w, int wOff, float[] g,
                                int gOff, float[] v, int vOff) {
        float rate = (float) lr;
        FloatVector mu = FloatVector.broadcast(FLOAT, (float) momentum);
        for (int i = 0; i < n; i += LANES) {
            VectorMask<Float> m = SimdSpecies.prefix(Math.min(LANES, n - i));
            FloatVector step = FloatVector.fromArray(FLOAT, g, gOff + i, m);
            if (momentum != 0) {
                if (!firstStep) { // torch: the first step's buffer is the gradient itself
                    step = FloatVector.fromArray(FLOAT, v, vOff + i, m).fma(mu, step);
                }
                step.intoArray(v, vOff + i, m);
            }
            FloatVector.fromArray(FLOAT, w, wOff + i, m).sub(step.mul(rate)).intoArray(w, wOff + i, m);
        }
    }

    @Override
    protected void adamUnchecked(int n, double lr, double beta1, double beta2, double epsilon, double weightDecay,
                                 boolean decoupled, long step, float[] w, int wOff, float[] g, int gOff, float[] m,
                                 int mOff, float[] v, int vOff) {
        // lr * (m / c1) / (sqrt(v / c2) + eps), with the corrections folded into two constants
        float stepSize = (float) (lr / (1 - Math.pow(beta1, step)));
        float inverseC2 = (float) (1 / (1 - Math.pow(beta2, step)));
        float b1 = (float) beta1, b2 = (float) beta2, one1 = (float) (1 - beta1), one2 = (float) (1 - beta2);
        float eps = (float) epsilon, shrink = (float) (lr * weightDecay), decay = (float) weightDecay;
        int mode = decoupled ? ADAM_DECOUPLED : weightDecay != 0 ? ADAM_COUPLED : ADAM_PLAIN;
        int full = n / LANES * LANES;
        adamVectors(full, mode, stepSize, inverseC2, b1, b2, one1, one2, eps, shrink, decay, w, wOff, g, gOff, m, mOff,
                v, vOff);
        if (full < n) { // the last values through a vector of scratch (zeros past n: no NaN), then back
            float[][] t = ADAM_TAIL.get();
            int rest = n - full;
            float[] tw = t[0], tg = t[1], tm = t[2], tv = t[3];
            java.util.Arrays.fill(tw, 0f);
            java.util.Arrays.fill(tg, 0f);
            java.util.Arrays.fill(tm, 0f);
            java.util.Arrays.fill(tv, 0f);
            System.arraycopy(w, wOff + full, tw, 0, rest);
            System.arraycopy(g, gOff + full, tg, 0, rest);
            System.arraycopy(m, mOff + full, tm, 0, rest);
            System.arraycopy(v, vOff + full, tv, 0, rest);
            adamVectors(LANES, mode, stepSize, inverseC2, b1, b2, one1, one2, eps, shrink, decay, tw, 0, tg, 0, tm, 0,
                    tv, 0);
            System.arraycopy(tw, 0, w, wOff + full, rest);
            System.arraycopy(tm, 0, m, mOff + full, rest);
            System.arraycopy(tv, 0, v, vOff + full, rest);
        }
    }

    private static final int ADAM_PLAIN = 0, ADAM_COUPLED = 1, ADAM_DECOUPLED = 2;

    /** Per thread: one vector of w, g, m and v for the values after the last whole vector. */
    private static final ThreadLocal<float[][]> ADAM_TAIL = ThreadLocal.withInitial(() -> new float[4][LANES]);

    /**
     * Adam on {@code n} values, a multiple of the vector length: whole vectors, no masks, and one
     * loop per kind of weight decay (no vector merged from two branches, which C2 may box).
     */
    private static void adamVectors(int n, int mode, float stepSize, float inverseC2, float b1, float b2, float one1,
                                    float one2, float eps, float shrink, float decay, float[] w, int wOff, float[] g,
                                    int gOff, float[] m, int mOff, float[] v, int vOff) {
        switch (mode) {
            case ADAM_DECOUPLED -> {
                for (int i = 0; i < n; i += LANES) {
                    FloatVector wv = FloatVector.fromArray(FLOAT, w, wOff + i);
                    wv = wv.sub(wv.mul(shrink));
                    FloatVector gv = FloatVector.fromArray(FLOAT, g, gOff + i);
                    FloatVector mv = FloatVector.fromArray(FLOAT, m, mOff + i).mul(b1).add(gv.mul(one1));
                    FloatVector vv = FloatVector.fromArray(FLOAT, v, vOff + i).mul(b2).add(gv.mul(gv).mul(one2));
                    mv.intoArray(m, mOff + i);
                    vv.intoArray(v, vOff + i);
                    FloatVector denominator = vv.mul(inverseC2).lanewise(VectorOperators.SQRT).add(eps);
                    wv.sub(mv.mul(stepSize).div(denominator)).intoArray(w, wOff + i);
                }
            }
            case ADAM_COUPLED -> {
                FloatVector dv = FloatVector.broadcast(FLOAT, decay);
                for (int i = 0; i < n; i += LANES) {
                    FloatVector wv = FloatVector.fromArray(FLOAT, w, wOff + i);
                    FloatVector gv = wv.fma(dv, FloatVector.fromArray(FLOAT, g, gOff + i));
                    FloatVector mv = FloatVector.fromArray(FLOAT, m, mOff + i).mul(b1).add(gv.mul(one1));
                    FloatVector vv = FloatVector.fromArray(FLOAT, v, vOff + i).mul(b2).add(gv.mul(gv).mul(one2));
                    mv.intoArray(m, mOff + i);
                    vv.intoArray(v, vOff + i);
                    FloatVector denominator = vv.mul(inverseC2).lanewise(VectorOperators.SQRT).add(eps);
                    wv.sub(mv.mul(stepSize).div(denominator)).intoArray(w, wOff + i);
                }
            }
            default -> {
                for (int i = 0; i < n; i += LANES) {
                    FloatVector wv = FloatVector.fromArray(FLOAT, w, wOff + i);
                    FloatVector gv = FloatVector.fromArray(FLOAT, g, gOff + i);
                    FloatVector mv = FloatVector.fromArray(FLOAT, m, mOff + i).mul(b1).add(gv.mul(one1));
                    FloatVector vv = FloatVector.fromArray(FLOAT, v, vOff + i).mul(b2).add(gv.mul(gv).mul(one2));
                    mv.intoArray(m, mOff + i);
                    vv.intoArray(v, vOff + i);
                    FloatVector denominator = vv.mul(inverseC2).lanewise(VectorOperators.SQRT).add(eps);
                    wv.sub(mv.mul(stepSize).div(denominator)).intoArray(w, wOff + i);
                }
            }
        }
    }

    @Override
    protected double sumOfSquaresUnchecked(int n, float[] x, int off) {
        // float lanes for blocks of 4096 values, then double: long vectors keep their precision
        double total = 0;
        for (int b = 0; b < n; b += 4096) {
            int end = Math.min(n, b + 4096);
            FloatVector s = FloatVector.zero(FLOAT);
            for (int i = b; i < end; i += LANES) {
                VectorMask<Float> m = SimdSpecies.prefix(Math.min(LANES, end - i));
                FloatVector xv = FloatVector.fromArray(FLOAT, x, off + i, m);
                s = xv.fma(xv, s);
            }
            for (int i = 0; i < LANES; i++) { // in lane order (see softmaxRow)
                total += s.lane(i);
            }
        }
        return total;
    }

    @Override
    protected void scaleUnchecked(int n, float alpha, float[] x, int off) {
        int full = n / LANES * LANES, i = 0;
        for (; i < full; i += LANES) { // whole vectors without masks (long gradients: clipping scales all of them)
            FloatVector.fromArray(FLOAT, x, off + i).mul(alpha).intoArray(x, off + i);
        }
        for (; i < n; i += LANES) {
            VectorMask<Float> m = SimdSpecies.prefix(n - i);
            FloatVector.fromArray(FLOAT, x, off + i, m).mul(alpha).intoArray(x, off + i, m);
        }
    }
}
