package dev.jrnn.core.runtime;

/**
 * What a prepared stack is for, which is what auto selection times: the fastest backend for a
 * training step (forward and backward) need not be the fastest for inference over whole
 * sequences, nor for one step at a time at batch 1.
 */
public enum Use {
    /** Forward in training mode and backward, over whole sequences. */
    TRAINING,
    /** Forward in inference mode over whole sequences. */
    INFERENCE,
    /** One time step per call, states carried between calls (streaming, generation). */
    STREAMING
}
