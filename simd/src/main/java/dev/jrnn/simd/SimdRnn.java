package dev.jrnn.simd;

import static dev.jrnn.simd.SimdSpecies.PANEL;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.rnn.RnnWeights.Param;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * A recurrent stack planned for the Vector API.
 *
 * <p>Forward, per layer and direction: the input projection of all {@code T} steps is one GEMM
 * ({@code [T*N, in] x [in, G*H]}, biases folded in); then per step only the recurrent product
 * {@code [N, H] x [H, G*H]} and the cell's fused pointwise pass. Backward, per step: the fused
 * pointwise gradient pass and {@code dh_{t-1} = dG_h W_hh}; then, for all steps at once, the
 * weight gradients {@code dG^T X} and {@code dG^T H_{t-1}} and the input gradient {@code dG W_ih}
 * as single GEMMs.
 *
 * <p>Inside, every width is padded to a multiple of {@link SimdSpecies#PANEL}: hidden size
 * {@code Hp}, gate rows {@code G * Hp}, layer inputs {@code Ip} or {@code D * Hp}. Padded weights
 * are zero, so padded units stay exactly zero, and every kernel works on whole vectors and whole
 * panels: no masks, nothing for C2 to box. Tensors are copied in and out at the boundary.
 *
 * <p>Threads: the hidden units are cut into blocks of {@link SimdSpecies#PANEL}; each worker owns a
 * fixed range of blocks and computes every gate of its units, so one barrier per step suffices.
 * A bidirectional layer on two workers runs one direction per worker instead, with no per-step
 * barrier. Every output element is computed by one worker in a fixed order: results are bitwise
 * identical for any number of threads.
 *
 * <p>Any {@code T}, {@code N} and mix of lengths: a call sorts its sequences by length, longest
 * first (a stable counting sort), and lays them out packed, as PyTorch's packed sequences: step
 * {@code t} holds the {@code active[t]} sequences longer than {@code t}, rows
 * {@code offset[t] .. offset[t] + active[t]}. The input projection and the weight gradients then
 * cover only real steps, and each step's recurrent product runs on a batch that shrinks as
 * sequences end. The reverse direction runs sequence {@code i}'s own steps from its last, so at
 * its {@code s}-th step it is at time {@code len[i] - 1 - s}; the running state of each direction
 * is kept contiguous (double-buffered: one step reads one half while it writes the other), so the
 * recurrent product's rows are contiguous whatever the lengths. Buffers grow to the largest
 * {@code T * N} seen and are reused.
 *
 * <p>With {@link Precision#BF16} weights (inference only) the gate panels of {@code W_ih} and
 * {@code W_hh} are kept in bf16 ({@link Bf16}) and nothing else: a single row's product (batch 1's
 * recurrent step, a single step's input projection) widens them in registers; a product of more
 * rows runs Gemm's kernels on a float copy its parties widen once per call and layer into the
 * workspace (their FMAs outnumber the widening many times over). Both give, bit for bit, the float32
 * results of the same weights rounded to bf16.
 *
 * <p>{@link Precision#INT8} weights (inference only) are kept the same way as bytes with a scale per
 * gate row ({@link Int8}): the single row's kernel widens them in registers, a product of more rows
 * runs Gemm's kernels on their float copy and scales the results; both give the same bits.
 */
final class SimdRnn extends PreparedRnn {

    static final String NAME = "simd";

    /**
     * Per-step multiply-adds of the recurrent product below which a unidirectional stack runs on
     * one thread: a step must outweigh the cost of a barrier (a few microseconds). Measured with
     * {@code LayerBench}: see bench/RESULTS.md.
     */
    static final long MIN_PARALLEL_MACS_PER_STEP = 150_000;

    /**
     * The same for batch 1, which runs Gemm's row kernel, bound by streaming the recurrent weights:
     * split by hidden units, each core streams its half from its own L2 and only the state crosses
     * cores, once a step. Below about 100k multiply-adds (a step of about a microsecond) the
     * barrier and the exchange cost what the split saves: measured on a Zen 5 (2 vCPUs), LSTM H 128
     * (65k a step) and RNN H 256 (65k) ran 1.2x slower on two threads, GRU H 256 (197k) 1.08x
     * faster and LSTM H 256 (262k) 1.35x. Between, {@link Adaptive} decides on the work.
     */
    static final long MIN_PARALLEL_MACS_PER_ROW_STEP = 100_000;

    /**
     * Multiply-adds of a whole batch-1 call below which it runs on one thread: waking the other
     * core costs microseconds once per call, so a stream fed a step at a time (a generator's
     * character, 262k multiply-adds: measured 31-40 us on one thread, 43-216 us on two) stays on one.
     */
    static final long MIN_PARALLEL_MACS_PER_ROW_CALL = 2_000_000;

    private static final Param[] PARAMS = Param.values(); // values() copies the array on every call

    private final CellKind cell;
    /** hidden: the padded H; gateWidth: G * hidden; outWidth: D * hidden; the user's sizes are h and input. */
    private final int h, input, hidden, dirs, layers, gates, gateWidth, outWidth, unitBlocks;
    private final Weights[][] weights;
    /**
     * Whether the gate panels {@code wihT}, {@code whhT} hold bf16 ({@link Bf16}) or int8 ({@link Int8})
     * rather than floats (narrow: either; then there are no backward panels).
     */
    private final boolean bf16, int8, narrow;
    private final WorkerPool pool;
    private final int threads;
    private final Adaptive forwardThreads, backwardThreads;
    /** The packed weights' native memory; shared, since the pool's threads read it. Closed by {@link #close()}. */
    private final Arena arena = Arena.ofShared();
    /** Zeros to write past a sequence's end. */
    private final float[] zeros;

    /**
     * One layer and direction, packed; {@code in} is the padded input width. Rewritten in place by
     * {@link #update}. With bf16 or int8 weights, {@code wihT} and {@code whhT} are bf16 or int8 panels
     * and {@code wih}, {@code whh} (backward's) are null; {@code sih}, {@code shh} are int8's scales per
     * padded gate row (else null).
     */
    private record Weights(int in, MemorySegment wihT, MemorySegment whhT, float[] bias, float[] bhn,
                           MemorySegment wih, MemorySegment whh, float[] sih, float[] shh) {
    }

    private static int pad(int n) {
        return Gemm.panels(n) * PANEL;
    }

    /**
     * Rows a per-step product runs on: the active rows rounded up to the register tile
     * ({@link Gemm#TILE}), so that no step's rows go through the padded copy of a partial tile
     * (a first version sent up to 3 rows a step through a one-row kernel, each streaming the
     * whole weight panel again: measured 1.2x slower than no shrinking at all; a single row is the
     * exception, {@link #stepRows}). Rows are
     * independent in the kernel, so the extra rows' stale contents touch only their own (unused)
     * results, and a sequence's numbers do not depend on how many others share its step.
     */
    private static int tile(int rows) {
        return (rows + Gemm.TILE - 1) / Gemm.TILE * Gemm.TILE;
    }

    /** Rows a per-step product runs on: {@link #tile}, but one row alone (batch 1) goes through Gemm's row kernel. */
    private static int stepRows(int rows) {
        return rows == 1 ? 1 : tile(rows);
    }

    SimdRnn(RnnArchitecture d, RnnWeights w, WorkerPool pool, int threads) {
        this(d, w, pool, threads, Precision.FLOAT32);
    }

    /** Float32, bf16 or int8 weights ({@link SimdBackend#precisions()}). */
    SimdRnn(RnnArchitecture d, RnnWeights w, WorkerPool pool, int threads, Precision precision) {
        super(NAME, d, precision);
        this.bf16 = precision == Precision.BF16;
        this.int8 = precision == Precision.INT8;
        this.narrow = bf16 || int8;
        this.cell = d.cell();
        this.h = d.hiddenSize();
        this.input = d.inputSize();
        this.hidden = pad(h);
        this.dirs = d.directions();
        this.layers = d.layers();
        this.gates = d.gates();
        this.gateWidth = gates * hidden;
        this.outWidth = dirs * hidden;
        this.unitBlocks = hidden / PANEL;
        this.pool = pool;
        this.weights = new Weights[layers][dirs];
        for (int l = 0; l < layers; l++) {
            for (int dir = 0; dir < dirs; dir++) {
                weights[l][dir] = pack(l, w, dir, null);
            }
        }
        this.threads = Math.max(1, Math.min(threads, pool.maxParties()));
        this.forwardThreads = Adaptive.options(dirs == 1 ? 3 : 2);
        this.backwardThreads = Adaptive.options(dirs == 1 ? 3 : 2);
        this.zeros = new float[Math.max(input, dirs * h)];
        Warmup.start();
    }

    /** Threads a call on {@code batch} sequences and {@code rows} sequence steps in all is planned to use (fewer when they prove slower: {@link Adaptive}). */
    int parties(int batch, int rows) {
        if (threads < 2) {
            return 1;
        }
        if (dirs == 2) {
            return 2;
        }
        long macsPerStep = (long) batch * gateWidth * hidden;
        boolean worthIt = batch == 1
                ? macsPerStep >= MIN_PARALLEL_MACS_PER_ROW_STEP && rows * macsPerStep >= MIN_PARALLEL_MACS_PER_ROW_CALL
                : macsPerStep >= MIN_PARALLEL_MACS_PER_STEP;
        return unitBlocks >= 2 && worthIt ? Math.min(threads, unitBlocks) : 1;
    }

    /**
     * Runs {@code w} on one thread, or on {@code parties(batch)} splitting the hidden units (a barrier
     * per step), or, unidirectional with at least a register tile of sequences per party, splitting
     * the sequences (each party then streams all the weights, but no barrier until the layer ends):
     * whichever {@code adaptive} finds fastest here. All three give the same results, bit for bit.
     */
    private void runTimed(Work w, Adaptive adaptive) {
        int planned = parties(w.batch, w.rows);
        if (planned == 1) {
            w.byRows = false;
            pool.run(w, 1);
            return;
        }
        int option = forcedSplit >= 0 ? forcedSplit : adaptive.nextOption();
        if (option == SPLIT_ROWS && !(dirs == 1 && tile(w.batch) / Gemm.TILE >= planned)) {
            option = SPLIT_UNITS;
        }
        w.byRows = option == SPLIT_ROWS;
        long start = System.nanoTime();
        pool.run(w, option == ONE_THREAD ? 1 : planned);
        adaptive.recordOption(option, (System.nanoTime() - start) / w.rows); // per row: calls differ in size
    }

    /** The options of {@link #runTimed}. */
    static final int ONE_THREAD = 0, SPLIT_UNITS = 1, SPLIT_ROWS = 2;

    /**
     * Every call runs as this option of {@link #runTimed} (when it can), or -1: the adaptive choice.
     * {@code -Djrnn.simd.split=one|units|rows} forces one, for measurements; tests use {@link #forceSplit}.
     */
    private volatile int forcedSplit = forcedSplit(System.getProperty("jrnn.simd.split"));

    static int forcedSplit(String name) {
        if (name == null || name.isBlank()) {
            return -1;
        }
        return switch (name.trim()) {
            case "one" -> ONE_THREAD;
            case "units" -> SPLIT_UNITS;
            case "rows" -> SPLIT_ROWS;
            default -> throw new IllegalArgumentException("-Djrnn.simd.split must be one, units or rows, got '" + name + "'");
        };
    }

    void forceSplit(int option) {
        forcedSplit = option;
    }

    /**
     * Padded index {@code b * Hp + j} (gate or direction {@code b}, unit {@code j}) to the user's
     * {@code b * H + j}, or -1 for padding: gate rows, and the input columns of layers above 0.
     */
    private int unpad(int padded) {
        int j = padded % hidden;
        return j < h ? padded / hidden * h + j : -1;
    }

    /** Padded input column of layer {@code l} to the user's column, or -1 for padding. */
    private int inputColumn(int l, int padded) {
        return l > 0 ? unpad(padded) : padded < input ? padded : -1;
    }

    /**
     * Reused by {@link #pack} (an optimizer step repacks every step, so it allocates nothing): the
     * user's weights of one layer and direction, their padded row-major copies, and one packed form.
     */
    private float[] userIh = new float[0], userHh = new float[0], userBih = new float[0], userBhh = new float[0];
    private float[] padIh = new float[0], padHh = new float[0], stage = new float[0];

    private static float[] atLeast(float[] a, int n) {
        return a.length >= n ? a : new float[n];
    }

    /** Packs layer {@code l}, direction {@code dir} of {@code w}: into new memory, or into {@code into}'s. */
    private Weights pack(int l, RnnWeights w, int dir, Weights into) {
        int in = l == 0 ? pad(input) : outWidth, inUser = l == 0 ? input : dirs * h;
        float[] wih = userIh = atLeast(userIh, gates * h * inUser), whh = userHh = atLeast(userHh, gates * h * h);
        float[] bih = userBih = atLeast(userBih, gates * h), bhh = userBhh = atLeast(userBhh, gates * h);
        w.get(Param.WEIGHT_IH, l, dir).copyTo(wih, 0);
        w.get(Param.WEIGHT_HH, l, dir).copyTo(whh, 0);
        w.get(Param.BIAS_IH, l, dir).copyTo(bih, 0);
        w.get(Param.BIAS_HH, l, dir).copyTo(bhh, 0);
        // padded copies, [G*Hp][in] and [G*Hp][Hp]: the user's arrays themselves when nothing is padded
        boolean padded = h != hidden || inUser != in;
        float[] wihP = wih, whhP = whh;
        if (padded) {
            wihP = padIh = atLeast(padIh, gateWidth * in);
            whhP = padHh = atLeast(padHh, gateWidth * hidden);
            Arrays.fill(wihP, 0, gateWidth * in, 0f);
            Arrays.fill(whhP, 0, gateWidth * hidden, 0f);
        }
        float[] bias = into == null ? new float[gateWidth] : into.bias();
        float[] bhn = cell != CellKind.GRU ? null : into == null ? new float[hidden] : into.bhn();
        for (int r = 0; r < gateWidth; r++) {
            int user = unpad(r);
            if (user < 0) {
                continue;
            }
            if (padded) {
                if (l == 0) {
                    System.arraycopy(wih, user * inUser, wihP, r * in, input);
                } else {
                    for (int d = 0; d < dirs; d++) {
                        System.arraycopy(wih, user * inUser + d * h, wihP, r * in + d * hidden, h);
                    }
                }
                System.arraycopy(whh, user * h, whhP, r * hidden, h);
            }
            // b_hh folds into the input projection, except GRU's b_hn, which the reset gate multiplies
            boolean resetScaled = cell == CellKind.GRU && r >= 2 * hidden;
            bias[r] = bih[user] + (resetScaled ? 0f : bhh[user]);
            if (resetScaled) {
                bhn[r - 2 * hidden] = bhh[user];
            }
        }
        float[] st = stage = atLeast(stage, gateWidth * Math.max(in, hidden));
        if (bf16) { // the forward's gate panels only, rounded
            Gemm.packGatesTransposed(wihP, gates, hidden, in, st);
            MemorySegment wihT = into != null ? into.wihT() : arena.allocate(Bf16.bytes(gateWidth * in), 64);
            Bf16.pack(st, gateWidth * in, wihT);
            Gemm.packGatesTransposed(whhP, gates, hidden, hidden, st);
            MemorySegment whhT = into != null ? into.whhT() : arena.allocate(Bf16.bytes(gateWidth * hidden), 64);
            Bf16.pack(st, gateWidth * hidden, whhT);
            return into != null ? into : new Weights(in, wihT, whhT, bias, bhn, null, null, null, null);
        }
        if (int8) { // the forward's gate panels only, quantized per gate row (padded rows are zeros: scale 0)
            float[] sih = into != null ? into.sih() : new float[gateWidth], shh = into != null ? into.shh() : new float[gateWidth];
            Int8.quantizeRows(wihP, gateWidth, in, sih);
            Gemm.packGatesTransposed(wihP, gates, hidden, in, st);
            MemorySegment wihT = into != null ? into.wihT() : arena.allocate(Int8.bytes(gateWidth * in), 64);
            Int8.pack(st, gateWidth * in, wihT);
            Int8.quantizeRows(whhP, gateWidth, hidden, shh);
            Gemm.packGatesTransposed(whhP, gates, hidden, hidden, st);
            MemorySegment whhT = into != null ? into.whhT() : arena.allocate(Int8.bytes(gateWidth * hidden), 64);
            Int8.pack(st, gateWidth * hidden, whhT);
            return into != null ? into : new Weights(in, wihT, whhT, bias, bhn, null, null, sih, shh);
        }
        Gemm.packGatesTransposed(wihP, gates, hidden, in, st);
        MemorySegment wihT = staged(into == null ? null : into.wihT(), gateWidth * in);
        Gemm.packGatesTransposed(whhP, gates, hidden, hidden, st);
        MemorySegment whhT = staged(into == null ? null : into.whhT(), gateWidth * hidden);
        Gemm.packUnchecked(gateWidth, in, wihP, 0, in, st, 0);
        MemorySegment wihB = staged(into == null ? null : into.wih(), Gemm.packedSize(gateWidth, in));
        Gemm.packUnchecked(gateWidth, hidden, whhP, 0, hidden, st, 0);
        MemorySegment whhB = staged(into == null ? null : into.whh(), Gemm.packedSize(gateWidth, hidden));
        return into != null ? into : new Weights(in, wihT, whhT, bias, bhn, wihB, whhB, null, null);
    }

    /** The first {@code floats} of {@link #stage} into {@code to}, or into new aligned memory. */
    private MemorySegment staged(MemorySegment to, int floats) {
        MemorySegment dst = to != null ? to : Gemm.aligned(arena, floats);
        MemorySegment.copy(stage, 0, dst, ValueLayout.JAVA_FLOAT, 0, floats);
        return dst;
    }

    @Override
    protected void updateChecked(RnnWeights w) {
        for (int l = 0; l < layers; l++) {
            for (int dir = 0; dir < dirs; dir++) {
                pack(l, w, dir, weights[l][dir]);
            }
        }
    }

    @Override
    protected Workspace createWorkspace() {
        return new Work(this);
    }

    @Override
    protected void release() {
        arena.close();
    }

    /** The start of part {@code part} of {@code count} items cut in {@code parts}. */
    private static int cut(int count, int part, int parts) {
        return (int) ((long) count * part / parts);
    }

    // ================================================================== tensors in and out

    /** Element index of {@code t[a][b][0]} in its segment (the last axis is contiguous: checked). */
    private static long at(FloatTensor t, int a, int b) {
        return t.offset() + a * t.stride(0) + b * t.stride(1);
    }

    /** {@code count} floats of row {@code t[a][b]} from column {@code col} into {@code dst}. */
    private static void rowTo(FloatTensor t, int a, int b, int col, float[] dst, int dstOff, int count) {
        MemorySegment.copy(t.segment(), FloatTensor.ELEMENT, (at(t, a, b) + col) * Float.BYTES, dst, dstOff, count);
    }

    /** {@code count} floats from {@code src} into row {@code t[a][b]} from column {@code col}. */
    private static void rowFrom(float[] src, int srcOff, FloatTensor t, int a, int b, int col, int count) {
        MemorySegment.copy(src, srcOff, t.segment(), FloatTensor.ELEMENT, (at(t, a, b) + col) * Float.BYTES, count);
    }

    /**
     * Whether rows {@code (t, n)} of {@code t}, columns {@code [col, col + count)}, are the packed rows
     * of {@code stride} floats from {@code off}: every sequence {@code T} long, {@code t} contiguous
     * with rows of {@code count}, and no padding columns. Then one copy moves them all.
     */
    private static boolean oneCopy(Work w, FloatTensor t, int col, int count, int off, int stride) {
        return !w.variable && t.isContiguous() && col == 0 && off == 0 && count == stride && t.dim(2) == count;
    }

    /** The packed rows of a {@code [T, N, C]} tensor, columns {@code [0, count)}, into rows of {@code stride}. */
    private static void sequenceIn(Work w, FloatTensor t, int col, int count, float[] dst, int off, int stride) {
        if (oneCopy(w, t, col, count, off, stride)) {
            MemorySegment.copy(t.segment(), FloatTensor.ELEMENT, t.offset() * Float.BYTES, dst, 0, w.rows * count);
            return;
        }
        for (int step = 0; step < w.steps; step++) {
            int base = w.offset[step];
            for (int i = 0, m = w.active[step]; i < m; i++) {
                rowTo(t, step, w.perm[i], col, dst, (base + i) * stride + off, count);
            }
        }
    }

    /** The inverse of {@link #sequenceIn}; with {@code zeroRest}, positions past each end get zeros. */
    private void sequenceOut(Work w, float[] src, int off, int stride, FloatTensor t, int col, int count,
                             boolean zeroRest) {
        if (oneCopy(w, t, col, count, off, stride)) { // (no sequence ends early: nothing to zero)
            MemorySegment.copy(src, 0, t.segment(), FloatTensor.ELEMENT, t.offset() * Float.BYTES, w.rows * count);
            return;
        }
        for (int step = 0; step < w.steps; step++) {
            int base = w.offset[step], m = w.active[step];
            for (int i = 0; i < m; i++) {
                rowFrom(src, (base + i) * stride + off, t, step, w.perm[i], col, count);
            }
            if (zeroRest) {
                for (int i = m; i < w.batch; i++) {
                    rowFrom(zeros, 0, t, step, w.perm[i], col, count);
                }
            }
        }
    }

    /** A {@code [L*D, N, H]} tensor into sorted, padded rows of {@code Hp}; zeros when absent. */
    private void stateIn(Work w, FloatTensor t, float[] into) {
        int rows = layers * dirs;
        if (t == null) {
            Arrays.fill(into, 0, rows * w.batch * hidden, 0f);
            return;
        }
        for (int ld = 0; ld < rows; ld++) {
            for (int i = 0; i < w.batch; i++) {
                rowTo(t, ld, w.perm[i], 0, into, (ld * w.batch + i) * hidden, h);
            }
        }
    }

    private void stateOut(Work w, float[] from, FloatTensor t) {
        for (int ld = 0, rows = layers * dirs; ld < rows; ld++) {
            for (int i = 0; i < w.batch; i++) {
                rowFrom(from, (ld * w.batch + i) * hidden, t, ld, w.perm[i], 0, h);
            }
        }
    }

    // ================================================================== forward

    @Override
    protected void forwardChecked(Mode mode, RnnForward io, Workspace workspace) {
        Work w = (Work) workspace;
        w.plan();
        sequenceIn(w, io.srcLayer(), 0, input, w.x, 0, weights[0][0].in());
        stateIn(w, io.srcIter(), w.h0);
        if (cell == CellKind.LSTM) {
            stateIn(w, io.srcIterC(), w.c0);
        }
        if (narrow && (w.rows > 1 || w.batch > 1)) {
            w.allocateWide();
        }
        w.backward = false;
        runTimed(w, forwardThreads);
        for (int dir = 0; dir < dirs; dir++) {
            sequenceOut(w, w.out[layers - 1], dir * hidden, outWidth, io.dstLayer(), dir * h, h, true);
        }
        if (io.dstIter() != null || io.dstIterC() != null) {
            finalStates(w);
            if (io.dstIter() != null) {
                stateOut(w, w.hn, io.dstIter());
            }
            if (io.dstIterC() != null) {
                stateOut(w, w.cn, io.dstIterC());
            }
        }
    }

    private void forwardTask(Work w, int worker, int parties, WorkerPool.Barrier barrier) {
        boolean byDirection = dirs == 2 && parties == 2;
        for (int l = 0; l < layers; l++) {
            if (byDirection) {
                forwardLayer(w, l, worker, 0, 1, WorkerPool.Barrier.NONE);
                barrier.await();
            } else {
                for (int dir = 0; dir < dirs; dir++) {
                    forwardLayer(w, l, dir, worker, parties, barrier);
                }
            }
        }
    }

    private void forwardLayer(Work w, int l, int dir, int part, int parts, WorkerPool.Barrier barrier) {
        Weights wt = weights[l][dir];
        int in = wt.in(), batch = w.batch;
        // by units: every sequence, this party's hidden units, a barrier per step; by rows: this party's
        // sequences, every unit, no barrier until the layer ends
        boolean byRows = w.byRows && parts > 1;
        int u0 = byRows ? 0 : cut(unitBlocks, part, parts), u1 = byRows ? unitBlocks : cut(unitBlocks, part + 1, parts);
        int i0 = byRows ? rowStart(batch, part, parts) : 0, i1 = byRows ? rowStart(batch, part + 1, parts) : batch;
        WorkerPool.Barrier stepBarrier = byRows ? WorkerPool.Barrier.NONE : barrier;
        int j0 = u0 * PANEL, j1 = u1 * PANEL, width = j1 - j0;
        float[] x = l == 0 ? w.x : w.out[l - 1], out = w.out[l], gx = w.gx[l][dir], gh = w.gh[dir];
        float[] cs = w.cs[l][dir], hnl = w.hnl[l][dir];
        float[][] hs = w.hState[dir];
        int[] offset = w.offset, active = w.active, len = w.lenS;
        int state = (l * dirs + dir) * batch * hidden;
        MemorySegment wideIh = null, wideHh = null;
        if (narrow && (w.rows > 1 || batch > 1)) { // float copies for the products of several rows, once per call
            int q0 = byRows ? cut(gates * unitBlocks, part, parts) : u0 * gates;
            int q1 = byRows ? cut(gates * unitBlocks, part + 1, parts) : u1 * gates;
            if (w.rows > 1) {
                widen(wt.wihT(), in, q0, q1, wideIh = w.wideIh[dir]);
            }
            if (batch > 1) {
                widen(wt.whhT(), hidden, q0, q1, wideHh = w.wideHh[dir]);
            }
            if (byRows) {
                barrier.await(); // by rows, every party reads every panel
            }
        }
        if (byRows) { // this party's share of all rows (whole tiles), every unit
            int r0 = rowStart(w.rows, part, parts), r1 = rowStart(w.rows, part + 1, parts);
            gates(r1 - r0, in, x, r0 * in, wt.wihT(), wideIh, wt.sih(), 0, unitBlocks, gx, r0 * gateWidth, wt.bias());
        } else {
            gates(w.rows, in, x, 0, wt.wihT(), wideIh, wt.sih(), u0, u1, gx, 0, wt.bias());
        }
        for (int i = i0; i < i1; i++) {
            System.arraycopy(w.h0, state + i * hidden + j0, hs[0], i * hidden + j0, width);
        }
        barrier.await(); // every input projection; the first product reads every unit of the initial state
        for (int s = 0; s < w.maxLength; s++) {
            int m = Math.min(active[s], i1) - i0; // this party's sequences still running
            if (m <= 0) {
                break; // sequences are sorted longest first: none of this party's runs longer
            }
            float[] hPrev = hs[s & 1], hNext = hs[(s + 1) & 1];
            gates(stepRows(m), hidden, hPrev, i0 * hidden, wt.whhT(), wideHh, wt.shh(), u0, u1, gh, i0 * gateWidth, null);
            for (int i = i0, end = i0 + m; i < end; i++) {
                int t = dir == 0 ? s : len[i] - 1 - s, tPrev = dir == 0 ? t - 1 : t + 1;
                int row = offset[t] + i, gxRow = row * gateWidth, ghRow = i * gateWidth;
                int hOut = row * outWidth + dir * hidden;
                switch (cell) {
                    case RNN_TANH, RNN_RELU -> Cells.rnnForward(cell == CellKind.RNN_RELU, gx, gxRow, gh, ghRow, out,
                            hOut, j0, j1);
                    case LSTM -> {
                        float[] cSrc = s == 0 ? w.c0 : cs;
                        int cPrev = s == 0 ? state + i * hidden : (offset[tPrev] + i) * hidden;
                        Cells.lstmForward(hidden, gx, gxRow, gh, ghRow, cSrc, cPrev, cs, row * hidden, out, hOut, j0, j1);
                    }
                    case GRU -> Cells.gruForward(hidden, gx, gxRow, gh, ghRow, wt.bhn(), hPrev, i * hidden, hnl,
                            row * hidden, out, hOut, j0, j1);
                }
                System.arraycopy(out, hOut + j0, hNext, i * hidden + j0, width);
            }
            stepBarrier.await();
        }
        if (byRows) {
            barrier.await(); // the layer above (and the caller) read every sequence's outputs
        }
    }

    /**
     * {@code C[m][gates of units u0..u1) = bias + A W^T} for {@code m} rows of {@code A} ({@code k}
     * apart) on the gate panels {@code packed}: Gemm's product on float panels; with bf16 or int8
     * weights, a single row on the narrow panels themselves, more on their widened copy {@code wide}
     * (int8: of the integers, scaled by {@code scale} per gate row after the product).
     */
    private void gates(int m, int k, float[] a, int aOff, MemorySegment packed, MemorySegment wide, float[] scale,
                       int u0, int u1, float[] c, int cOff, float[] bias) {
        if (m <= 0) {
            return;
        }
        if (bf16 && m == 1) {
            Bf16.gatesRow(k, a, aOff, packed, gates, hidden, u0, u1, c, cOff, bias);
        } else if (int8 && m == 1) {
            Int8.gatesRow(k, a, aOff, packed, scale, gates, hidden, u0, u1, c, cOff, bias);
        } else if (int8) {
            Gemm.gatesUnchecked(m, k, a, aOff, k, 1, wide, gates, hidden, u0, u1, c, cOff, gateWidth, null, false);
            Int8.scaleRows(m, c, cOff, gateWidth, scale, bias, gates, hidden, u0, u1);
        } else {
            Gemm.gatesUnchecked(m, k, a, aOff, k, 1, bf16 ? wide : packed, gates, hidden, u0, u1, c, cOff, gateWidth,
                    bias, false);
        }
    }

    /** Widens panels {@code [q0, q1)} ({@code k} rows each) of bf16 or int8 panels into the float panels {@code dst}. */
    private void widen(MemorySegment narrowPanels, int k, int q0, int q1, MemorySegment dst) {
        if (bf16) {
            Bf16.widen(narrowPanels, k, q0, q1, dst);
        } else {
            Int8.widen(narrowPanels, k, q0, q1, dst);
        }
    }

    /**
     * The first of {@code count} rows (or sequences) of part {@code part} of {@code parts}, in whole
     * register tiles, so that a row goes through the same kernel whatever the split; the last part
     * ends at {@code count}.
     */
    private static int rowStart(int count, int part, int parts) {
        return part == parts ? count : Math.min(count, cut((count + Gemm.TILE - 1) / Gemm.TILE, part, parts) * Gemm.TILE);
    }

    /** Gathers h_n (and c_n) from each sequence's own last step of each layer and direction. */
    private void finalStates(Work w) {
        for (int l = 0; l < layers; l++) {
            for (int dir = 0; dir < dirs; dir++) {
                int state = (l * dirs + dir) * w.batch * hidden;
                for (int i = 0; i < w.batch; i++) {
                    int tLast = dir == 0 ? w.lenS[i] - 1 : 0, row = w.offset[tLast] + i;
                    System.arraycopy(w.out[l], row * outWidth + dir * hidden, w.hn, state + i * hidden, hidden);
                    if (cell == CellKind.LSTM) {
                        System.arraycopy(w.cs[l][dir], row * hidden, w.cn, state + i * hidden, hidden);
                    }
                }
            }
        }
    }

    // ================================================================== backward

    @Override
    protected void backwardChecked(RnnBackward g, Workspace workspace) {
        Work w = (Work) workspace;
        w.allocateBackward();
        for (int dir = 0; dir < dirs; dir++) {
            sequenceIn(w, g.diffDstLayer(), dir * h, h, w.dTop, dir * hidden, outWidth);
        }
        w.hasDhn = g.diffDstIter() != null;
        w.hasDcn = g.diffDstIterC() != null;
        if (w.hasDhn) {
            stateIn(w, g.diffDstIter(), w.dhn);
        }
        if (w.hasDcn) {
            stateIn(w, g.diffDstIterC(), w.dcn);
        }
        w.backward = true;
        runTimed(w, backwardThreads);
        if (g.diffSrcLayer() != null) {
            sequenceOut(w, w.dIn[0], 0, weights[0][0].in(), g.diffSrcLayer(), 0, input, true);
        }
        if (g.diffSrcIter() != null) {
            stateOut(w, w.dh0, g.diffSrcIter());
        }
        if (g.diffSrcIterC() != null) {
            stateOut(w, w.dc0, g.diffSrcIterC());
        }
        if (g.diffWeights() != null) {
            for (int l = 0; l < layers; l++) {
                for (int dir = 0; dir < dirs; dir++) {
                    for (Param p : PARAMS) {
                        accumulateGradient(w, l, p, w.dW[l][dir][p.ordinal()], g.diffWeights().get(p, l, dir));
                    }
                }
            }
        }
    }

    /** {@code into += dw}, mapping padded rows and columns back to PyTorch's. */
    private void accumulateGradient(Work w, int l, Param p, float[] dw, FloatTensor into) {
        int cols = p == Param.WEIGHT_IH ? weights[l][0].in() : p == Param.WEIGHT_HH ? hidden : 1;
        int userCols = p == Param.WEIGHT_IH ? (l == 0 ? input : dirs * h) : p == Param.WEIGHT_HH ? h : 1;
        if (h == hidden && cols == userCols && into.isContiguous()) { // no padding: the same layout, added in place
            MemorySegment seg = into.segment();
            long at = into.offset() * Float.BYTES;
            int n = gateWidth * cols, j = 0;
            for (; j + SimdSpecies.LANES <= n; j += SimdSpecies.LANES, at += SimdSpecies.LANES * Float.BYTES) {
                FloatVector.fromMemorySegment(SimdSpecies.FLOAT, seg, at, NATIVE)
                        .add(FloatVector.fromArray(SimdSpecies.FLOAT, dw, j)).intoMemorySegment(seg, at, NATIVE);
            }
            for (; j < n; j++, at += Float.BYTES) {
                seg.set(FloatTensor.ELEMENT, at, seg.get(FloatTensor.ELEMENT, at) + dw[j]);
            }
            return;
        }
        float[] user = w.scratch;
        into.copyTo(user, 0);
        for (int r = 0; r < gateWidth; r++) {
            int ur = unpad(r);
            if (ur < 0) {
                continue;
            }
            for (int c = 0; c < cols; c++) {
                int uc = p == Param.WEIGHT_IH ? inputColumn(l, c) : c < userCols ? c : -1;
                if (uc >= 0) {
                    user[ur * userCols + uc] += dw[r * cols + c];
                }
            }
        }
        into.copyFrom(user, 0);
    }

    private void backwardTask(Work w, int worker, int parties, WorkerPool.Barrier barrier) {
        boolean byDirection = dirs == 2 && parties == 2;
        for (int l = layers - 1; l >= 0; l--) {
            if (byDirection) {
                backwardLayer(w, l, worker, 0, 1, WorkerPool.Barrier.NONE);
            } else {
                for (int dir = 0; dir < dirs; dir++) {
                    backwardLayer(w, l, dir, worker, parties, barrier);
                }
            }
            barrier.await(); // every direction's gate gradients and input gradients are complete
            if (dirs == 2) { // dL/d(layer input) = the sum over directions, the rows split between the parties
                int in = weights[l][0].in(), rows = w.rows;
                int from = cut(rows, worker, parties) * in, to = cut(rows, worker + 1, parties) * in;
                float[] d0 = w.dxDir[0], d1 = w.dxDir[1], into = w.dIn[l];
                for (int i = from; i < to; i++) {
                    into[i] = d0[i] + d1[i];
                }
            }
            barrier.await(); // the layer below reads dIn[l]; the gate gradients are reused
        }
    }

    private void backwardLayer(Work w, int l, int dir, int part, int parts, WorkerPool.Barrier barrier) {
        Weights wt = weights[l][dir];
        int in = wt.in(), rows = w.rows, batch = w.batch;
        boolean byRows = w.byRows && parts > 1; // as in forwardLayer
        int pu0 = cut(unitBlocks, part, parts), pu1 = cut(unitBlocks, part + 1, parts); // packing, weight gradients
        int u0 = byRows ? 0 : pu0, u1 = byRows ? unitBlocks : pu1;
        int i0 = byRows ? rowStart(batch, part, parts) : 0, i1 = byRows ? rowStart(batch, part + 1, parts) : batch;
        WorkerPool.Barrier stepBarrier = byRows ? WorkerPool.Barrier.NONE : barrier;
        int j0 = u0 * PANEL, j1 = u1 * PANEL, width = j1 - j0;
        float[] x = l == 0 ? w.x : w.out[l - 1], out = w.out[l], gatesAct = w.gx[l][dir];
        float[] dy = l == layers - 1 ? w.dTop : w.dIn[l + 1];
        float[] dgx = w.dgx[dir], dgh = cell == CellKind.GRU ? w.dgh[dir] : dgx;
        float[] dh = w.dhRun[dir], dc = w.dcRun[dir], cs = w.cs[l][dir], hnl = w.hnl[l][dir];
        int[] offset = w.offset, active = w.active, len = w.lenS;
        int state = (l * dirs + dir) * batch * hidden;
        // the gate gradients of all rows are in panel layout (see Cells.at): a row's gates are scattered
        // over the column panels, each panel's rows contiguous, as the weight gradients' products read them;
        // the cells also write the step's rows row-major into one of two step buffers (a party may start
        // the next step while another still reads this one), for the step's products dh and dx
        int dgPanel = w.dgPanel, dgGate = unitBlocks * dgPanel, inPanels = Gemm.panels(in);
        float[] dx = dirs == 1 ? w.dIn[l] : w.dxDir[dir], dxStep = w.dxStep[dir];
        for (int i = i0; i < i1; i++) {
            int from = i * hidden + j0;
            if (w.hasDhn) {
                System.arraycopy(w.dhn, state + from, dh, from, width);
            } else {
                Arrays.fill(dh, from, from + width, 0f);
            }
            if (w.hasDcn) {
                System.arraycopy(w.dcn, state + from, dc, from, width);
            } else {
                Arrays.fill(dc, from, from + width, 0f);
            }
        }
        for (int s = w.maxLength - 1; s >= 0; s--) {
            int m = Math.min(active[s], i1) - i0; // this party's sequences running at this step
            if (m <= 0) {
                continue; // (by rows) this party's sequences are all shorter
            }
            float[] stepX = w.dgxStep[dir][s & 1], stepH = cell == CellKind.GRU ? w.dghStep[dir][s & 1] : stepX;
            for (int i = i0, end = i0 + m; i < end; i++) {
                int t = dir == 0 ? s : len[i] - 1 - s, tPrev = dir == 0 ? t - 1 : t + 1;
                int row = offset[t] + i, gRow = row * gateWidth, dgRow = row * PANEL, stepRow = i * gateWidth;
                int dyOff = row * outWidth + dir * hidden;
                switch (cell) {
                    case RNN_TANH, RNN_RELU -> Cells.rnnBackward(cell == CellKind.RNN_RELU, dy, dyOff, dh, i * hidden,
                            gatesAct, gRow, dgx, dgRow, dgPanel, stepX, stepRow, j0, j1);
                    case LSTM -> {
                        float[] cSrc = s == 0 ? w.c0 : cs;
                        int cPrev = s == 0 ? state + i * hidden : (offset[tPrev] + i) * hidden;
                        Cells.lstmBackward(hidden, dy, dyOff, dh, i * hidden, dc, i * hidden, gatesAct, gRow, cs,
                                row * hidden, cSrc, cPrev, dgx, dgRow, dgGate, dgPanel, stepX, stepRow, j0, j1);
                    }
                    case GRU -> {
                        float[] hSrc = s == 0 ? w.h0 : out;
                        int hPrev = s == 0 ? state + i * hidden : (offset[tPrev] + i) * outWidth + dir * hidden;
                        Cells.gruBackward(hidden, dy, dyOff, dh, i * hidden, gatesAct, gRow, hnl, row * hidden, hSrc,
                                hPrev, dgx, dgh, dgRow, dgGate, dgPanel, stepX, stepH, stepRow, j0, j1);
                    }
                }
            }
            stepBarrier.await(); // (by units) the step's gate gradients, all units, before its products
            // dh_{t-1} = dG_h W_hh for this party's units and sequences: rows past m (sequences not started
            // yet) are computed on stale rows, so into scratch unless there are none; GRU adds to its
            // direct part dh z, as the kernel's accumulate would; the other cells overwrite
            int tiled = tile(m);
            boolean direct = cell != CellKind.GRU && tiled == m;
            float[] product = direct ? dh : w.dhProduct[dir];
            Gemm.gemmUnchecked(tiled, gateWidth, stepH, i0 * gateWidth, gateWidth, 1, wt.whh(), u0, u1, product,
                    i0 * hidden, hidden, false);
            if (!direct) {
                for (int i = i0, end = i0 + m; i < end; i++) {
                    int at = i * hidden;
                    if (cell == CellKind.GRU) {
                        for (int j = j0; j < j1; j++) {
                            dh[at + j] += product[at + j];
                        }
                    } else {
                        System.arraycopy(product, at + j0, dh, at + j0, width);
                    }
                }
            }
            // dx_t = dG_x W_ih for this party's rows of the step (whole tiles), then each real row to its place
            int d0 = i0, d1 = i0 + tiled;
            if (!byRows) {
                int tiles = tiled / Gemm.TILE;
                d0 = cut(tiles, part, parts) * Gemm.TILE;
                d1 = cut(tiles, part + 1, parts) * Gemm.TILE;
            }
            if (d1 > d0) {
                Gemm.gemmUnchecked(d1 - d0, gateWidth, stepX, d0 * gateWidth, gateWidth, 1, wt.wih(), 0, inPanels,
                        dxStep, d0 * in, in, false);
                for (int i = d0, end = Math.min(d1, i0 + m); i < end; i++) {
                    int t = dir == 0 ? s : len[i] - 1 - s;
                    System.arraycopy(dxStep, i * in, dx, (offset[t] + i) * in, in);
                }
            }
        }
        for (int i = i0; i < i1; i++) {
            int from = i * hidden + j0;
            System.arraycopy(dh, from, w.dh0, state + from, width);
            System.arraycopy(dc, from, w.dc0, state + from, width);
        }
        barrier.await(); // all gate gradients of this direction, before the weight gradients

        // dW_ih = dG_x^T X and dW_hh = dG_h^T H_{t-1}: the parties pack the panels of X and H_{t-1}
        // together, then each computes the gate panels of its own units (the gate gradients it
        // wrote, still in its caches) from all of them
        float[][] dW = w.dW[l][dir];
        int pIn0 = cut(Gemm.panels(in), part, parts), pIn1 = cut(Gemm.panels(in), part + 1, parts);
        packRows(x, 0, in, rows, pIn0, pIn1, w.packX[dir]);
        packPreviousStates(w, l, dir, pu0, pu1);
        barrier.await();
        float[] dWih = dW[Param.WEIGHT_IH.ordinal()], dWhh = dW[Param.WEIGHT_HH.ordinal()];
        float[] dBih = dW[Param.BIAS_IH.ordinal()], dBhh = dW[Param.BIAS_HH.ordinal()];
        for (int gate = 0; gate < gates; gate++) {
            for (int u = pu0; u < pu1; u++) {
                int p = gate * unitBlocks + u, col = p * PANEL;
                Gemm.gemmUnchecked(PANEL, rows, dgx, p * dgPanel, 1, PANEL, w.packX[dir], 0, Gemm.panels(in), dWih,
                        col * in, in, false);
                Gemm.gemmUnchecked(PANEL, rows, dgh, p * dgPanel, 1, PANEL, w.packH[dir], 0, unitBlocks, dWhh,
                        col * hidden, hidden, false);
                columnSums(dgx, p * dgPanel, rows, dBih, col);
                if (dgh == dgx) {
                    System.arraycopy(dBih, col, dBhh, col, PANEL);
                } else {
                    columnSums(dgh, p * dgPanel, rows, dBhh, col);
                }
            }
        }
    }

    /** Packs panels {@code [p0, p1)} of the row-major {@code rows x cols} matrix at {@code src} ({@code cols} padded: whole panels). */
    private static void packRows(float[] src, int off, int ld, int rows, int p0, int p1, MemorySegment dst) {
        for (int p = p0; p < p1; p++) {
            int c0 = p * PANEL, base = p * rows * PANEL;
            for (int r = 0; r < rows; r++) {
                packRow(src, off + r * ld + c0, dst, base + r * PANEL);
            }
        }
    }

    /** {@code PANEL} floats into a packed row at float index {@code at}: two vectors (a copy call per row costs more). */
    private static void packRow(float[] src, int from, MemorySegment dst, long at) {
        long bytes = at * Float.BYTES;
        FloatVector.fromArray(SimdSpecies.FLOAT, src, from).intoMemorySegment(dst, bytes, NATIVE);
        FloatVector.fromArray(SimdSpecies.FLOAT, src, from + SimdSpecies.LANES)
                .intoMemorySegment(dst, bytes + (long) SimdSpecies.LANES * Float.BYTES, NATIVE);
    }

    private static final java.nio.ByteOrder NATIVE = java.nio.ByteOrder.nativeOrder();

    /** Packs panels {@code [p0, p1)} of {@code H_{t-1}}: row {@code (t, i)} is the state the step at {@code t} started from. */
    private void packPreviousStates(Work w, int l, int dir, int p0, int p1) {
        int rows = w.rows, state = (l * dirs + dir) * w.batch * hidden;
        MemorySegment dst = w.packH[dir];
        for (int p = p0; p < p1; p++) {
            int c0 = p * PANEL, base = p * rows * PANEL;
            for (int t = 0; t < w.steps; t++) {
                for (int i = 0, m = w.active[t]; i < m; i++) {
                    boolean first = dir == 0 ? t == 0 : t == w.lenS[i] - 1;
                    int tPrev = dir == 0 ? t - 1 : t + 1;
                    int at = base + (w.offset[t] + i) * PANEL;
                    if (first) {
                        packRow(w.h0, state + i * hidden + c0, dst, at);
                    } else {
                        packRow(w.out[l], (w.offset[tPrev] + i) * outWidth + dir * hidden + c0, dst, at);
                    }
                }
            }
        }
    }

    /** {@code into[col .. col + PANEL)} = the sums over {@code rows} rows of the column panel of {@code m} at {@code base}. */
    private static void columnSums(float[] m, int base, int rows, float[] into, int col) {
        FloatVector s0 = FloatVector.zero(SimdSpecies.FLOAT), s1 = s0;
        for (int r = 0, at = base; r < rows; r++, at += PANEL) {
            // lanewise, not add, on loop-carried vectors: see SimdDense.softmaxRow
            s0 = s0.lanewise(VectorOperators.ADD, FloatVector.fromArray(SimdSpecies.FLOAT, m, at));
            s1 = s1.lanewise(VectorOperators.ADD, FloatVector.fromArray(SimdSpecies.FLOAT, m, at + SimdSpecies.LANES));
        }
        s0.intoArray(into, col);
        s1.intoArray(into, col + SimdSpecies.LANES);
    }

    // ================================================================== workspace

    /**
     * One caller's buffers, grown to the largest problem seen ({@code rowCapacity} rows of
     * {@code T * N}, {@code batchCapacity} sequences, {@code stepCapacity} steps); also the pool
     * task, so that a call allocates nothing.
     */
    private static final class Work extends Workspace implements WorkerPool.Task {
        private final SimdRnn rnn;
        int rowCapacity, batchCapacity, stepCapacity, backwardRows, backwardBatch;
        float[] x, h0, c0, hn, cn;
        float[][] out, gh;
        float[][][] gx, cs, hnl, hState;
        boolean backward;
        /** This call's split between parties: by sequences (rows) rather than by hidden units. */
        boolean byRows;

        // the call's problem: sequences sorted by length, longest first, and the packed layout
        int steps, batch, rows, maxLength;
        boolean variable;
        /** perm[i]: the caller's sequence at sorted position i; lenS[i] its length. */
        int[] perm, lenS, active, offset, count;

        // backward, allocated on first use
        float[] dTop, dhn, dcn, dh0, dc0, scratch;
        /** Floats between two column panels of the gate gradients ({@code dgx}, {@code dgh}: panel layout). */
        int dgPanel;
        float[][] dIn, dgx, dgh, dhRun, dcRun, dhProduct, dxStep, dxDir;
        /** Per direction, two step buffers of one step's gate gradients, row-major. */
        float[][][] dgxStep, dghStep;
        MemorySegment[] packX, packH;
        /** Native memory of the packed runtime operands; shared, since the pool's threads fill it. */
        private Arena arena;
        /** With bf16 or int8 weights, per direction: float copies of a layer's gate panels (see {@link SimdRnn#gates}); allocated once. */
        MemorySegment[] wideIh, wideHh;
        private Arena wideArena;
        float[][][][] dW;
        boolean hasDhn, hasDcn;

        Work(SimdRnn r) {
            super(r);
            this.rnn = r;
        }

        /** Sorts this call's sequences by length and lays out its packed rows; grows the buffers if needed. */
        void plan() {
            steps = steps();
            batch = batch();
            grow(steps, batch);
            variable = variableLengths();
            if (!variable) {
                for (int i = 0; i < batch; i++) {
                    perm[i] = i;
                    lenS[i] = steps;
                }
            } else { // stable counting sort, longest first
                Arrays.fill(count, 0, steps + 1, 0);
                for (int n = 0; n < batch; n++) {
                    count[length(n)]++;
                }
                for (int length = steps, position = 0; length >= 1; length--) {
                    int c = count[length];
                    count[length] = position;
                    position += c;
                }
                for (int n = 0; n < batch; n++) {
                    int i = count[length(n)]++;
                    perm[i] = n;
                    lenS[i] = length(n);
                }
            }
            maxLength = lenS[0];
            offset[0] = 0;
            for (int t = 0, i = batch; t < steps; t++) {
                while (i > 0 && lenS[i - 1] <= t) {
                    i--;
                }
                active[t] = i;
                offset[t + 1] = offset[t] + i;
            }
            rows = offset[steps];
        }

        private void grow(int steps, int batch) {
            SimdRnn r = rnn;
            if (steps > stepCapacity || batch > batchCapacity) {
                stepCapacity = Math.max(steps, stepCapacity);
                batchCapacity = Math.max(batch, batchCapacity);
                perm = new int[batchCapacity];
                lenS = new int[batchCapacity];
                active = new int[stepCapacity];
                offset = new int[stepCapacity + 1];
                count = new int[stepCapacity + 1];
                int states = r.layers * r.dirs * batchCapacity * r.hidden;
                h0 = new float[states];
                c0 = new float[states];
                hn = new float[states];
                cn = new float[states];
                gh = new float[r.dirs][tile(batchCapacity) * r.gateWidth];
                hState = new float[r.dirs][2][tile(batchCapacity) * r.hidden];
            }
            if ((long) steps * batch > rowCapacity) {
                rowCapacity = steps * batch;
                int rowsCap = rowCapacity;
                x = new float[rowsCap * r.weights[0][0].in()]; // padding columns stay zero
                out = new float[r.layers][rowsCap * r.outWidth];
                gx = new float[r.layers][r.dirs][];
                cs = new float[r.layers][r.dirs][];
                hnl = new float[r.layers][r.dirs][];
                for (int l = 0; l < r.layers; l++) {
                    for (int dir = 0; dir < r.dirs; dir++) {
                        gx[l][dir] = new float[rowsCap * r.gateWidth];
                        cs[l][dir] = r.cell == CellKind.LSTM ? new float[rowsCap * r.hidden] : null;
                        hnl[l][dir] = r.cell == CellKind.GRU ? new float[rowsCap * r.hidden] : null;
                    }
                }
            }
        }

        void allocateBackward() {
            SimdRnn r = rnn;
            if (dW == null) { // sizes that do not depend on the problem
                int maxWeight = 0;
                dW = new float[r.layers][r.dirs][4][];
                for (int l = 0; l < r.layers; l++) {
                    int in = r.weights[l][0].in();
                    for (int dir = 0; dir < r.dirs; dir++) {
                        dW[l][dir][Param.WEIGHT_IH.ordinal()] = new float[r.gateWidth * in];
                        dW[l][dir][Param.WEIGHT_HH.ordinal()] = new float[r.gateWidth * r.hidden];
                        dW[l][dir][Param.BIAS_IH.ordinal()] = new float[r.gateWidth];
                        dW[l][dir][Param.BIAS_HH.ordinal()] = new float[r.gateWidth];
                        maxWeight = Math.max(maxWeight, r.gateWidth * Math.max(in, r.hidden));
                    }
                }
                scratch = new float[maxWeight]; // holds one user-shaped gradient, which is smaller than the padded one
            }
            if (backwardBatch < batchCapacity) {
                backwardBatch = batchCapacity;
                int states = h0.length;
                dhn = new float[states];
                dcn = new float[states];
                dh0 = new float[states];
                dc0 = new float[states];
                dhRun = new float[r.dirs][backwardBatch * r.hidden];
                dcRun = new float[r.dirs][backwardBatch * r.hidden];
                dgxStep = new float[r.dirs][2][tile(backwardBatch) * r.gateWidth];
                dghStep = r.cell == CellKind.GRU ? new float[r.dirs][2][tile(backwardBatch) * r.gateWidth] : dgxStep;
                dhProduct = new float[r.dirs][tile(backwardBatch) * r.hidden];
                int maxIn = 0;
                for (int l = 0; l < r.layers; l++) {
                    maxIn = Math.max(maxIn, r.weights[l][0].in());
                }
                dxStep = new float[r.dirs][tile(backwardBatch) * maxIn];
            }
            if (backwardRows < rowCapacity) {
                backwardRows = rowCapacity;
                int rowsCap = backwardRows, maxIn = 0;
                dTop = new float[rowsCap * r.outWidth];
                dIn = new float[r.layers][];
                for (int l = 0; l < r.layers; l++) {
                    int in = r.weights[l][0].in();
                    maxIn = Math.max(maxIn, in);
                    dIn[l] = new float[rowsCap * in];
                }
                dxDir = r.dirs == 1 ? null : new float[r.dirs][rowsCap * maxIn];
                dgPanel = rowsCap * PANEL;
                dgx = new float[r.dirs][r.gateWidth / PANEL * dgPanel];
                dgh = r.cell == CellKind.GRU ? new float[r.dirs][r.gateWidth / PANEL * dgPanel] : dgx;
                if (arena != null) {
                    arena.close();
                }
                arena = Arena.ofShared();
                packX = new MemorySegment[r.dirs];
                packH = new MemorySegment[r.dirs];
                for (int dir = 0; dir < r.dirs; dir++) {
                    packX[dir] = Gemm.aligned(arena, Gemm.packedSize(rowsCap, maxIn));
                    packH[dir] = Gemm.aligned(arena, Gemm.packedSize(rowsCap, r.hidden));
                }
            }
        }

        /** The float copies of bf16 or int8 panels: every layer's fit (sizes do not depend on the problem). */
        void allocateWide() {
            if (wideArena != null) {
                return;
            }
            SimdRnn r = rnn;
            int maxIn = 0;
            for (int l = 0; l < r.layers; l++) {
                maxIn = Math.max(maxIn, r.weights[l][0].in());
            }
            wideArena = Arena.ofShared();
            wideIh = new MemorySegment[r.dirs];
            wideHh = new MemorySegment[r.dirs];
            for (int dir = 0; dir < r.dirs; dir++) {
                wideIh[dir] = Gemm.aligned(wideArena, r.gateWidth * maxIn);
                wideHh[dir] = Gemm.aligned(wideArena, r.gateWidth * r.hidden);
            }
        }

        @Override
        protected void release() {
            if (arena != null) {
                arena.close();
            }
            if (wideArena != null) {
                wideArena.close();
            }
        }

        @Override
        public void run(int worker, int parties, WorkerPool.Barrier barrier) {
            if (backward) {
                rnn.backwardTask(this, worker, parties, barrier);
            } else {
                rnn.forwardTask(this, worker, parties, barrier);
            }
        }
    }
}
