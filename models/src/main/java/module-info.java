/**
 * What users touch: layers, the topologies, training, checkpoints, streaming inference and
 * PyTorch interop (safetensors, {@code .npy}, state_dicts). The backends are services found at
 * run time: add {@code jrnn-simd} and/or {@code jrnn-onednn} beside this module.
 */
module dev.jrnn.models {
    requires transitive dev.jrnn.core;

    exports dev.jrnn.models;
    exports dev.jrnn.models.data;
    exports dev.jrnn.models.io;
    exports dev.jrnn.models.nn;
    exports dev.jrnn.models.stream;
    exports dev.jrnn.models.train;
}
