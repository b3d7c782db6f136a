package dev.jrnn.core.rnn;

/** Forward propagation for inference only, or for training (keeps what backward needs in the workspace). */
public enum Mode {
    INFERENCE,
    TRAINING
}
