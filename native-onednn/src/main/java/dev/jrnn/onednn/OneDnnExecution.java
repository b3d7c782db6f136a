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

/**
 * The execution state of one {@link OneDnnShape} (a problem size) in one workspace: the
 * scratchpad, oneDNN's training workspace, native copies of the inputs and outputs, and, built
 * once here, the memory objects and argument arrays of every execution. A call copies the
 * caller's tensors (any strides, heap or native) in and out and otherwise allocates nothing. The
 * forward's inputs and outputs stay here for the backward that follows it.
 */
final class OneDnnExecution implements AutoCloseable {

    final OneDnnShape shape;
    /** Which call last used this execution, and when (least recently used goes first). */
    long call, lastUse;


    /** {@code args[layer][INFERENCE | TRAINING | BACKWARD]}. */
    final ExecArgs[][] args;
    final ExecArgs[] diffLayerReorderArgs, diffIterReorderArgs;
    /** Weight gradients of each layer in oneDNN's plain {@code ldgoi} layout, and bias gradients in {@code ldgo}. */
    final MemorySegment[] diffPlainLayer, diffPlainIter, diffBias;

    private final OneDnnRnn rnn;
    private final Resources resources = new Resources();
    private final Arena arena = resources.add(Arena.ofShared()); // closed last
    private final boolean lstm;
    /** Layer 0's input and its gradient; {@code layerOut[l]} is layer l's output and layer l+1's input. */
    private final FloatTensor srcLayer, diffSrcLayer;
    private final FloatTensor[] layerOut, diffLayerOut;
    /** States {@code [L*D, N, H]}; each layer's memory objects view its {@code D} rows. */
    private final FloatTensor srcIter, srcIterC, dstIter, dstIterC, diffSrcIter, diffSrcIterC, diffDstIter, diffDstIterC;

