package dev.jrnn.core.rnn;

import dev.jrnn.core.tensor.FloatTensor;
import java.util.Objects;

/**
 * The tensors of one backward call: the gradient of a loss with respect to the forward's outputs
 * in, the gradients with respect to its inputs and parameters out. Shapes and strides as in
 * {@link RnnForward}; {@code T}, {@code N} and the sequence lengths are the forward's: output
 * gradients past a sequence's end are ignored, input gradients there are written as zero, and
 * {@code diffDstIter} is the gradient of each sequence's own final state.
 *
 * <p>{@code diffSrc*} are overwritten; {@code diffWeights} is <em>accumulated</em> into (as oneDNN
 * and PyTorch do), so gradients of several chunks or sequences add up: zero it to start afresh.
 *
 * @param diffDstLayer  gradient w.r.t. the output sequence {@code [T, N, D*H]}
 * @param diffDstIter   gradient w.r.t. {@code h_n}, or null for zeros
 * @param diffDstIterC  gradient w.r.t. {@code c_n} (LSTM), or null for zeros
 * @param diffSrcLayer  written unless null: gradient w.r.t. the input sequence {@code [T, N, I]}
 * @param diffSrcIter   written unless null: gradient w.r.t. {@code h_0}
 * @param diffSrcIterC  written unless null: gradient w.r.t. {@code c_0} (LSTM)
 * @param diffWeights   accumulated unless null: gradients w.r.t. every weight and bias
 */
public record RnnBackward(FloatTensor diffDstLayer, FloatTensor diffDstIter, FloatTensor diffDstIterC,
                          FloatTensor diffSrcLayer, FloatTensor diffSrcIter, FloatTensor diffSrcIterC,
                          RnnWeights diffWeights) {

    public RnnBackward {
        Objects.requireNonNull(diffDstLayer, "diffDstLayer");
    }

    /** Gradient of the output sequence in; input and weight gradients out (either may be null). */
    public static RnnBackward of(FloatTensor diffDstLayer, FloatTensor diffSrcLayer, RnnWeights diffWeights) {
        return new RnnBackward(diffDstLayer, null, null, diffSrcLayer, null, null, diffWeights);
    }

    public RnnBackward withFinalStateGradients(FloatTensor diffHn, FloatTensor diffCn) {
        return new RnnBackward(diffDstLayer, diffHn, diffCn, diffSrcLayer, diffSrcIter, diffSrcIterC, diffWeights);
    }

    public RnnBackward withInitialStateGradients(FloatTensor diffH0, FloatTensor diffC0) {
        return new RnnBackward(diffDstLayer, diffDstIter, diffDstIterC, diffSrcLayer, diffH0, diffC0, diffWeights);
    }
}
