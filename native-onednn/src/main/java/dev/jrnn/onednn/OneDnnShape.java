package dev.jrnn.onednn;

import static dev.jrnn.onednn.OneDnnRnn.BACKWARD;
import static dev.jrnn.onednn.OneDnnRnn.INFERENCE;
import static dev.jrnn.onednn.OneDnnRnn.TRAINING;
import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_SCRATCHPAD;
import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_WEIGHTS_ITER;
import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_WEIGHTS_LAYER;
import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_WORKSPACE;

import java.lang.foreign.MemorySegment;

/**
 * The primitives of a {@link OneDnnRnn} for one problem size, {@code T} steps by {@code N}
 * sequences: one single-layer primitive per layer and kind (forward inference, forward training,
 * backward; so every layer may have its own input width, which oneDNN's fused multi-layer
 * primitive does not allow), bidirectional layers as {@code bidirectional_concat}. Weights are the
 * plan's, in the layout each primitive chose ({@code format_tag any}): see
 * {@link OneDnnRnn#weightsIn}. Owned by one {@link OneDnnExecution}; closing it frees them.
 */
final class OneDnnShape implements AutoCloseable {

    final int steps, batch;
    final Layer[] layer;
    /** Largest scratchpad any primitive here asks for, in bytes. */
    final long scratchpadBytes;
    private final Resources resources = new Resources();

    /** The primitives of one layer. */
    final class Layer {
        final DnnlHandle srcLayerMd, dstLayerMd, iterMd;
        final DnnlHandle[] pd = new DnnlHandle[3];
        final DnnlHandle[] primitive = new DnnlHandle[3];
        final MemorySegment[] weightsLayer = new MemorySegment[3], weightsIter = new MemorySegment[3];

        Layer(OneDnnRnn rnn, int index) {
            int dirs = rnn.dirs, hidden = rnn.hidden, gates = rnn.gates;
            int in = index == 0 ? rnn.architecture().inputSize() : dirs * hidden;
            srcLayerMd = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_tnc, steps, batch, in));
            dstLayerMd = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_tnc, steps, batch, (long) dirs * hidden));
            iterMd = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_ldnc, 1, dirs, batch, hidden));
            try (DnnlHandle anyLayer = Dnnl.memoryDesc(dnnl_h.dnnl_format_tag_any, 1, dirs, in, gates, hidden);
                 DnnlHandle anyIter = Dnnl.memoryDesc(dnnl_h.dnnl_format_tag_any, 1, dirs, hidden, gates, hidden)) {
                PrimitiveDescs descs = new PrimitiveDescs(rnn.cell, dirs == 2
                        ? dnnl_h.dnnl_bidirectional_concat : dnnl_h.dnnl_unidirectional_left2right, srcLayerMd,
                        dstLayerMd, iterMd, rnn.biasMd[index], anyLayer, anyIter, rnn.diffLayerMd[index], rnn.diffIterMd[index], rnn.attr);
                pd[INFERENCE] = resources.add(descs.forward(dnnl_h.dnnl_forward_inference));
                pd[TRAINING] = resources.add(descs.forward(dnnl_h.dnnl_forward_training));
                pd[BACKWARD] = resources.add(descs.backward(pd[TRAINING]));
            }
            for (int prop = INFERENCE; prop <= BACKWARD; prop++) {
                primitive[prop] = resources.add(Dnnl.primitive(pd[prop]));
                weightsLayer[prop] = rnn.weightsIn(index, DNNL_ARG_WEIGHTS_LAYER, pd[prop]);
                weightsIter[prop] = rnn.weightsIn(index, DNNL_ARG_WEIGHTS_ITER, pd[prop]);
            }
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

    OneDnnShape(OneDnnRnn rnn, int steps, int batch) {
        this.steps = steps;
        this.batch = batch;
        try {
            layer = new Layer[rnn.layers];
            long scratch = 0;
            for (int l = 0; l < rnn.layers; l++) {
                layer[l] = new Layer(rnn, l);
                for (DnnlHandle pd : layer[l].pd) {
                    scratch = Math.max(scratch, Dnnl.size(Dnnl.argumentDesc(pd, DNNL_ARG_SCRATCHPAD)));
                }
            }
            scratchpadBytes = scratch;
        } catch (RuntimeException | Error e) {
            resources.close();
            throw e;
        }
    }

    @Override
    public void close() {
        resources.close();
    }
}