    OneDnnExecution(OneDnnRnn rnn, int steps, int batch) {
        this.rnn = rnn;
        this.lstm = rnn.cell == CellKind.LSTM;
        int layers = rnn.layers;
        this.shape = resources.add(new OneDnnShape(rnn, steps, batch));
        try {
            Shape iterShape = rnn.architecture().iterShape(batch);
            Shape inShape = rnn.architecture().srcLayerShape(steps, batch);
            Shape outShape = rnn.architecture().dstLayerShape(steps, batch);
            srcLayer = tensor(inShape);
            diffSrcLayer = tensor(inShape);
            layerOut = new FloatTensor[layers];
            diffLayerOut = new FloatTensor[layers];
            for (int l = 0; l < layers; l++) {
                layerOut[l] = tensor(outShape);
                diffLayerOut[l] = tensor(outShape);
            }
            srcIter = tensor(iterShape);
            dstIter = tensor(iterShape);
            diffSrcIter = tensor(iterShape);
            diffDstIter = tensor(iterShape);
            srcIterC = lstm ? tensor(iterShape) : null;
            dstIterC = lstm ? tensor(iterShape) : null;
            diffSrcIterC = lstm ? tensor(iterShape) : null;
            diffDstIterC = lstm ? tensor(iterShape) : null;
            MemorySegment scratchpad = arena.allocate(Math.max(shape.scratchpadBytes, 1), 64);

            args = new ExecArgs[layers][3];
            diffLayerReorderArgs = new ExecArgs[layers];
            diffIterReorderArgs = new ExecArgs[layers];
            diffPlainLayer = new MemorySegment[layers];
            diffPlainIter = new MemorySegment[layers];
            diffBias = new MemorySegment[layers];
            for (int l = 0; l < layers; l++) {
                OneDnnShape.Layer layer = shape.layer[l];
                MemorySegment in = l == 0 ? srcLayer.segment() : layerOut[l - 1].segment();
                MemorySegment diffIn = l == 0 ? diffSrcLayer.segment() : diffLayerOut[l - 1].segment();
                MemorySegment trainingWorkspace = arena.allocate(Math.max(Dnnl.size(layer.workspaceMd(TRAINING)), 1), 64);
                for (int prop = INFERENCE; prop <= BACKWARD; prop++) {
                    ExecArgs a = args[l][prop] = new ExecArgs(arena, 32);
                    a.add(DNNL_ARG_SRC_LAYER, memory(layer.srcLayerMd.address(), in))
                            .add(DNNL_ARG_SRC_ITER, memory(layer.iterMd.address(), states(srcIter, l)))
                            .add(DNNL_ARG_WEIGHTS_LAYER, memory(layer.weightsLayerMd(prop), layer.weightsLayer[prop]))
                            .add(DNNL_ARG_WEIGHTS_ITER, memory(layer.weightsIterMd(prop), layer.weightsIter[prop]))
                            .add(DNNL_ARG_BIAS, memory(rnn.biasMd[l].address(), rnn.bias[l]))
                            .add(DNNL_ARG_DST_LAYER, memory(layer.dstLayerMd.address(), layerOut[l].segment()))
                            .add(DNNL_ARG_DST_ITER, memory(layer.iterMd.address(), states(dstIter, l)));
                    if (lstm) {
                        a.add(DNNL_ARG_SRC_ITER_C, memory(layer.iterMd.address(), states(srcIterC, l)))
                                .add(DNNL_ARG_DST_ITER_C, memory(layer.iterMd.address(), states(dstIterC, l)));
                    }
                    if (prop != INFERENCE) {
                        a.add(DNNL_ARG_WORKSPACE, optionalMemory(layer.workspaceMd(prop), trainingWorkspace));
                    }
                    a.add(DNNL_ARG_SCRATCHPAD, optionalMemory(Dnnl.argumentDesc(layer.pd[prop], DNNL_ARG_SCRATCHPAD), scratchpad));
                }
                MemorySegment diffLayerMd = Dnnl.argumentDesc(layer.pd[BACKWARD], DNNL_ARG_DIFF_WEIGHTS_LAYER);
                MemorySegment diffIterMd = Dnnl.argumentDesc(layer.pd[BACKWARD], DNNL_ARG_DIFF_WEIGHTS_ITER);
                MemorySegment diffLayer = arena.allocate(Dnnl.size(diffLayerMd), 64);
                MemorySegment diffIter = arena.allocate(Dnnl.size(diffIterMd), 64);
                diffBias[l] = arena.allocate(Dnnl.size(rnn.biasMd[l].address()), 64);
                ExecArgs b = args[l][BACKWARD]
                        .add(DNNL_ARG_DIFF_SRC_LAYER, memory(layer.srcLayerMd.address(), diffIn))
                        .add(DNNL_ARG_DIFF_SRC_ITER, memory(layer.iterMd.address(), states(diffSrcIter, l)))
                        .add(DNNL_ARG_DIFF_WEIGHTS_LAYER, memory(diffLayerMd, diffLayer))
                        .add(DNNL_ARG_DIFF_WEIGHTS_ITER, memory(diffIterMd, diffIter))
                        .add(DNNL_ARG_DIFF_BIAS, memory(rnn.biasMd[l].address(), diffBias[l]))
                        .add(DNNL_ARG_DIFF_DST_LAYER, memory(layer.dstLayerMd.address(), diffLayerOut[l].segment()))
                        .add(DNNL_ARG_DIFF_DST_ITER, memory(layer.iterMd.address(), states(diffDstIter, l)));
                if (lstm) {
                    b.add(DNNL_ARG_DIFF_SRC_ITER_C, memory(layer.iterMd.address(), states(diffSrcIterC, l)))
                            .add(DNNL_ARG_DIFF_DST_ITER_C, memory(layer.iterMd.address(), states(diffDstIterC, l)));
                }
                diffPlainLayer[l] = layer.diffLayerReorder == null ? diffLayer
                        : reorderTarget(layer.diffLayerReorderPd, diffLayerMd, diffLayer, rnn.plainLayerMd[l], scratchpad,
                                diffLayerReorderArgs, l);
                diffPlainIter[l] = layer.diffIterReorder == null ? diffIter
                        : reorderTarget(layer.diffIterReorderPd, diffIterMd, diffIter, rnn.plainIterMd[l], scratchpad,
                                diffIterReorderArgs, l);
            }
        } catch (RuntimeException | Error e) {
            resources.close();
            throw e;
        }
    }

    /** Allocates the plain buffer a weight-gradient reorder writes, and its arguments. */
    private MemorySegment reorderTarget(DnnlHandle pd, MemorySegment fromMd, MemorySegment from, DnnlHandle plainMd,
                                        MemorySegment scratchpad, ExecArgs[] argsOut, int l) {
        MemorySegment plain = arena.allocate(Dnnl.size(plainMd.address()), 64);
        argsOut[l] = new ExecArgs(arena, 3)
                .add(DNNL_ARG_FROM, memory(fromMd, from))
                .add(DNNL_ARG_TO, memory(plainMd.address(), plain))
                .add(DNNL_ARG_SCRATCHPAD, optionalMemory(Dnnl.argumentDesc(pd, DNNL_ARG_SCRATCHPAD), scratchpad));
        return plain;
    }

