package dev.jrnn.bench;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;

/**
 * The layer workloads of issues 3 and 16: f32, one layer; T steps, N batch, I input, H hidden.
 * W7 has 8 MiB of weights (its 4 MiB of recurrent ones streamed every step, past any core's L2); W8's
 * recurrent weights (48 KiB) nearly fit in L1.
 */
public enum Workload {
    W1(CellKind.LSTM, Direction.UNIDIRECTIONAL, 50, 1, 64, 128, false),
    W2(CellKind.LSTM, Direction.UNIDIRECTIONAL, 100, 1, 256, 256, false),
    W3(CellKind.LSTM, Direction.UNIDIRECTIONAL, 50, 64, 256, 512, false),
    W4_GRU(CellKind.GRU, Direction.UNIDIRECTIONAL, 100, 1, 256, 256, false),
    W4_RNN(CellKind.RNN_TANH, Direction.UNIDIRECTIONAL, 100, 1, 256, 256, false),
    W5(CellKind.LSTM, Direction.UNIDIRECTIONAL, 35, 32, 128, 256, true),
    W6(CellKind.LSTM, Direction.BIDIRECTIONAL, 100, 8, 128, 256, false),
    W7(CellKind.LSTM, Direction.UNIDIRECTIONAL, 200, 1, 512, 512, false),
    W8(CellKind.GRU, Direction.UNIDIRECTIONAL, 1000, 1, 32, 64, false);

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

    /** Bytes of recurrent weights ({@code G H x H} floats per direction) a step streams at batch 1. */
    public double recurrentWeightBytes() {
        RnnDescriptor d = descriptor;
        return 4.0 * d.gates() * d.hiddenSize() * d.hiddenSize() * d.directions();
    }

    /**
     * Issue 16's batch-1 bound B1 in seconds: the recurrent weights streamed once per step at
     * {@code bytesPerSecond}, plus the input projection ({@code 2 T N G H I} per direction) at
     * {@code flopsPerSecond}.
     */
    public double streamingBound(double bytesPerSecond, double flopsPerSecond) {
        RnnDescriptor d = descriptor;
        double projection = 2.0 * d.steps() * d.batch() * d.gates() * d.hiddenSize() * d.inputSize() * d.directions();
        return d.steps() * recurrentWeightBytes() / bytesPerSecond + projection / flopsPerSecond;
    }
}
