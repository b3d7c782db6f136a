package dev.jrnn.models.train;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.io.SafeTensors;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Training checkpoints: the parameters under their names, the optimizer's memory under
 * {@code optimizer.<name>.<buffer>}, and the step count and learning rate as metadata, in one
 * safetensors file written atomically (an interrupted save leaves the previous checkpoint whole).
 * Loading into a model and optimizer of the same shape resumes training exactly where it stopped.
 */
public final class Checkpoint {

    private static final String OPTIMIZER = "optimizer.";

    private Checkpoint() {
    }

    public static void save(Path path, Module model, Optimizer optimizer, Map<String, String> info) throws IOException {
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        for (Parameter p : model.parameters()) {
            tensors.put(p.name(), p.value());
        }
        optimizer.state().forEach((name, values) -> tensors.put(OPTIMIZER + name, FloatTensor.of(values, values.length)));
        Map<String, String> metadata = new LinkedHashMap<>(info);
        metadata.put("format", "jrnn-checkpoint-1");
        metadata.put("steps", Long.toString(optimizer.steps()));
        metadata.put("learning_rate", Double.toString(optimizer.learningRate()));
        SafeTensors.write(path, tensors, metadata);
    }

    /** Restores {@code model} and {@code optimizer} from {@code path}; returns the metadata. */
    public static Map<String, String> load(Path path, Module model, Optimizer optimizer) throws IOException {
        Map<String, String> metadata = SafeTensors.metadata(path);
        if (!"jrnn-checkpoint-1".equals(metadata.get("format"))) {
            throw new IOException(path + ": not a jrnn checkpoint (format " + metadata.get("format") + ")");
        }
        Map<String, FloatTensor> tensors = SafeTensors.read(path);
        for (Parameter p : model.parameters()) {
            FloatTensor saved = tensors.get(p.name());
            if (saved == null || !saved.shape().equals(p.value().shape())) {
                throw new IOException(path + ": parameter " + p + " is " + (saved == null ? "missing" : saved.shape()));
            }
            p.value().copyFrom(saved);
            p.changed();
        }
        Map<String, float[]> state = new LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            if (name.startsWith(OPTIMIZER)) {
                state.put(name.substring(OPTIMIZER.length()), t.toArray());
            }
        });
        try {
            optimizer.restore(state, Long.parseLong(metadata.get("steps")));
        } catch (IllegalArgumentException e) {
            throw new IOException(path + ": " + e.getMessage());
        }
        optimizer.learningRate(Double.parseDouble(metadata.get("learning_rate")));
        return metadata;
    }
}