    private FloatTensor tensor(Shape shape) {
        return FloatTensor.allocate(arena, shape);
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

    /** Copies a forward's inputs in; absent initial states are zeros. */
    void load(RnnForward io) {
        srcLayer.copyFrom(io.srcLayer());
        copyOrZero(srcIter, io.srcIter());
        if (lstm) {
            copyOrZero(srcIterC, io.srcIterC());
        }
    }

    void store(RnnForward io) {
        io.dstLayer().copyFrom(layerOut[layerOut.length - 1]);
        if (io.dstIter() != null) {
            io.dstIter().copyFrom(dstIter);
        }
        if (lstm && io.dstIterC() != null) {
            io.dstIterC().copyFrom(dstIterC);
        }
    }

    void load(RnnBackward g) {
        diffLayerOut[diffLayerOut.length - 1].copyFrom(g.diffDstLayer());
        copyOrZero(diffDstIter, g.diffDstIter());
        if (lstm) {
            copyOrZero(diffDstIterC, g.diffDstIterC());
        }
    }

    void store(RnnBackward g) {
        if (g.diffSrcLayer() != null) {
            g.diffSrcLayer().copyFrom(diffSrcLayer);
        }
        if (g.diffSrcIter() != null) {
            g.diffSrcIter().copyFrom(diffSrcIter);
        }
        if (lstm && g.diffSrcIterC() != null) {
            g.diffSrcIterC().copyFrom(diffSrcIterC);
        }
    }

    private static void copyOrZero(FloatTensor dst, FloatTensor src) {
        if (src == null) {
            dst.fill(0f);
        } else {
            dst.copyFrom(src);
        }
    }

    // ---- one group of a call with variable lengths: sequences seqs[from, from + count), each len long

    /** Sequence {@code n}'s first {@code len} steps of a {@code [T, N, C]} tensor, as {@code [len, 1, C]}. */
    private static FloatTensor sequence(FloatTensor t, int n, int len) {
        return t.slice(0, 0, len).slice(1, n, n + 1);
    }

    /** Column {@code n} of {@code [L*D, N, H]} states (or of a sequence), as {@code [., 1, .]}. */
    private static FloatTensor column(FloatTensor t, int n) {
        return t.slice(1, n, n + 1);
    }

    private static void gatherState(FloatTensor dst, FloatTensor src, int[] seqs, int from, int count) {
        for (int k = 0; k < count; k++) {
            if (src == null) {
                column(dst, k).fill(0f);
            } else {
                column(dst, k).copyFrom(column(src, seqs[from + k]));
            }
        }
    }

    private static void scatterState(FloatTensor src, FloatTensor dst, int[] seqs, int from, int count) {
        if (dst != null) {
            for (int k = 0; k < count; k++) {
                column(dst, seqs[from + k]).copyFrom(column(src, k));
            }
        }
    }

    /** A sequence's steps into the group's rows; with {@code zeroRest}, the caller's steps past its end get zeros. */
    private static void scatterSequence(FloatTensor src, FloatTensor dst, int[] seqs, int from, int count, int len) {
        for (int k = 0; k < count; k++) {
            int n = seqs[from + k];
            sequence(dst, n, len).copyFrom(column(src, k));
            if (len < dst.dim(0)) {
                dst.slice(0, len, dst.dim(0)).slice(1, n, n + 1).fill(0f);
            }
        }
    }

    void load(RnnForward io, int[] seqs, int from, int count, int len) {
        for (int k = 0; k < count; k++) {
            column(srcLayer, k).copyFrom(sequence(io.srcLayer(), seqs[from + k], len));
        }
        gatherState(srcIter, io.srcIter(), seqs, from, count);
        if (lstm) {
            gatherState(srcIterC, io.srcIterC(), seqs, from, count);
        }
    }

    void store(RnnForward io, int[] seqs, int from, int count, int len) {
        scatterSequence(layerOut[layerOut.length - 1], io.dstLayer(), seqs, from, count, len);
        scatterState(dstIter, io.dstIter(), seqs, from, count);
        if (lstm) {
            scatterState(dstIterC, io.dstIterC(), seqs, from, count);
        }
    }

    void load(RnnBackward g, int[] seqs, int from, int count, int len) {
        FloatTensor top = diffLayerOut[diffLayerOut.length - 1];
        for (int k = 0; k < count; k++) {
            column(top, k).copyFrom(sequence(g.diffDstLayer(), seqs[from + k], len));
        }
        gatherState(diffDstIter, g.diffDstIter(), seqs, from, count);
        if (lstm) {
            gatherState(diffDstIterC, g.diffDstIterC(), seqs, from, count);
        }
    }

    void store(RnnBackward g, int[] seqs, int from, int count, int len) {
        if (g.diffSrcLayer() != null) {
            scatterSequence(diffSrcLayer, g.diffSrcLayer(), seqs, from, count, len);
        }
        scatterState(diffSrcIter, g.diffSrcIter(), seqs, from, count);
        if (lstm) {
            scatterState(diffSrcIterC, g.diffSrcIterC(), seqs, from, count);
        }
    }

    // ---- one time segment [from, to) of a unidirectional call: sorted sequences [0, count) are longer than from

    /** Steps {@code [from, to)} of sequence {@code n}, as {@code [to - from, 1, C]}. */
    private static FloatTensor steps(FloatTensor t, int n, int from, int to) {
        return t.slice(0, from, to).slice(1, n, n + 1);
    }

    /** Initial states: the caller's for the first segment, else the previous segment's final states of the sequences still running. */
    void loadSegment(RnnForward io, int[] seqs, int count, int from, int to, OneDnnExecution previous) {
        for (int k = 0; k < count; k++) {
            column(srcLayer, k).copyFrom(steps(io.srcLayer(), seqs[k], from, to));
        }
        if (previous == null) {
            gatherState(srcIter, io.srcIter(), seqs, 0, count);
            if (lstm) {
                gatherState(srcIterC, io.srcIterC(), seqs, 0, count);
            }
        } else {
            srcIter.copyFrom(previous.dstIter.slice(1, 0, count));
            if (lstm) {
                srcIterC.copyFrom(previous.dstIterC.slice(1, 0, count));
            }
        }
    }

    /** Outputs of the segment; final states of the sequences {@code [ending, count)}, whose last step is {@code to - 1}. */
    void storeSegment(RnnForward io, int[] seqs, int count, int from, int to, int ending) {
        FloatTensor top = layerOut[layerOut.length - 1];
        for (int k = 0; k < count; k++) {
            steps(io.dstLayer(), seqs[k], from, to).copyFrom(column(top, k));
        }
        scatterState(dstIter.slice(1, ending, count), io.dstIter(), seqs, ending, count - ending);
        if (lstm) {
            scatterState(dstIterC.slice(1, ending, count), io.dstIterC(), seqs, ending, count - ending);
        }
    }

    /**
     * Output gradients of the segment; final-state gradients: the caller's for the sequences
     * {@code [ending, count)} that end here, the later segment's initial-state gradients for the others.
     */
    void loadSegment(RnnBackward g, int[] seqs, int count, int from, int to, int ending, OneDnnExecution later) {
        FloatTensor top = diffLayerOut[diffLayerOut.length - 1];
        for (int k = 0; k < count; k++) {
            column(top, k).copyFrom(steps(g.diffDstLayer(), seqs[k], from, to));
        }
        gatherState(diffDstIter.slice(1, ending, count), g.diffDstIter(), seqs, ending, count - ending);
        if (lstm) {
            gatherState(diffDstIterC.slice(1, ending, count), g.diffDstIterC(), seqs, ending, count - ending);
        }
        if (later != null) {
            diffDstIter.slice(1, 0, ending).copyFrom(later.diffSrcIter);
            if (lstm) {
                diffDstIterC.slice(1, 0, ending).copyFrom(later.diffSrcIterC);
            }
        }
    }

    /** Input gradients of the segment; the initial states' after the first segment ({@code first}). */
    void storeSegment(RnnBackward g, int[] seqs, int count, int from, int to, boolean first) {
        if (g.diffSrcLayer() != null) {
            for (int k = 0; k < count; k++) {
                steps(g.diffSrcLayer(), seqs[k], from, to).copyFrom(column(diffSrcLayer, k));
            }
        }
        if (first) {
            scatterState(diffSrcIter, g.diffSrcIter(), seqs, 0, count);
            if (lstm) {
                scatterState(diffSrcIterC, g.diffSrcIterC(), seqs, 0, count);
            }
        }
    }

    /** Zeros past each sequence's end ({@code length[n]} steps of {@code t}'s {@code T}). */
    static void zeroPastEnds(FloatTensor t, OneDnnWorkspace ws) {
        for (int n = 0; n < ws.batch(); n++) {
            int len = ws.length(n);
            if (len < t.dim(0)) {
                t.slice(0, len, t.dim(0)).slice(1, n, n + 1).fill(0f);
            }
        }
    }

    @Override
    public void close() {
        resources.close();
    }
}
