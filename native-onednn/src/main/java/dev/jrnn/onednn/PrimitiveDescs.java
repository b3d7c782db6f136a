package dev.jrnn.onednn;

import static java.lang.foreign.MemorySegment.NULL;

import dev.jrnn.core.rnn.CellKind;
import java.lang.foreign.MemorySegment;

/**
 * Creates the forward and backward primitive descriptors of one single-layer RNN from the memory
 * descriptors given ({@code iterC}: the LSTM cell state's, f32 in every precision); the weights'
 * are {@code any}, so oneDNN chooses their layout. The backward (float32 only) takes one state
 * descriptor, {@code srcIter}'s. Every other
 * gradient has the descriptor of what it is the gradient of; the weight gradients' are given
 * ({@code ldigo}), and the backward adds to them rather than overwriting them, so that the pieces
 * of one call accumulate into one buffer ({@link WeightGradients}).
 */
record PrimitiveDescs(CellKind cell, int direction, DnnlHandle srcLayer, DnnlHandle dstLayer, DnnlHandle srcIter,
                      DnnlHandle dstIter, DnnlHandle iterC, DnnlHandle bias, DnnlHandle weightsLayer,
                      DnnlHandle weightsIter, DnnlHandle diffWeightsLayer, DnnlHandle diffWeightsIter, DnnlHandle attr) {

    DnnlHandle forward(int propKind) {
        MemorySegment engine = Dnnl.engine();
        MemorySegment src = srcLayer.address(), dst = dstLayer.address(), b = bias.address();
        MemorySegment si = srcIter.address(), di = dstIter.address(), c = iterC.address();
        MemorySegment wl = weightsLayer.address(), wi = weightsIter.address(), a = attr.address();
        return switch (cell) {
            case RNN_TANH, RNN_RELU -> DnnlHandle.create("primitive_desc", "dnnl_vanilla_rnn_forward_primitive_desc_create",
                    out -> dnnl_h.dnnl_vanilla_rnn_forward_primitive_desc_create(out, engine, propKind, activation(),
                            direction, src, si, wl, wi, b, dst, di, 0, 0f, 0f, a),
                    dnnl_h::dnnl_primitive_desc_destroy);
            case LSTM -> DnnlHandle.create("primitive_desc", "dnnl_lstm_forward_primitive_desc_create",
                    out -> dnnl_h.dnnl_lstm_forward_primitive_desc_create(out, engine, propKind, direction,
                            src, si, c, wl, wi, NULL, NULL, b, dst, di, c, 0, a),
                    dnnl_h::dnnl_primitive_desc_destroy);
            case GRU -> DnnlHandle.create("primitive_desc", "dnnl_lbr_gru_forward_primitive_desc_create",
                    out -> dnnl_h.dnnl_lbr_gru_forward_primitive_desc_create(out, engine, propKind, direction,
                            src, si, wl, wi, b, dst, di, 0, a),
                    dnnl_h::dnnl_primitive_desc_destroy);
        };
    }

    /** The backward descriptor; {@code hint} is the forward-training descriptor it pairs with. */
    DnnlHandle backward(DnnlHandle hint) {
        MemorySegment engine = Dnnl.engine();
        MemorySegment src = srcLayer.address(), dst = dstLayer.address(), it = srcIter.address(), b = bias.address();
        MemorySegment wl = weightsLayer.address(), wi = weightsIter.address(), a = attr.address(), h = hint.address();
        MemorySegment dwl = diffWeightsLayer.address(), dwi = diffWeightsIter.address();
        int prop = dnnl_h.dnnl_backward;
        int flags = 0; // accumulate: the pieces of a call add to the same weight gradients
        return switch (cell) {
            case RNN_TANH, RNN_RELU -> DnnlHandle.create("primitive_desc", "dnnl_vanilla_rnn_backward_primitive_desc_create",
                    out -> dnnl_h.dnnl_vanilla_rnn_backward_primitive_desc_create(out, engine, prop, activation(),
                            direction, src, it, wl, wi, b, dst, it, src, it, dwl, dwi, b, dst, it, flags, 0f, 0f, h, a),
                    dnnl_h::dnnl_primitive_desc_destroy);
            case LSTM -> DnnlHandle.create("primitive_desc", "dnnl_lstm_backward_primitive_desc_create",
                    out -> dnnl_h.dnnl_lstm_backward_primitive_desc_create(out, engine, prop, direction,
                            src, it, it, wl, wi, NULL, NULL, b, dst, it, it,
                            src, it, it, dwl, dwi, NULL, NULL, b, dst, it, it, flags, h, a),
                    dnnl_h::dnnl_primitive_desc_destroy);
            case GRU -> DnnlHandle.create("primitive_desc", "dnnl_lbr_gru_backward_primitive_desc_create",
                    out -> dnnl_h.dnnl_lbr_gru_backward_primitive_desc_create(out, engine, prop, direction,
                            src, it, wl, wi, b, dst, it, src, it, dwl, dwi, b, dst, it, flags, h, a),
                    dnnl_h::dnnl_primitive_desc_destroy);
        };
    }

    private int activation() {
        return cell == CellKind.RNN_RELU ? dnnl_h.dnnl_eltwise_relu : dnnl_h.dnnl_eltwise_tanh;
    }
}
