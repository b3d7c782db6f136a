package dev.jrnn.bench;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;

/** The layer workloads of issue 3: f32, one layer; T steps, N batch, I input, H hidden. */
public enum Workload {
    W1(CellKind.LSTM, Direction.UNIDIRECTIONAL, 50, 1, 64, 128, false),
    W2(CellKind.LSTM, Direction.UNIDIRECTIONAL, 100, 1, 256, 256, false),
    W3(CellKind.LSTM, Direction.UNIDIRECTIONAL, 50, 64, 256, 512, false),
    W4_GRU(CellKind.GRU, Direction.UNIDIRECTIONAL, 100, 1, 256, 256, false),
    W4_RNN(CellKind.RNN_TANH, Direction.UNIDIRECTIONAL, 100, 1, 256, 256, false),
    W5(CellKind.LSTM, Direction.UNIDIRECTIONAL, 35, 32, 128, 256, true),
    W6(CellKind.LSTM, Direction.BIDIRECTIONAL, 100, 8, 128, 256, false);

    final RnnDescriptor descriptor;
    /** One training step (forward and backward) rather than an inference forward. */
    final boolean training;

    Workload(CellKind cell, Direction direction, int t, int n, int i, int h, boolean training) {
        this.descriptor = new RnnDescriptor(cell, 1, direction, t, n, i, h);
        this.training = training;
    }

    /**
     * Floating-point operations of the matrix products: forward {@code 2 T N G H (I + H)} per
     * direction; a training step adds the backward's three products of the same size.
     */
    public double flops() {
        RnnDescriptor d = descriptor;
        double forward = 2.0 * d.steps() * d.batch() * d.gates() * d.hiddenSize()
                * (d.inputSize() + d.hiddenSize()) * d.directions();
        return training ? 3 * forward : forward;
    }
}
