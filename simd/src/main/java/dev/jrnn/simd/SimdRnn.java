package dev.jrnn.simd;

import static dev.jrnn.simd.SimdSpecies.PANEL;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
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
 */
final class SimdRnn extends PreparedRnn {

    static final String NAME = "simd";

    /**
     * Per-step multiply-adds of the recurrent product below which a unidirectional stack runs on
     * one thread: a step must outweigh the cost of a barrier (a few microseconds). Measured with
     * {@code LayerBench}: see bench/RESULTS.md.
     */
    static final long MIN_PARALLEL_MACS_PER_STEP = 150_000;

    private static final Param[] PARAMS = Param.values(); // values() copies the array on every call

    private final CellKind cell;
    /** hidden: the padded H; gateWidth: G * hidden; outWidth: D * hidden; the user's sizes are h and input. */
    private final int steps, batch, h, input, hidden, dirs, layers, gates, gateWidth, outWidth, unitBlocks;
    private final Weights[][] weights;
    private final WorkerPool pool;
    private final int parties;
    private final Adaptive forwardThreads, backwardThreads;
    /** The packed weights' native memory; shared, since the pool's threads read it. Closed by {@link #close()}. */
    private final Arena arena = Arena.ofShared();

    /** One layer and direction, packed; {@code in} is the padded input width. */
    private record Weights(int in, MemorySegment wihT, MemorySegment whhT, float[] bias, float[] bhn,
                           MemorySegment wih, MemorySegment whh) {
    }

    private static int pad(int n) {
        return Gemm.panels(n) * PANEL;
    }

