package dev.jrnn.onednn;

import static dev.jrnn.onednn.OneDnnRnn.BACKWARD;
import static dev.jrnn.onednn.OneDnnRnn.INFERENCE;
import static dev.jrnn.onednn.OneDnnRnn.TRAINING;
import static dev.jrnn.onednn.dnnl_h.*;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The execution state of one {@link OneDnnShape} (a problem size) in one workspace: native copies
 * of the inputs and outputs, and, made once per part the first time it runs ({@link #prepare}:
 * inference, or training with its backward), the part's primitives, scratchpad, oneDNN's training
 * workspace, gradient buffers, memory objects and argument arrays. It runs one piece of a
 * {@link LengthPlan} at a time: its rows of the caller's tensors (any strides, heap or native) are
 * copied in and out ({@link Rows}), and once prepared nothing is allocated. The forward's inputs
 * and outputs stay here for the backward that follows it.
 */
final class OneDnnExecution implements AutoCloseable {

    final OneDnnShape shape;
    /** Which call last used this execution, and when (least recently used goes first). */
    long call, lastUse;

    /** {@code args[layer][INFERENCE | TRAINING | BACKWARD]}, each null until its part is prepared. */
    final ExecArgs[][] args;
    /**
     * Per layer, the reorders a reduced-precision inference runs before its primitive (the f32
     * input and {@code h} state into the primitive's types) and after it (its outputs back to f32);
     * empty in float32.
     */
    private final Conversion[][] before, after;

    /** A reorder primitive with its arguments. */
    private record Conversion(DnnlHandle primitive, ExecArgs args) {
    }

    private final OneDnnRnn rnn;
    private final WeightGradients gradients;
    private final Resources resources = new Resources();
    private final Arena arena = resources.add(Arena.ofShared()); // closed last
    private final boolean lstm;
    private long bytes;
    /** Layer 0's input and its gradient; {@code layerOut[l]} is layer l's output and layer l+1's input. */
    private final FloatTensor srcLayer;
    private final FloatTensor[] layerOut;
    private FloatTensor diffSrcLayer;
    private FloatTensor[] diffLayerOut;
    /** States {@code [L*D, N, H]}; each layer's memory objects view its {@code D} rows. */
    private final FloatTensor srcIter, srcIterC, dstIter, dstIterC;
    private FloatTensor diffSrcIter, diffSrcIterC, diffDstIter, diffDstIterC;

    /**
     * The buffers of {@code steps} by {@code batch} every part uses; no primitive yet. Weight
     * gradients go to {@code gradients}, shared by the executions of a workspace.
     */
    OneDnnExecution(OneDnnRnn rnn, int steps, int batch, WeightGradients gradients) {
        this.rnn = rnn;
        this.gradients = gradients;
        this.lstm = rnn.cell == CellKind.LSTM;
        int layers = rnn.layers;
        this.shape = resources.add(new OneDnnShape(rnn, steps, batch));
        try {
            Shape iterShape = rnn.architecture().iterShape(batch);
            Shape outShape = rnn.architecture().dstLayerShape(steps, batch);
            srcLayer = tensor(rnn.architecture().srcLayerShape(steps, batch));
            layerOut = new FloatTensor[layers];
            for (int l = 0; l < layers; l++) {
                layerOut[l] = tensor(outShape);
            }
            srcIter = tensor(iterShape);
            dstIter = tensor(iterShape);
            srcIterC = lstm ? tensor(iterShape) : null;
            dstIterC = lstm ? tensor(iterShape) : null;
            args = new ExecArgs[layers][3];
            before = new Conversion[layers][];
            after = new Conversion[layers][];
        } catch (RuntimeException | Error e) {
            resources.close();
            throw e;
        }
    }

    /**
     * Makes what {@code part} ({@code INFERENCE}, or {@code TRAINING} with {@code BACKWARD}) needs
     * unless it is made: its primitives, scratchpad, training workspace and gradient buffers, and
     * the arguments of its executions. On failure the execution is unusable: close it.
     */
    void prepare(int part) {
        if (shape.has(part)) {
            return;
        }
        MemorySegment scratchpad = allocate(Math.max(shape.make(part), 1));
        boolean training = part == TRAINING;
        int layers = rnn.layers;
        if (training) {
            Shape iterShape = rnn.architecture().iterShape(shape.batch);
            Shape outShape = rnn.architecture().dstLayerShape(shape.steps, shape.batch);
            diffSrcLayer = tensor(rnn.architecture().srcLayerShape(shape.steps, shape.batch));
            diffLayerOut = new FloatTensor[layers];
            for (int l = 0; l < layers; l++) {
                diffLayerOut[l] = tensor(outShape);
            }
            diffSrcIter = tensor(iterShape);
            diffDstIter = tensor(iterShape);
            diffSrcIterC = lstm ? tensor(iterShape) : null;
            diffDstIterC = lstm ? tensor(iterShape) : null;
        }
        for (int l = 0; l < layers; l++) {
            OneDnnShape.Layer layer = shape.layer[l];
            MemorySegment in = l == 0 ? srcLayer.segment() : layerOut[l - 1].segment();
            MemorySegment trainingWorkspace = training
                    ? allocate(Math.max(Dnnl.size(layer.workspaceMd(TRAINING)), 1)) : null;
            for (int prop : OneDnnShape.props(part)) {
                MemorySegment src = in, srcH = states(srcIter, l), dst = layerOut[l].segment(), dstH = states(dstIter, l);
                if (prop == INFERENCE) { // a reduced precision's own copies, converted from and to the f32 ones
                    DnnlHandle attr = rnn.attr(l);
                    List<Conversion> pre = new ArrayList<>(), post = new ArrayList<>();
                    src = converted(layer.srcLayerMd, src, layer.srcLayerData, attr, pre, true);
                    srcH = converted(layer.iterMd, srcH, layer.srcIterData, attr, pre, true);
                    dst = converted(layer.dstLayerMd, dst, layer.dstLayerData, attr, post, false);
                    dstH = converted(layer.iterMd, dstH, layer.dstIterData, attr, post, false);
                    before[l] = pre.toArray(Conversion[]::new);
                    after[l] = post.toArray(Conversion[]::new);
                }
                MemorySegment srcLayerMd = (prop == INFERENCE ? layer.srcLayerData : layer.srcLayerMd).address();
                MemorySegment dstLayerMd = (prop == INFERENCE ? layer.dstLayerData : layer.dstLayerMd).address();
                MemorySegment srcIterMd = (prop == INFERENCE ? layer.srcIterData : layer.iterMd).address();
                MemorySegment dstIterMd = (prop == INFERENCE ? layer.dstIterData : layer.iterMd).address();
                ExecArgs a = new ExecArgs(arena, 32);
                a.add(DNNL_ARG_SRC_LAYER, memory(srcLayerMd, src))
                        .add(DNNL_ARG_SRC_ITER, memory(srcIterMd, srcH))
                        .add(DNNL_ARG_WEIGHTS_LAYER, memory(layer.weightsLayerMd(prop), layer.weightsLayer[prop]))
                        .add(DNNL_ARG_WEIGHTS_ITER, memory(layer.weightsIterMd(prop), layer.weightsIter[prop]))
                        .add(DNNL_ARG_BIAS, memory(rnn.biasMd[l].address(), rnn.bias[l]))
                        .add(DNNL_ARG_DST_LAYER, memory(dstLayerMd, dst))
                        .add(DNNL_ARG_DST_ITER, memory(dstIterMd, dstH));
                if (lstm) {
                    a.add(DNNL_ARG_SRC_ITER_C, memory(layer.iterMd.address(), states(srcIterC, l)))
                            .add(DNNL_ARG_DST_ITER_C, memory(layer.iterMd.address(), states(dstIterC, l)));
                }
                if (prop != INFERENCE) {
                    a.add(DNNL_ARG_WORKSPACE, optionalMemory(layer.workspaceMd(prop), trainingWorkspace));
                }
                a.add(DNNL_ARG_SCRATCHPAD, optionalMemory(Dnnl.argumentDesc(layer.pd[prop], DNNL_ARG_SCRATCHPAD), scratchpad));
                args[l][prop] = a;
            }
            if (training) {
                MemorySegment diffIn = l == 0 ? diffSrcLayer.segment() : diffLayerOut[l - 1].segment();
                ExecArgs b = args[l][BACKWARD]
                        .add(DNNL_ARG_DIFF_SRC_LAYER, memory(layer.srcLayerMd.address(), diffIn))
                        .add(DNNL_ARG_DIFF_SRC_ITER, memory(layer.iterMd.address(), states(diffSrcIter, l)))
                        .add(DNNL_ARG_DIFF_WEIGHTS_LAYER, memory(rnn.diffLayerMd[l].address(), gradients.layer[l]))
                        .add(DNNL_ARG_DIFF_WEIGHTS_ITER, memory(rnn.diffIterMd[l].address(), gradients.iter[l]))
                        .add(DNNL_ARG_DIFF_BIAS, memory(rnn.biasMd[l].address(), gradients.bias[l]))
                        .add(DNNL_ARG_DIFF_DST_LAYER, memory(layer.dstLayerMd.address(), diffLayerOut[l].segment()))
                        .add(DNNL_ARG_DIFF_DST_ITER, memory(layer.iterMd.address(), states(diffDstIter, l)));
                if (lstm) {
                    b.add(DNNL_ARG_DIFF_SRC_ITER_C, memory(layer.iterMd.address(), states(diffSrcIterC, l)))
                            .add(DNNL_ARG_DIFF_DST_ITER_C, memory(layer.iterMd.address(), states(diffDstIterC, l)));
                }
            }
        }
    }

    /**
     * The buffer the primitive uses for an argument whose f32 copy is {@code data} ({@code f32Md}):
     * {@code data} itself when the primitive's descriptor {@code typed} is the same, else a new
     * buffer of {@code typed}, with the reorder that fills it from {@code data} ({@code input}) or
     * copies it back to {@code data}, added to {@code conversions}.
     */
    private MemorySegment converted(DnnlHandle f32Md, MemorySegment data, DnnlHandle typed, DnnlHandle attr,
                                    List<Conversion> conversions, boolean input) {
        if (Dnnl.sameLayout(f32Md.address(), typed.address())) {
            return data;
        }
        MemorySegment own = allocate(Math.max(Dnnl.size(typed.address()), 1));
        MemorySegment fromMd = (input ? f32Md : typed).address(), toMd = (input ? typed : f32Md).address();
        DnnlHandle pd = resources.add(Dnnl.reorderDesc(fromMd, toMd, attr));
        MemorySegment scratchMd = Dnnl.argumentDesc(pd, DNNL_ARG_SCRATCHPAD);
        ExecArgs a = new ExecArgs(arena, 3)
                .add(DNNL_ARG_FROM, memory(fromMd, input ? data : own))
                .add(DNNL_ARG_TO, memory(toMd, input ? own : data))
                .add(DNNL_ARG_SCRATCHPAD, optionalMemory(scratchMd, Dnnl.size(scratchMd) == 0 ? null
                        : allocate(Dnnl.size(scratchMd))));
        conversions.add(new Conversion(resources.add(Dnnl.primitive(pd)), a));
        return own;
    }

    /** Runs layer {@code l}'s primitive of {@code prop} on {@code stream}, with its conversions in inference. */
    void forward(int l, int prop, DnnlHandle stream) {
        if (prop == INFERENCE) {
            for (Conversion c : before[l]) {
                Dnnl.execute(c.primitive(), stream, c.args());
            }
        }
        Dnnl.execute(shape.layer[l].primitive[prop], stream, args[l][prop]);
        if (prop == INFERENCE) {
            for (Conversion c : after[l]) {
                Dnnl.execute(c.primitive(), stream, c.args());
            }
        }
    }

    private FloatTensor tensor(Shape shape) {
        return FloatTensor.wrap(allocate(shape.size() * Float.BYTES), shape);
    }

    /** Zeroed native memory, given back to the system when this execution closes ({@link Pages}). */
    private MemorySegment allocate(long size) {
        bytes += size;
        return Pages.allocate(arena, size);
    }

    /** The bytes of buffers this execution holds. */
    long bytes() {
        return bytes;
    }

    /** Layer {@code l}'s {@code D} rows of a {@code [L*D, N, H]} state. */
    private MemorySegment states(FloatTensor all, int l) {
        long rows = (long) all.dim(1) * all.dim(2) * rnn.dirs;
        return all.segment().asSlice(l * rows * Float.BYTES, rows * Float.BYTES);
    }

    private DnnlHandle memory(MemorySegment md, MemorySegment data) {
        return resources.add(Dnnl.memory(md, data));
    }

    /** A memory object for an argument the primitive may not take (scratchpad, workspace); null when it takes none. */
    private DnnlHandle optionalMemory(MemorySegment md, MemorySegment data) {
        return Dnnl.size(md) == 0 ? null : memory(md, data);
    }

    // ---- piece p of a plan (LengthPlan): its rows, steps [from, to), batch = this execution's N

    /**
     * The piece's inputs: the steps of its active rows, zeros elsewhere (padding, and steps past a
     * row's end); initial states from {@code previous} (the piece before, when this one continues
     * it) or the caller's (zeros when absent, and for padding rows).
     */
    void load(RnnForward io, LengthPlan plan, int p, OneDnnExecution previous) {
        int from = plan.from[p], batch = shape.batch;
        for (int t = from, active = plan.rows[p]; t < plan.to[p]; t++) {
            active = plan.activeAt(p, t, active);
            Rows.gather(io.srcLayer(), t, plan.sorted, plan.rowFrom[p], active, srcLayer, t - from);
            Rows.zero(srcLayer, t - from, active, batch - active);
        }
        if (previous != null) {
            carry(previous.dstIter, srcIter, batch);
            if (lstm) {
                carry(previous.dstIterC, srcIterC, batch);
            }
        } else {
            initial(io.srcIter(), srcIter, plan, p);
            if (lstm) {
                initial(io.srcIterC(), srcIterC, plan, p);
            }
        }
    }

    /**
     * The outputs of the active rows, and the final states of the rows ending in this piece: at its
     * end from the final states, inside it (unidirectional only) from each layer's output at the
     * row's last step.
     */
    void store(RnnForward io, LengthPlan plan, int p) {
        int from = plan.from[p], to = plan.to[p];
        FloatTensor top = layerOut[layerOut.length - 1];
        int active = plan.rows[p];
        for (int t = from; t < to; t++) {
            active = plan.activeAt(p, t, active);
            Rows.scatter(top, t - from, active, io.dstLayer(), t, plan.sorted, plan.rowFrom[p]);
        }
        for (int k = plan.activeAt(p, to, active); k < plan.rows[p]; k++) { // the rows ending here
            int n = plan.sequence(p, k), last = plan.length(p, k) - 1 - from;
            boolean atEnd = plan.length(p, k) == to;
            for (int ld = 0; ld < dstIter.dim(0); ld++) {
                if (io.dstIter() != null) {
                    if (atEnd) {
                        Rows.copyRow(dstIter, ld, k, io.dstIter(), ld, n);
                    } else { // unidirectional: ld is the layer
                        Rows.copyRow(layerOut[ld], last, k, io.dstIter(), ld, n);
                    }
                }
                if (lstm && io.dstIterC() != null) { // the plan ends LSTM rows inside a piece only when c_n is not wanted
                    Rows.copyRow(dstIterC, ld, k, io.dstIterC(), ld, n);
                }
            }
        }
    }

    /**
     * The output gradients of the active rows (zeros elsewhere); the final-state gradients: the
     * later piece's initial-state gradients for the rows continuing in it, the caller's for the
     * rows ending at this piece's end, zeros for the others (rows ending inside get theirs through
     * {@link #addFinalGradients}).
     */
    void load(RnnBackward g, LengthPlan plan, int p, OneDnnExecution later) {
        int from = plan.from[p], to = plan.to[p], batch = shape.batch;
        FloatTensor top = diffLayerOut[diffLayerOut.length - 1];
        int active = plan.rows[p];
        for (int t = from; t < to; t++) {
            active = plan.activeAt(p, t, active);
            Rows.gather(g.diffDstLayer(), t, plan.sorted, plan.rowFrom[p], active, top, t - from);
            Rows.zero(top, t - from, active, batch - active);
        }
        int carried = later == null ? 0 : later.shape.batch;
        for (int ld = 0; ld < diffDstIter.dim(0); ld++) {
            if (later != null) {
                Rows.copy(later.diffSrcIter, ld, diffDstIter, ld, carried);
            }
            Rows.zero(diffDstIter, ld, carried, batch - carried);
            if (lstm) {
                if (later != null) {
                    Rows.copy(later.diffSrcIterC, ld, diffDstIterC, ld, carried);
                }
                Rows.zero(diffDstIterC, ld, carried, batch - carried);
            }
        }
        for (int k = plan.activeAt(p, to, active); k < plan.rows[p]; k++) {
            if (plan.length(p, k) == to) { // not active in the later piece, so nothing was carried for it
                int n = plan.sequence(p, k);
                for (int ld = 0; ld < diffDstIter.dim(0); ld++) {
                    if (g.diffDstIter() != null) {
                        Rows.copyRow(g.diffDstIter(), ld, n, diffDstIter, ld, k);
                    }
                    if (lstm && g.diffDstIterC() != null) {
                        Rows.copyRow(g.diffDstIterC(), ld, n, diffDstIterC, ld, k);
                    }
                }
            }
        }
    }

    /**
     * Adds the caller's final-state gradients of layer {@code l} for the rows ending inside this
     * piece to that layer's output gradients at their last step (unidirectional, no {@code c}):
     * before the layer's backward runs, after the layer above wrote those output gradients.
     */
    void addFinalGradients(RnnBackward g, LengthPlan plan, int p, int l) {
        int from = plan.from[p], to = plan.to[p];
        if (g.diffDstIter() == null) {
            return;
        }
        for (int k = plan.rows[p] - 1; k >= 0 && plan.length(p, k) < to; k--) {
            Rows.addRow(g.diffDstIter(), l, plan.sequence(p, k), diffLayerOut[l], plan.length(p, k) - 1 - from, k);
        }
    }

    /** The input gradients of the active rows; the initial-state gradients when this piece starts its rows. */
    void store(RnnBackward g, LengthPlan plan, int p) {
        int from = plan.from[p];
        if (g.diffSrcLayer() != null) {
            for (int t = from, active = plan.rows[p]; t < plan.to[p]; t++) {
                active = plan.activeAt(p, t, active);
                Rows.scatter(diffSrcLayer, t - from, active, g.diffSrcLayer(), t, plan.sorted, plan.rowFrom[p]);
            }
        }
        if (!plan.continues(p)) {
            for (int ld = 0; ld < diffSrcIter.dim(0); ld++) {
                if (g.diffSrcIter() != null) {
                    Rows.scatter(diffSrcIter, ld, plan.rows[p], g.diffSrcIter(), ld, plan.sorted, plan.rowFrom[p]);
                }
                if (lstm && g.diffSrcIterC() != null) {
                    Rows.scatter(diffSrcIterC, ld, plan.rows[p], g.diffSrcIterC(), ld, plan.sorted, plan.rowFrom[p]);
                }
            }
        }
    }

    /** Rows {@code [0, batch)} of each {@code [L*D]} slice of the previous piece's states. */
    private static void carry(FloatTensor previous, FloatTensor states, int batch) {
        for (int ld = 0; ld < states.dim(0); ld++) {
            Rows.copy(previous, ld, states, ld, batch);
        }
    }

    /** The caller's initial states of the piece's rows (zeros when absent), zeros for padding rows. */
    private void initial(FloatTensor caller, FloatTensor states, LengthPlan plan, int p) {
        int rows = caller == null ? 0 : plan.rows[p];
        for (int ld = 0; ld < states.dim(0); ld++) {
            if (caller != null) {
                Rows.gather(caller, ld, plan.sorted, plan.rowFrom[p], rows, states, ld);
            }
            Rows.zero(states, ld, rows, shape.batch - rows);
        }
    }

    /** Zeros past each sequence's end in {@code t} ({@code [T, N, C]}). */
    static void zeroPastEnds(FloatTensor t, LengthPlan plan, int batch) {
        for (int k = 0; k < batch; k++) {
            for (int step = plan.sortedLength[k]; step < t.dim(0); step++) {
                Rows.zeroRow(t, step, plan.sorted[k]);
            }
        }
    }

    @Override
    public void close() {
        resources.close();
    }
}
