package dev.jrnn.core.rnn;

/**
 * The recurrent cells, with PyTorch's equations and gate order (the order of the rows of
 * {@code weight_ih} and {@code weight_hh}).
 *
 * <pre>
 * RNN_TANH  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)
 * RNN_RELU  h' = relu(W_ih x + b_ih + W_hh h + b_hh)
 * LSTM      i, f, g, o = sigma, sigma, tanh, sigma of (W_ih x + b_ih + W_hh h + b_hh), split in 4
 *           c' = f * c + i * g;  h' = o * tanh(c')
 * GRU       r = sigma(W_ir x + b_ir + W_hr h + b_hr);  z = sigma(W_iz x + b_iz + W_hz h + b_hz)
 *           n = tanh(W_in x + b_in + r * (W_hn h + b_hn));  h' = (1 - z) * n + z * h
 * </pre>
 *
 * GRU is the linear-before-reset variant (oneDNN's {@code lbr_gru}, Keras' {@code reset_after=True}).
 */
public enum CellKind {
    RNN_TANH(1),
    RNN_RELU(1),
    LSTM(4),
    GRU(3);

    private final int gates;

    CellKind(int gates) {
        this.gates = gates;
    }

    /** Number of gates G: the weight matrices have {@code G * hiddenSize} rows. */
    public int gates() {
        return gates;
    }

    /** True for LSTM, the only cell with a cell state {@code c}. */
    public boolean hasCellState() {
        return this == LSTM;
    }
}
