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
 * {@link OneDnnRnn#weightsIn}. The primitives are made when first needed, in two parts
 * ({@link #make}): inference, or training with its backward; a size only ever predicted makes
 * (and holds the code of) a third of them. Owned by one {@link OneDnnExecution}; closing it frees
 * them.
 */
final class OneDnnShape implements AutoCloseable {

    final int steps, batch;
    final Layer[] layer;
    private final OneDnnRnn rnn;
    private final boolean[] made = new boolean[2];
    private final Resources resources = new Resources();

    /** The primitives of one layer. */
    final class Layer {
        /** f32, the layouts of the execution's buffers (and of every training argument). */
        final DnnlHandle srcLayerMd, dstLayerMd, iterMd;
        /**
         * What the inference primitive reads and writes: the same handles in float32; in a reduced
         * precision, inputs, outputs and {@code h} states in the types of {@link OneDnnRnn}'s class
         * comment ({@code c} stays {@code iterMd}), converted by {@link OneDnnExecution}.
         */
        final DnnlHandle srcLayerData, dstLayerData, srcIterData, dstIterData;
        final DnnlHandle[] pd = new DnnlHandle[3];
        final DnnlHandle[] primitive = new DnnlHandle[3];
        final MemorySegment[] weightsLayer = new MemorySegment[3], weightsIter = new MemorySegment[3];
        private final int index;

        Layer(int index) {
            this.index = index;
            int dirs = rnn.dirs, hidden = rnn.hidden;
            int in = index == 0 ? rnn.architecture().inputSize() : dirs * hidden;
            srcLayerMd = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_tnc, steps, batch, in));
            dstLayerMd = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_tnc, steps, batch, (long) dirs * hidden));
            iterMd = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_ldnc, 1, dirs, batch, hidden));
            switch (rnn.precision) {
                case FLOAT32 -> {
                    srcLayerData = srcLayerMd;
                    dstLayerData = dstLayerMd;
                    srcIterData = iterMd;
                    dstIterData = iterMd;
                }
                case BF16 -> {
                    srcLayerData = resources.add(Dnnl.typedMemoryDesc(dnnl_h.dnnl_bf16, dnnl_h.dnnl_tnc, steps, batch, in));
                    dstLayerData = resources.add(Dnnl.typedMemoryDesc(dnnl_h.dnnl_bf16, dnnl_h.dnnl_tnc, steps, batch,
                            (long) dirs * hidden));
                    srcIterData = resources.add(Dnnl.typedMemoryDesc(dnnl_h.dnnl_bf16, dnnl_h.dnnl_ldnc, 1, dirs, batch, hidden));
                    dstIterData = srcIterData;
                }
                case INT8 -> { // u8 in; f32 states and outputs (oneDNN quantizes and dequantizes them itself)
                    srcLayerData = resources.add(Dnnl.typedMemoryDesc(dnnl_h.dnnl_u8, dnnl_h.dnnl_tnc, steps, batch, in));
                    dstLayerData = dstLayerMd;
                    srcIterData = iterMd;
                    dstIterData = iterMd;
                }
                default -> throw new AssertionError(rnn.precision);
            }
        }

        /** Makes the primitives of {@code part}: {@code INFERENCE}, or {@code TRAINING} and {@code BACKWARD}. */
        private void make(int part) {
            int dirs = rnn.dirs, hidden = rnn.hidden, gates = rnn.gates;
            int in = index == 0 ? rnn.architecture().inputSize() : dirs * hidden;
            int direction = dirs == 2 ? dnnl_h.dnnl_bidirectional_concat : dnnl_h.dnnl_unidirectional_left2right;
            int weightsType = part == INFERENCE ? rnn.weightsType : dnnl_h.dnnl_f32;
            try (DnnlHandle anyLayer = Dnnl.typedMemoryDesc(weightsType, dnnl_h.dnnl_format_tag_any, 1, dirs, in, gates, hidden);
                 DnnlHandle anyIter = Dnnl.typedMemoryDesc(weightsType, dnnl_h.dnnl_format_tag_any, 1, dirs, hidden, gates, hidden)) {
                if (part == INFERENCE) {
                    PrimitiveDescs descs = new PrimitiveDescs(rnn.cell, direction, srcLayerData, dstLayerData,
                            srcIterData, dstIterData, iterMd, rnn.biasMd[index], anyLayer, anyIter, null, null,
                            rnn.attr(index));
                    pd[INFERENCE] = resources.add(descs.forward(dnnl_h.dnnl_forward_inference));
                } else {
                    PrimitiveDescs descs = new PrimitiveDescs(rnn.cell, direction, srcLayerMd, dstLayerMd, iterMd,
                            iterMd, iterMd, rnn.biasMd[index], anyLayer, anyIter, rnn.diffLayerMd[index],
                            rnn.diffIterMd[index], rnn.attr);
                    pd[TRAINING] = resources.add(descs.forward(dnnl_h.dnnl_forward_training));
                    pd[BACKWARD] = resources.add(descs.backward(pd[TRAINING]));
                }
            }
            for (int prop : props(part)) {
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

    /** The memory descriptors of {@code steps} by {@code batch}; no primitive yet. */
    OneDnnShape(OneDnnRnn rnn, int steps, int batch) {
        this.rnn = rnn;
        this.steps = steps;
        this.batch = batch;
        try {
            layer = new Layer[rnn.layers];
            for (int l = 0; l < rnn.layers; l++) {
                layer[l] = new Layer(l);
            }
        } catch (RuntimeException | Error e) {
            resources.close();
            throw e;
        }
    }

    /** The kinds of primitive in {@code part}. */
    static int[] props(int part) {
        return part == INFERENCE ? new int[] {INFERENCE} : new int[] {TRAINING, BACKWARD};
    }

    /** Whether the primitives of {@code part} ({@code INFERENCE} or {@code TRAINING}) are made. */
    boolean has(int part) {
        return made[part];
    }

    /**
     * Makes every layer's primitives of {@code part} ({@code INFERENCE}, or {@code TRAINING} with
     * {@code BACKWARD}) unless they are made, and returns the largest scratchpad they ask for, in
     * bytes. On failure the shape is unusable: close it.
     */
    long make(int part) {
        long scratch = 0;
        for (Layer l : layer) {
            if (!made[part]) {
                l.make(part);
            }
            for (int prop : props(part)) {
                scratch = Math.max(scratch, Dnnl.size(Dnnl.argumentDesc(l.pd[prop], DNNL_ARG_SCRATCHPAD)));
            }
        }
        made[part] = true;
        return scratch;
    }

    @Override
    public void close() {
        resources.close();
    }
}
