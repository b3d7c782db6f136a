package dev.jrnn.core.rnn;

import dev.jrnn.core.tensor.FloatTensor;
import java.util.Objects;

/**
 * The tensors of one forward call. Sequences are {@code [T, N, C]} views whose channel axis is
 * contiguous; the T and N strides are free, so a batch-first {@code [N, T, C]} buffer is passed as
 * {@code permute(1, 0, 2)}. States are {@code [L*D, N, H]}.
 *
 * @param srcLayer  input sequence {@code [T, N, I]}
 * @param srcIter   initial hidden state {@code h_0}, or null for zeros
 * @param srcIterC  initial cell state {@code c_0} (LSTM only), or null for zeros
 * @param dstLayer  written: output sequence {@code [T, N, D*H]}, the last layer's {@code h} at every step
 * @param dstIter   written unless null: final hidden states {@code h_n}
 * @param dstIterC  written unless null: final cell states {@code c_n} (LSTM only)
 * @param lengths   null (every sequence is {@code T} steps long) or {@code int[N]}, each in
 *                  {@code [1, T]}, in any order: sequence {@code n} is its first {@code lengths[n]}
 *                  steps (PyTorch's packed sequences, ONNX's {@code sequence_lens}). Its outputs past
 *                  its end are zero; its final states are those after its own last step, which for
 *                  the reverse direction (run over the sequence's own steps, last to first) is its
 *                  first step. Input values past a sequence's end are never read, and backward
 *                  ignores the output gradients there and writes zero input gradients there. Read
 *                  during the call only (the backward uses the forward's lengths).
 */
public record RnnForward(FloatTensor srcLayer, FloatTensor srcIter, FloatTensor srcIterC,
                         FloatTensor dstLayer, FloatTensor dstIter, FloatTensor dstIterC, int[] lengths) {

    public RnnForward {
        Objects.requireNonNull(srcLayer, "srcLayer");
        Objects.requireNonNull(dstLayer, "dstLayer");
    }

    /** Every sequence {@code T} steps long. */
    public RnnForward(FloatTensor srcLayer, FloatTensor srcIter, FloatTensor srcIterC,
                      FloatTensor dstLayer, FloatTensor dstIter, FloatTensor dstIterC) {
        this(srcLayer, srcIter, srcIterC, dstLayer, dstIter, dstIterC, null);
    }

    /** Zero initial states, final states not wanted. */
    public static RnnForward of(FloatTensor srcLayer, FloatTensor dstLayer) {
        return new RnnForward(srcLayer, null, null, dstLayer, null, null, null);
    }

    public RnnForward withInitialState(FloatTensor h0, FloatTensor c0) {
        return new RnnForward(srcLayer, h0, c0, dstLayer, dstIter, dstIterC, lengths);
    }

    public RnnForward withFinalState(FloatTensor hn, FloatTensor cn) {
        return new RnnForward(srcLayer, srcIter, srcIterC, dstLayer, hn, cn, lengths);
    }

    /** Per-sequence lengths (null: all {@code T}). */
    public RnnForward withLengths(int[] sequenceLengths) {
        return new RnnForward(srcLayer, srcIter, srcIterC, dstLayer, dstIter, dstIterC, sequenceLengths);
    }
}
