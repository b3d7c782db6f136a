package dev.jrnn.onednn;

import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_FROM;
import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_SCRATCHPAD;
import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_TO;

import dev.jrnn.core.rnn.RnnWeights;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A workspace's weight gradients in oneDNN's layouts, which every piece's backward adds to
 * (weights {@code ldigo}, bias {@code ldgo}; the backward primitives accumulate): zeroed when a
 * backward starts, and when it ends reordered to the plain {@code ldgoi} and added to the caller's
 * tensors once, however many pieces the call ran.
 */
final class WeightGradients implements AutoCloseable {

    /** Per layer: what the backward primitives write, and its descriptors. */
    final MemorySegment[] layer, iter, bias;
    private final OneDnnRnn rnn;
    private final MemorySegment[] plainLayer, plainIter;
    private final DnnlHandle[] layerReorder, iterReorder;
    private final ExecArgs[] layerReorderArgs, iterReorderArgs;
    private final Resources resources = new Resources();
    private final Arena arena = resources.add(Arena.ofShared()); // closed last

    WeightGradients(OneDnnRnn rnn) {
        this.rnn = rnn;
        int layers = rnn.layers;
        layer = new MemorySegment[layers];
        iter = new MemorySegment[layers];
        bias = new MemorySegment[layers];
        plainLayer = new MemorySegment[layers];
        plainIter = new MemorySegment[layers];
        layerReorder = new DnnlHandle[layers];
        iterReorder = new DnnlHandle[layers];
        layerReorderArgs = new ExecArgs[layers];
        iterReorderArgs = new ExecArgs[layers];
        try {
            for (int l = 0; l < layers; l++) {
                layer[l] = allocate(rnn.diffLayerMd[l]);
                iter[l] = allocate(rnn.diffIterMd[l]);
                bias[l] = allocate(rnn.biasMd[l]);
                plainLayer[l] = allocate(rnn.plainLayerMd[l]);
                plainIter[l] = allocate(rnn.plainIterMd[l]);
                layerReorderArgs[l] = new ExecArgs(arena, 3);
                layerReorder[l] = reorder(rnn.diffLayerMd[l], layer[l], rnn.plainLayerMd[l], plainLayer[l], layerReorderArgs[l]);
                iterReorderArgs[l] = new ExecArgs(arena, 3);
                iterReorder[l] = reorder(rnn.diffIterMd[l], iter[l], rnn.plainIterMd[l], plainIter[l], iterReorderArgs[l]);
            }
        } catch (RuntimeException | Error e) {
            resources.close();
            throw e;
        }
    }

    private MemorySegment allocate(DnnlHandle md) {
        return arena.allocate(Dnnl.size(md.address()), 64);
    }

    private DnnlHandle reorder(DnnlHandle fromMd, MemorySegment from, DnnlHandle toMd, MemorySegment to, ExecArgs args) {
        DnnlHandle pd = resources.add(Dnnl.reorderDesc(fromMd.address(), toMd.address(), rnn.attr));
        MemorySegment scratchpadMd = Dnnl.argumentDesc(pd, DNNL_ARG_SCRATCHPAD);
        args.add(DNNL_ARG_FROM, resources.add(Dnnl.memory(fromMd.address(), from)))
                .add(DNNL_ARG_TO, resources.add(Dnnl.memory(toMd.address(), to)));
        if (Dnnl.size(scratchpadMd) > 0) {
            args.add(DNNL_ARG_SCRATCHPAD, resources.add(Dnnl.memory(scratchpadMd,
                    arena.allocate(Dnnl.size(scratchpadMd), 64))));
        }
        return resources.add(Dnnl.primitive(pd));
    }

    /** Before a backward's first piece. */
    void zero() {
        for (int l = 0; l < rnn.layers; l++) {
            layer[l].fill((byte) 0);
            iter[l].fill((byte) 0);
            bias[l].fill((byte) 0);
        }
    }

    /** After a backward's last piece: adds the sums to {@code diff}, PyTorch's tensors. */
    void addTo(RnnWeights diff, DnnlHandle stream) {
        for (int l = 0; l < rnn.layers; l++) {
            Dnnl.execute(layerReorder[l], stream, layerReorderArgs[l]);
            Dnnl.execute(iterReorder[l], stream, iterReorderArgs[l]);
        }
        Dnnl.check(dnnl_h.dnnl_stream_wait(stream.address()), "dnnl_stream_wait");
        for (int l = 0; l < rnn.layers; l++) {
            rnn.accumulate(diff, l, plainLayer[l], plainIter[l], bias[l]);
        }
    }

    @Override
    public void close() {
        resources.close();
    }
}
