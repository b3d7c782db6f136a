package dev.jrnn.onednn;

import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_DIFF_WEIGHTS_ITER;
import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_DIFF_WEIGHTS_LAYER;
import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_SCRATCHPAD;
import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_WEIGHTS_ITER;
import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_WEIGHTS_LAYER;
import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_WORKSPACE;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.rnn.RnnWeights.Param;
import dev.jrnn.core.runtime.Parallelism;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A recurrent stack planned as oneDNN primitives: one single-layer primitive per layer (so every
 * layer may have its own input width, which oneDNN's fused multi-layer primitive does not allow),
 * bidirectional layers as {@code bidirectional_concat}. For each layer there are three primitives,
 * forward inference, forward training and backward, each with weights in the layout it chose
 * ({@code format_tag any}), reordered once here from PyTorch's. Primitives take a user
 * scratchpad, which each {@link OneDnnWorkspace} brings, so any thread may run them. The thread
 * count is {@link Parallelism}'s at prepare.
 *
 * <p>PyTorch to oneDNN: LSTM gates {@code i, f, g, o} are the same in both; PyTorch's GRU is
 * oneDNN's linear-before-reset GRU with gates {@code u, r, o} = PyTorch's {@code z, r, n} and a
 * four-part bias {@code (b_iz + b_hz, b_ir + b_hr, b_in, b_hn)}; the other cells' bias is
 * {@code b_ih + b_hh}.
 */
final class OneDnnRnn extends PreparedRnn {

    static final String NAME = "onednn";
    static final int INFERENCE = 0, TRAINING = 1, BACKWARD = 2;
    private static final int[] PROPS = {INFERENCE, TRAINING, BACKWARD};

    final CellKind cell;
    final int steps, batch, hidden, dirs, layers, gates, biasGates;
    /**
     * OpenMP threads, from {@link Parallelism} at prepare: oneDNN plans a primitive's work for the
     * thread count current when it is created, so it is set then, and again before every execution.
     */
    private final int threads;
    /** oneDNN gate {@code g} is PyTorch gate {@code torchGate[g]}. */
    private final int[] torchGate;
    final Layer[] layer;
    /** Largest scratchpad any primitive of this stack asks for, in bytes. */
    final long scratchpadBytes;
    final Guard guard;
    private final Resources resources = new Resources();
    /** Weights in oneDNN's layouts; read by every thread. */
    private final Arena arena = resources.add(Arena.ofShared()); // closed last
    private final String implementation;

    /** The primitives and weights of one layer. */
    final class Layer {
        final int in;
        final DnnlHandle srcLayerMd, dstLayerMd, iterMd, biasMd, plainLayerMd, plainIterMd;
        final DnnlHandle[] pd = new DnnlHandle[3];
        final DnnlHandle[] primitive = new DnnlHandle[3];
        final MemorySegment[] weightsLayer = new MemorySegment[3], weightsIter = new MemorySegment[3];
        final MemorySegment bias;
        /** Reorders of the backward's weight gradients to the plain layout, or null when already plain. */
        final DnnlHandle diffLayerReorderPd, diffLayerReorder, diffIterReorderPd, diffIterReorder;

        Layer(int index, RnnWeights w, DnnlHandle attr) {
            in = index == 0 ? descriptor().inputSize() : dirs * hidden;
            srcLayerMd = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_tnc, steps, batch, in));
            dstLayerMd = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_tnc, steps, batch, (long) dirs * hidden));
            iterMd = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_ldnc, 1, dirs, batch, hidden));
            biasMd = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_ldgo, 1, dirs, biasGates, hidden));
            plainLayerMd = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_ldgoi, 1, dirs, in, gates, hidden));
            plainIterMd = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_ldgoi, 1, dirs, hidden, gates, hidden));
            try (DnnlHandle anyLayer = Dnnl.memoryDesc(dnnl_h.dnnl_format_tag_any, 1, dirs, in, gates, hidden);
                 DnnlHandle anyIter = Dnnl.memoryDesc(dnnl_h.dnnl_format_tag_any, 1, dirs, hidden, gates, hidden)) {
                PrimitiveDescs descs = new PrimitiveDescs(cell, dirs == 2
                        ? dnnl_h.dnnl_bidirectional_concat : dnnl_h.dnnl_unidirectional_left2right, srcLayerMd, dstLayerMd, iterMd, biasMd, anyLayer, anyIter, attr);
                pd[INFERENCE] = resources.add(descs.forward(dnnl_h.dnnl_forward_inference));
                pd[TRAINING] = resources.add(descs.forward(dnnl_h.dnnl_forward_training));
                pd[BACKWARD] = resources.add(descs.backward(pd[TRAINING]));
            }
            for (int prop : PROPS) {
                primitive[prop] = resources.add(Dnnl.primitive(pd[prop]));
            }
            MemorySegment plainLayer = plainWeights(w, index, Param.WEIGHT_IH, in);
            MemorySegment plainIter = plainWeights(w, index, Param.WEIGHT_HH, hidden);
            for (int prop : PROPS) {
                weightsLayer[prop] = inLayout(prop, DNNL_ARG_WEIGHTS_LAYER, plainLayerMd, plainLayer, weightsLayer);
                weightsIter[prop] = inLayout(prop, DNNL_ARG_WEIGHTS_ITER, plainIterMd, plainIter, weightsIter);
            }
            bias = plainBias(w, index);
            MemorySegment diffLayerMd = Dnnl.argumentDesc(pd[BACKWARD], DNNL_ARG_DIFF_WEIGHTS_LAYER);
            MemorySegment diffIterMd = Dnnl.argumentDesc(pd[BACKWARD], DNNL_ARG_DIFF_WEIGHTS_ITER);
            diffLayerReorderPd = Dnnl.sameLayout(diffLayerMd, plainLayerMd.address()) ? null
                    : resources.add(Dnnl.reorderDesc(diffLayerMd, plainLayerMd.address(), attr));
            diffLayerReorder = diffLayerReorderPd == null ? null : resources.add(Dnnl.primitive(diffLayerReorderPd));
            diffIterReorderPd = Dnnl.sameLayout(diffIterMd, plainIterMd.address()) ? null
                    : resources.add(Dnnl.reorderDesc(diffIterMd, plainIterMd.address(), attr));
            diffIterReorder = diffIterReorderPd == null ? null : resources.add(Dnnl.primitive(diffIterReorderPd));
        }

        /** The weights in the layout primitive {@code prop} chose: the plain copy, an earlier one's, or a reorder. */
        private MemorySegment inLayout(int prop, int arg, DnnlHandle plainMd, MemorySegment plain, MemorySegment[] done) {
            MemorySegment md = Dnnl.argumentDesc(pd[prop], arg);
            if (Dnnl.sameLayout(md, plainMd.address())) {
                return plain;
            }
            for (int earlier = 0; earlier < prop; earlier++) {
                if (done[earlier] != plain && Dnnl.sameLayout(md, Dnnl.argumentDesc(pd[earlier], arg))) {
                    return done[earlier];
                }
            }
            MemorySegment reordered = arena.allocate(Dnnl.size(md), 64);
            Dnnl.reorder(plainMd.address(), plain, md, reordered);
            return reordered;
        }

        MemorySegment weightsLayerMd(int prop) {
            return Dnnl.argumentDesc(pd[prop], DNNL_ARG_WEIGHTS_LAYER);
        }

        MemorySegment weightsIterMd(int prop) {
            return Dnnl.argumentDesc(pd[prop], DNNL_ARG_WEIGHTS_ITER);
        }

        MemorySegment workspaceMd(int prop) {
            return Dnnl.argumentDesc(pd[prop], DNNL_ARG_WORKSPACE);
        }
    }

    OneDnnRnn(RnnDescriptor d, RnnWeights w) {
        super(NAME, d);
        cell = d.cell();
        steps = d.steps();
        batch = d.batch();
        hidden = d.hiddenSize();
        dirs = d.directions();
        layers = d.layers();
        gates = d.gates();
        biasGates = cell == CellKind.GRU ? 4 : gates;
        torchGate = cell == CellKind.GRU ? new int[] {1, 0, 2} : identity(gates);
        guard = new Guard("this " + NAME + " " + d);
        threads = Parallelism.threads();
        try {
            useThreads();
            DnnlHandle attr = resources.add(Dnnl.userScratchpadAttr());
            layer = new Layer[layers];
            long scratch = 0;
            for (int l = 0; l < layers; l++) {
                layer[l] = new Layer(l, w, attr);
                for (DnnlHandle pd : layer[l].pd) {
                    scratch = Math.max(scratch, Dnnl.size(Dnnl.argumentDesc(pd, DNNL_ARG_SCRATCHPAD)));
                }
                for (DnnlHandle pd : new DnnlHandle[] {layer[l].diffLayerReorderPd, layer[l].diffIterReorderPd}) {
                    if (pd != null) {
                        scratch = Math.max(scratch, Dnnl.size(Dnnl.argumentDesc(pd, DNNL_ARG_SCRATCHPAD)));
                    }
                }
            }
            scratchpadBytes = scratch;
            implementation = Dnnl.implementation(layer[0].pd[INFERENCE]);
        } catch (RuntimeException | Error e) {
            resources.close();
            throw e;
        }
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }

    /** The implementation oneDNN chose for the first layer's inference, e.g. {@code brgemm:avx512_core}. */
    String implementation() {
        return implementation;
    }

    /** PyTorch's {@code [G*H, cols]} matrices of both directions as oneDNN's plain {@code ldgoi}: {@code [D][G][H][cols]}. */
    private MemorySegment plainWeights(RnnWeights w, int l, Param param, int cols) {
        MemorySegment plain = arena.allocate((long) dirs * gates * hidden * cols * Float.BYTES, 64);
        FloatTensor rows = FloatTensor.wrap(plain, Shape.of(dirs * gates * hidden, cols));
        for (int d = 0; d < dirs; d++) {
            FloatTensor torch = w.get(param, l, d);
            for (int g = 0; g < gates; g++) {
                int row = (d * gates + g) * hidden;
                int torchRow = torchGate[g] * hidden;
                rows.slice(0, row, row + hidden).copyFrom(torch.slice(0, torchRow, torchRow + hidden));
            }
        }
        return plain;
    }

    /** oneDNN's {@code ldgo} bias {@code [D][G'][H]}, see the class comment. */
    private MemorySegment plainBias(RnnWeights w, int l) {
        MemorySegment bias = arena.allocate((long) dirs * biasGates * hidden * Float.BYTES, 64);
        for (int d = 0; d < dirs; d++) {
            FloatTensor bih = w.get(Param.BIAS_IH, l, d), bhh = w.get(Param.BIAS_HH, l, d);
            for (int g = 0; g < biasGates; g++) {
                for (int o = 0; o < hidden; o++) {
                    float value;
                    if (cell == CellKind.GRU && g == 2) {
                        value = bih.get(2 * hidden + o);
                    } else if (cell == CellKind.GRU && g == 3) {
                        value = bhh.get(2 * hidden + o);
                    } else {
                        int t = torchGate[g] * hidden + o;
                        value = bih.get(t) + bhh.get(t);
                    }
                    bias.setAtIndex(dnnl_h.C_FLOAT, ((long) d * biasGates + g) * hidden + o, value);
                }
            }
        }
        return bias;
    }

    @Override
    protected Workspace createWorkspace() {
        guard.enter();
        try {
            return new OneDnnWorkspace(this);
        } finally {
            guard.exit();
        }
    }

    @Override
    protected void forwardChecked(Mode mode, RnnForward io, Workspace workspace) {
        OneDnnWorkspace ws = (OneDnnWorkspace) workspace;
        int prop = mode == Mode.TRAINING ? TRAINING : INFERENCE;
        guard.enter();
        try {
            ws.guard.enter();
            try {
                ws.load(io);
                useThreads();
                for (int l = 0; l < layers; l++) {
                    Dnnl.execute(layer[l].primitive[prop], ws.stream, ws.args[l][prop]);
                }
                ws.await();
                ws.store(io);
            } finally {
                ws.guard.exit();
            }
        } finally {
            guard.exit();
        }
    }

    @Override
    protected void backwardChecked(RnnBackward gradients, Workspace workspace) {
        OneDnnWorkspace ws = (OneDnnWorkspace) workspace;
        guard.enter();
        try {
            ws.guard.enter();
            try {
                ws.load(gradients);
                useThreads();
                for (int l = layers - 1; l >= 0; l--) {
                    Dnnl.execute(layer[l].primitive[BACKWARD], ws.stream, ws.args[l][BACKWARD]);
                    if (gradients.diffWeights() != null) {
                        if (layer[l].diffLayerReorder != null) {
                            Dnnl.execute(layer[l].diffLayerReorder, ws.stream, ws.diffLayerReorderArgs[l]);
                        }
                        if (layer[l].diffIterReorder != null) {
                            Dnnl.execute(layer[l].diffIterReorder, ws.stream, ws.diffIterReorderArgs[l]);
                        }
                    }
                }
                ws.await();
                ws.store(gradients);
                if (gradients.diffWeights() != null) {
                    for (int l = 0; l < layers; l++) {
                        accumulate(gradients.diffWeights(), l, ws);
                    }
                }
            } finally {
                ws.guard.exit();
            }
        } finally {
            guard.exit();
        }
    }

    /** oneDNN's OpenMP thread count belongs to the calling thread, so it is set before each call. */
    private void useThreads() {
        if (omp_h.present()) {
            omp_h.omp_set_num_threads(threads);
        }
    }

    /** Adds layer {@code l}'s gradients, in oneDNN's plain layouts in {@code ws}, to PyTorch's tensors. */
    private void accumulate(RnnWeights diff, int l, OneDnnWorkspace ws) {
        int in = layer[l].in;
        for (int d = 0; d < dirs; d++) {
            FloatTensor dwih = diff.get(Param.WEIGHT_IH, l, d), dwhh = diff.get(Param.WEIGHT_HH, l, d);
            FloatTensor dbih = diff.get(Param.BIAS_IH, l, d), dbhh = diff.get(Param.BIAS_HH, l, d);
            for (int g = 0; g < gates; g++) {
                long block = (long) (d * gates + g) * hidden;
                addRows(dwih, torchGate[g] * hidden, ws.diffPlainLayer[l], block * in, in);
                addRows(dwhh, torchGate[g] * hidden, ws.diffPlainIter[l], block * hidden, hidden);
            }
            MemorySegment db = ws.diffBias[l];
            for (int g = 0; g < biasGates; g++) {
                for (int o = 0; o < hidden; o++) {
                    float v = db.getAtIndex(dnnl_h.C_FLOAT, ((long) d * biasGates + g) * hidden + o);
                    if (cell == CellKind.GRU && g >= 2) {
                        FloatTensor target = g == 2 ? dbih : dbhh;
                        target.set(2 * hidden + o, target.get(2 * hidden + o) + v);
                    } else {
                        int t = torchGate[g] * hidden + o;
                        dbih.set(t, dbih.get(t) + v);
                        dbhh.set(t, dbhh.get(t) + v);
                    }
                }
            }
        }
    }

    /** {@code dst[row0 + r][c] += src[from + r * cols + c]} for the {@code hidden} rows of one gate. */
    private void addRows(FloatTensor dst, int row0, MemorySegment src, long from, int cols) {
        if (dst.isContiguous()) { // the usual case: one flat loop, which C2 vectorizes
            MemorySegment d = dst.segment();
            long base = dst.offset() + (long) row0 * cols;
            for (long k = 0, n = (long) hidden * cols; k < n; k++) {
                d.setAtIndex(FloatTensor.ELEMENT, base + k,
                        d.getAtIndex(FloatTensor.ELEMENT, base + k) + src.getAtIndex(dnnl_h.C_FLOAT, from + k));
            }
            return;
        }
        for (int r = 0; r < hidden; r++) {
            long rowStart = from + (long) r * cols;
            for (int c = 0; c < cols; c++) {
                dst.set(row0 + r, c, dst.get(row0 + r, c) + src.getAtIndex(dnnl_h.C_FLOAT, rowStart + c));
            }
        }
    }

    @Override
    protected void release() {
        guard.closeAndAwait();
        resources.close();
    }

    @Override
    public String toString() {
        return NAME + " (" + implementation + ") " + descriptor();
    }
}