    SimdRnn(RnnDescriptor d, RnnWeights w, WorkerPool pool, int threads) {
        super(NAME, d);
        this.cell = d.cell();
        this.steps = d.steps();
        this.batch = d.batch();
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
                weights[l][dir] = pack(l, w, dir);
            }
        }
        this.parties = chooseParties(Math.min(threads, pool.maxParties()));
        this.forwardThreads = new Adaptive(parties);
        this.backwardThreads = new Adaptive(parties);
    }

    private int chooseParties(int threads) {
        if (threads < 2) {
            return 1;
        }
        if (dirs == 2) {
            return 2;
        }
        long macsPerStep = (long) batch * gateWidth * hidden;
        return unitBlocks >= 2 && macsPerStep >= MIN_PARALLEL_MACS_PER_STEP ? Math.min(threads, unitBlocks) : 1;
    }

    /** Threads one call is planned to use (fewer when they prove slower: {@link Adaptive}). */
    int parties() {
        return parties;
    }

    private void runTimed(Work w, Adaptive threads) {
        int p = threads.next();
        long start = System.nanoTime();
        pool.run(w, p);
        threads.record(p, System.nanoTime() - start);
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

    private Weights pack(int l, RnnWeights w, int dir) {
        int in = l == 0 ? pad(input) : outWidth, inUser = l == 0 ? input : dirs * h;
        float[] wih = w.get(Param.WEIGHT_IH, l, dir).toArray();
        float[] whh = w.get(Param.WEIGHT_HH, l, dir).toArray();
        float[] bih = w.get(Param.BIAS_IH, l, dir).toArray();
        float[] bhh = w.get(Param.BIAS_HH, l, dir).toArray();
        // padded copies: [G*Hp][in] and [G*Hp][Hp]
        float[] wihP = new float[gateWidth * in], whhP = new float[gateWidth * hidden];
        float[] bias = new float[gateWidth], bhn = cell == CellKind.GRU ? new float[hidden] : null;
        for (int r = 0; r < gateWidth; r++) {
            int user = unpad(r);
            if (user < 0) {
                continue;
            }
            for (int c = 0; c < in; c++) {
                int uc = inputColumn(l, c);
                wihP[r * in + c] = uc < 0 ? 0f : wih[user * inUser + uc];
            }
            System.arraycopy(whh, user * h, whhP, r * hidden, h);
            // b_hh folds into the input projection, except GRU's b_hn, which the reset gate multiplies
            boolean resetScaled = cell == CellKind.GRU && r >= 2 * hidden;
            bias[r] = bih[user] + (resetScaled ? 0f : bhh[user]);
            if (resetScaled) {
                bhn[r - 2 * hidden] = bhh[user];
            }
        }
        float[] wihT = new float[gateWidth * in], whhT = new float[gateWidth * hidden];
        Gemm.packGatesTransposed(wihP, gates, hidden, in, wihT);
        Gemm.packGatesTransposed(whhP, gates, hidden, hidden, whhT);
        float[] wihPacked = new float[Gemm.packedSize(gateWidth, in)];
        Gemm.packUnchecked(gateWidth, in, wihP, 0, in, wihPacked, 0);
        float[] whhPacked = new float[Gemm.packedSize(gateWidth, hidden)];
        Gemm.packUnchecked(gateWidth, hidden, whhP, 0, hidden, whhPacked, 0);
        return new Weights(in, Gemm.aligned(arena, wihT), Gemm.aligned(arena, whhT), bias, bhn,
                Gemm.aligned(arena, wihPacked), Gemm.aligned(arena, whhPacked));
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

    // ================================================================== forward

    @Override
    protected void forwardChecked(Mode mode, RnnForward io, Workspace workspace) {
        Work w = (Work) workspace;
        io.srcLayer().copyRowsTo(0, input, w.x, 0, w.x.length / (steps * batch));
        copyStateIn(io.srcIter(), w.h0);
        copyStateIn(io.srcIterC(), w.c0);
        w.backward = false;
        runTimed(w, forwardThreads);
        copySequenceOut(w.out[layers - 1], io.dstLayer());
        if (io.dstIter() != null || io.dstIterC() != null) {
            finalStates(w);
            if (io.dstIter() != null) {
                io.dstIter().copyRowsFrom(w.hn, 0, hidden, 0, h);
            }
            if (io.dstIterC() != null) {
                io.dstIterC().copyRowsFrom(w.cn, 0, hidden, 0, h);
            }
        }
    }

    /** A {@code [L*D, N, H]} tensor into padded rows of {@code Hp}; zeros when absent. */
    private void copyStateIn(FloatTensor t, float[] into) {
        if (t == null) {
            Arrays.fill(into, 0f);
        } else {
            t.copyRowsTo(0, h, into, 0, hidden);
        }
    }

    /** A {@code [T, N, D*H]} tensor into padded rows of {@code D * Hp}, direction by direction. */
    private void copySequenceIn(FloatTensor t, float[] into) {
        for (int dir = 0; dir < dirs; dir++) {
            t.copyRowsTo(dir * h, dir * h + h, into, dir * hidden, outWidth);
        }
    }

    private void copySequenceOut(float[] from, FloatTensor t) {
        for (int dir = 0; dir < dirs; dir++) {
            t.copyRowsFrom(from, dir * hidden, outWidth, dir * h, dir * h + h);
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
        int in = wt.in(), rows = steps * batch;
        int u0 = cut(unitBlocks, part, parts), u1 = cut(unitBlocks, part + 1, parts);
        int j0 = u0 * PANEL, j1 = u1 * PANEL;
        float[] x = l == 0 ? w.x : w.out[l - 1], out = w.out[l], gx = w.gx[l][dir], gh = w.gh[dir];
        float[] cs = w.cs[l][dir], hnl = w.hnl[l][dir];
        int state = (l * dirs + dir) * batch * hidden;
        Gemm.gatesUnchecked(rows, in, x, 0, in, 1, wt.wihT(), gates, hidden, u0, u1, gx, 0, gateWidth, wt.bias(), false);
        for (int s = 0; s < steps; s++) {
            int t = dir == 0 ? s : steps - 1 - s, tPrev = dir == 0 ? t - 1 : t + 1;
            float[] hSrc = s == 0 ? w.h0 : out;
            int hOff = s == 0 ? state : tPrev * batch * outWidth + dir * hidden, hStride = s == 0 ? hidden : outWidth;
            Gemm.gatesUnchecked(batch, hidden, hSrc, hOff, hStride, 1, wt.whhT(), gates, hidden, u0, u1, gh, 0,
                    gateWidth, null, false);
            for (int n = 0; n < batch; n++) {
                int row = t * batch + n, gxRow = row * gateWidth, ghRow = n * gateWidth;
                int hOut = row * outWidth + dir * hidden, hPrev = hOff + n * hStride;
                switch (cell) {
                    case RNN_TANH, RNN_RELU -> Cells.rnnForward(cell == CellKind.RNN_RELU, gx, gxRow, gh, ghRow, out,
                            hOut, j0, j1);
                    case LSTM -> {
                        float[] cSrc = s == 0 ? w.c0 : cs;
                        int cPrev = s == 0 ? state + n * hidden : (tPrev * batch + n) * hidden;
                        Cells.lstmForward(hidden, gx, gxRow, gh, ghRow, cSrc, cPrev, cs, row * hidden, out, hOut, j0, j1);
                    }
                    case GRU -> Cells.gruForward(hidden, gx, gxRow, gh, ghRow, wt.bhn(), hSrc, hPrev, hnl,
                            row * hidden, out, hOut, j0, j1);
                }
            }
            barrier.await();
        }
    }

    /** Gathers h_n (and c_n) from the last step of each layer and direction. */
    private void finalStates(Work w) {
        for (int l = 0; l < layers; l++) {
            for (int dir = 0; dir < dirs; dir++) {
                int tLast = dir == 0 ? steps - 1 : 0, state = (l * dirs + dir) * batch * hidden;
                for (int n = 0; n < batch; n++) {
                    int row = tLast * batch + n;
                    System.arraycopy(w.out[l], row * outWidth + dir * hidden, w.hn, state + n * hidden, hidden);
                    if (cell == CellKind.LSTM) {
                        System.arraycopy(w.cs[l][dir], row * hidden, w.cn, state + n * hidden, hidden);
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
        copySequenceIn(g.diffDstLayer(), w.dTop);
        w.hasDhn = g.diffDstIter() != null;
        w.hasDcn = g.diffDstIterC() != null;
        if (w.hasDhn) {
            g.diffDstIter().copyRowsTo(0, h, w.dhn, 0, hidden);
        }
        if (w.hasDcn) {
            g.diffDstIterC().copyRowsTo(0, h, w.dcn, 0, hidden);
        }
        w.backward = true;
        runTimed(w, backwardThreads);
        if (g.diffSrcLayer() != null) {
            g.diffSrcLayer().copyRowsFrom(w.dIn[0], 0, weights[0][0].in(), 0, input);
        }
        if (g.diffSrcIter() != null) {
            g.diffSrcIter().copyRowsFrom(w.dh0, 0, hidden, 0, h);
        }
        if (g.diffSrcIterC() != null) {
            g.diffSrcIterC().copyRowsFrom(w.dc0, 0, hidden, 0, h);
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
        float[] user = w.scratch;
        into.copyTo(user, 0);
        int cols = p == Param.WEIGHT_IH ? weights[l][0].in() : p == Param.WEIGHT_HH ? hidden : 1;
        int userCols = p == Param.WEIGHT_IH ? (l == 0 ? input : dirs * h) : p == Param.WEIGHT_HH ? h : 1;
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
            barrier.await(); // every direction's gate gradients are complete
            int in = weights[l][0].in(), rows = steps * batch;
            int p0 = cut(Gemm.panels(in), worker, parties), p1 = cut(Gemm.panels(in), worker + 1, parties);
            for (int dir = 0; dir < dirs; dir++) { // dL/d(layer input) = sum over directions of dG_x W_ih
                Gemm.gemmUnchecked(rows, gateWidth, w.dgx[dir], 0, gateWidth, 1, weights[l][dir].wih(), p0, p1,
                        w.dIn[l], 0, in, dir > 0);
            }
            barrier.await(); // the layer below reads dIn[l]; dgx is reused
        }
    }

    private void backwardLayer(Work w, int l, int dir, int part, int parts, WorkerPool.Barrier barrier) {
        Weights wt = weights[l][dir];
        int in = wt.in(), rows = steps * batch;
        int u0 = cut(unitBlocks, part, parts), u1 = cut(unitBlocks, part + 1, parts);
        int j0 = u0 * PANEL, j1 = u1 * PANEL;
        float[] x = l == 0 ? w.x : w.out[l - 1], out = w.out[l], gatesAct = w.gx[l][dir];
        float[] dy = l == layers - 1 ? w.dTop : w.dIn[l + 1];
        float[] dgx = w.dgx[dir], dgh = cell == CellKind.GRU ? w.dgh[dir] : dgx;
        float[] dh = w.dhRun[dir], dc = w.dcRun[dir], cs = w.cs[l][dir], hnl = w.hnl[l][dir];
        int state = (l * dirs + dir) * batch * hidden;
        for (int n = 0; n < batch; n++) {
            int from = n * hidden + j0, len = Math.max(0, j1 - j0);
            if (w.hasDhn) {
                System.arraycopy(w.dhn, state + from, dh, from, len);
            } else {
                Arrays.fill(dh, from, from + len, 0f);
            }
            if (w.hasDcn) {
                System.arraycopy(w.dcn, state + from, dc, from, len);
            } else {
                Arrays.fill(dc, from, from + len, 0f);
            }
        }
        for (int s = steps - 1; s >= 0; s--) {
            int t = dir == 0 ? s : steps - 1 - s, tPrev = dir == 0 ? t - 1 : t + 1;
            for (int n = 0; n < batch; n++) {
                int row = t * batch + n, gRow = row * gateWidth, dyOff = row * outWidth + dir * hidden;
                switch (cell) {
                    case RNN_TANH, RNN_RELU -> Cells.rnnBackward(cell == CellKind.RNN_RELU, dy, dyOff, dh, n * hidden,
                            gatesAct, gRow, dgx, gRow, j0, j1);
                    case LSTM -> {
                        float[] cSrc = s == 0 ? w.c0 : cs;
                        int cPrev = s == 0 ? state + n * hidden : (tPrev * batch + n) * hidden;
                        Cells.lstmBackward(hidden, dy, dyOff, dh, n * hidden, dc, n * hidden, gatesAct, gRow, cs,
                                row * hidden, cSrc, cPrev, dgx, gRow, j0, j1);
                    }
                    case GRU -> {
                        float[] hSrc = s == 0 ? w.h0 : out;
                        int hPrev = s == 0 ? state + n * hidden : (tPrev * batch + n) * outWidth + dir * hidden;
                        Cells.gruBackward(hidden, dy, dyOff, dh, n * hidden, gatesAct, gRow, hnl, row * hidden, hSrc,
                                hPrev, dgx, dgh, gRow, j0, j1);
                    }
                }
            }
            barrier.await(); // the step's gate gradients, all units, before dh_{t-1} = dG_h W_hh
            Gemm.gemmUnchecked(batch, gateWidth, dgh, t * batch * gateWidth, gateWidth, 1, wt.whh(), u0, u1,
                    dh, 0, hidden, cell == CellKind.GRU);
        }
        for (int n = 0; n < batch; n++) {
            int from = n * hidden + j0, len = Math.max(0, j1 - j0);
            System.arraycopy(dh, from, w.dh0, state + from, len);
            System.arraycopy(dc, from, w.dc0, state + from, len);
        }
        barrier.await(); // all gate gradients of this direction, before the weight gradients

        float[][] dW = w.dW[l][dir];
        int pIn0 = cut(Gemm.panels(in), part, parts), pIn1 = cut(Gemm.panels(in), part + 1, parts);
        packRows(x, 0, in, in, rows, pIn0, pIn1, w.packX[dir]);
        Gemm.gemmUnchecked(gateWidth, rows, dgx, 0, 1, gateWidth, w.packX[dir], pIn0, pIn1,
                dW[Param.WEIGHT_IH.ordinal()], 0, in, false);
        packPreviousStates(w, l, dir, u0, u1);
        Gemm.gemmUnchecked(gateWidth, rows, dgh, 0, 1, gateWidth, w.packH[dir], u0, u1,
                dW[Param.WEIGHT_HH.ordinal()], 0, hidden, false);
        int c0 = cut(gateWidth, part, parts), c1 = cut(gateWidth, part + 1, parts);
        columnSums(dgx, rows, c0, c1, dW[Param.BIAS_IH.ordinal()]);
        columnSums(dgh, rows, c0, c1, dW[Param.BIAS_HH.ordinal()]);
    }

    /** Packs panels {@code [p0, p1)} of the row-major {@code rows x cols} matrix at {@code src}. */
    private static void packRows(float[] src, int off, int ld, int cols, int rows, int p0, int p1,
                                 MemorySegment dst) {
        for (int p = p0; p < p1; p++) {
            int c0 = p * PANEL, base = p * rows * PANEL;
            for (int r = 0; r < rows; r++) {
                packRow(src, off + r * ld + c0, Math.min(PANEL, cols - c0), dst, base + r * PANEL);
            }
        }
    }

    /** {@code width} floats into a packed row at float index {@code at}, zero-padded to {@code PANEL}. */
    private static void packRow(float[] src, int from, int width, MemorySegment dst, long at) {
        MemorySegment.copy(src, from, dst, ValueLayout.JAVA_FLOAT, at * Float.BYTES, width);
        for (int c = width; c < PANEL; c++) {
            dst.setAtIndex(ValueLayout.JAVA_FLOAT, at + c, 0f);
        }
    }

    /** Packs panels {@code [p0, p1)} of {@code H_{t-1}}: row {@code (t, n)} is the state the step at {@code t} started from. */
    private void packPreviousStates(Work w, int l, int dir, int p0, int p1) {
        int rows = steps * batch, state = (l * dirs + dir) * batch * hidden;
        MemorySegment dst = w.packH[dir];
        for (int p = p0; p < p1; p++) {
            int c0 = p * PANEL, base = p * rows * PANEL;
            for (int t = 0; t < steps; t++) {
                boolean first = dir == 0 ? t == 0 : t == steps - 1;
                int tPrev = dir == 0 ? t - 1 : t + 1;
                for (int n = 0; n < batch; n++) {
                    int at = base + (t * batch + n) * PANEL;
                    if (first) {
                        packRow(w.h0, state + n * hidden + c0, PANEL, dst, at);
                    } else {
                        packRow(w.out[l], (tPrev * batch + n) * outWidth + dir * hidden + c0, PANEL, dst, at);
                    }
                }
            }
        }
    }

    private static void columnSums(float[] m, int rows, int c0, int c1, float[] into) {
        int width = into.length;
        Arrays.fill(into, c0, c1, 0f);
        for (int r = 0; r < rows; r++) {
            int base = r * width;
            for (int c = c0; c < c1; c++) {
                into[c] += m[base + c];
            }
        }
    }

    // ================================================================== workspace

    /** One caller's buffers; also the pool task, so that a call allocates nothing. */
    private static final class Work extends Workspace implements WorkerPool.Task {
        private final SimdRnn rnn;
        final float[] x, h0, c0, hn, cn;
        final float[][] out, gh;
        final float[][][] gx, cs, hnl;
        boolean backward;

        // backward, allocated on first use
        float[] dTop, dhn, dcn, dh0, dc0, scratch;
        float[][] dIn, dgx, dgh, dhRun, dcRun;
        MemorySegment[] packX, packH;
        /** Native memory of the packed runtime operands; shared, since the pool's threads fill it. */
        private Arena arena;
        float[][][][] dW;
        boolean hasDhn, hasDcn;

        Work(SimdRnn r) {
            super(r);
            this.rnn = r;
            int rows = r.steps * r.batch, states = r.layers * r.dirs * r.batch * r.hidden;
            x = new float[rows * r.weights[0][0].in()]; // padding columns stay zero
            h0 = new float[states];
            c0 = new float[states];
            hn = new float[states];
            cn = new float[states];
            out = new float[r.layers][rows * r.outWidth];
            gh = new float[r.dirs][r.batch * r.gateWidth];
            gx = new float[r.layers][r.dirs][];
            cs = new float[r.layers][r.dirs][];
            hnl = new float[r.layers][r.dirs][];
            for (int l = 0; l < r.layers; l++) {
                for (int dir = 0; dir < r.dirs; dir++) {
                    gx[l][dir] = new float[rows * r.gateWidth];
                    cs[l][dir] = r.cell == CellKind.LSTM ? new float[rows * r.hidden] : null;
                    hnl[l][dir] = r.cell == CellKind.GRU ? new float[rows * r.hidden] : null;
                }
            }
        }

        void allocateBackward() {
            if (dTop != null) {
                return;
            }
            SimdRnn r = rnn;
            int rows = r.steps * r.batch, states = h0.length, maxIn = 0, maxWeight = 0;
            dTop = new float[rows * r.outWidth];
            dhn = new float[states];
            dcn = new float[states];
            dh0 = new float[states];
            dc0 = new float[states];
            dIn = new float[r.layers][];
            dW = new float[r.layers][r.dirs][4][];
            for (int l = 0; l < r.layers; l++) {
                int in = r.weights[l][0].in();
                maxIn = Math.max(maxIn, in);
                dIn[l] = new float[rows * in];
                for (int dir = 0; dir < r.dirs; dir++) {
                    dW[l][dir][Param.WEIGHT_IH.ordinal()] = new float[r.gateWidth * in];
                    dW[l][dir][Param.WEIGHT_HH.ordinal()] = new float[r.gateWidth * r.hidden];
                    dW[l][dir][Param.BIAS_IH.ordinal()] = new float[r.gateWidth];
                    dW[l][dir][Param.BIAS_HH.ordinal()] = new float[r.gateWidth];
                    maxWeight = Math.max(maxWeight, r.gateWidth * Math.max(in, r.hidden));
                }
            }
            scratch = new float[maxWeight]; // holds one user-shaped gradient, which is smaller than the padded one
            dgx = new float[r.dirs][rows * r.gateWidth];
            dgh = r.cell == CellKind.GRU ? new float[r.dirs][rows * r.gateWidth] : dgx;
            dhRun = new float[r.dirs][r.batch * r.hidden];
            dcRun = new float[r.dirs][r.batch * r.hidden];
            arena = Arena.ofShared();
            packX = new MemorySegment[r.dirs];
            packH = new MemorySegment[r.dirs];
            for (int dir = 0; dir < r.dirs; dir++) {
                packX[dir] = Gemm.aligned(arena, Gemm.packedSize(rows, maxIn));
                packH[dir] = Gemm.aligned(arena, Gemm.packedSize(rows, r.hidden));
            }
        }

        @Override
        protected void release() {
            if (arena != null) {
                arena.close();
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
