package dev.jrnn.models.train;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.ModelDescription;
import dev.jrnn.models.io.SafeTensors;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Parameter;
import dev.jrnn.models.nn.Rng;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Training checkpoints, one safetensors file written atomically (an interrupted save leaves the
 * previous checkpoint whole):
 * <ul>
 * <li>the model's {@link Module#stateDict()} under its dotted names (so the file is also a
 * PyTorch-style state dict);</li>
 * <li>the optimizer's memory under {@code optimizer.<name>.<buffer>};</li>
 * <li>metadata: the step count, the learning rate, and the state of every random generator, the
 * model's ({@link Module#randomGenerators()}: dropout) and the caller's (the training loop's
 * shuffling), as {@code random.<name>}; and the caller's own entries.</li>
 * </ul>
 * Loading into a model and optimizer of the same shape resumes training bitwise where it stopped,
 * dropout masks and batch order included. A name twice (a model whose parameters are not uniquely
 * named, an optimizer over other parameters than the model's) is refused when saving.
 */
public final class Checkpoint {

    static final String FORMAT = "jrnn-checkpoint-2";
    private static final String OPTIMIZER = "optimizer.", RANDOM = "random.";

    private Checkpoint() {
    }

    /**
     * Saves {@code model}'s parameters and generators, {@code optimizer}'s state (null: none, a
     * checkpoint for inference) and the caller's {@code info}, atomically.
     */
    public static void save(Path path, Module model, Optimizer optimizer, Map<String, String> info) throws IOException {
        save(path, model, optimizer, info, Map.of());
    }

    /** As {@link #save(Path, Module, Optimizer, Map)}, with the state of the caller's {@code generators} too. */
    public static void save(Path path, Module model, Optimizer optimizer, Map<String, String> info,
                            Map<String, Rng> generators) throws IOException {
        Contents c = contents(model, optimizer, info, generators);
        SafeTensors.write(path, c.tensors(), c.metadata());
    }

    /** What a checkpoint file holds: its tensors and its metadata. */
    private record Contents(Map<String, FloatTensor> tensors, Map<String, String> metadata) {
    }

    private static Contents contents(Module model, Optimizer optimizer, Map<String, String> info, Map<String, Rng> generators) {
        if (optimizer != null) {
            checkOptimizer(model, optimizer);
        }
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        model.stateDict().forEach((name, t) -> put(tensors, name, t, "tensor"));
        Map<String, String> metadata = new LinkedHashMap<>();
        put(metadata, "format", FORMAT, "metadata key");
        if (optimizer != null) {
            optimizer.state().forEach((name, values) -> put(tensors, OPTIMIZER + name, FloatTensor.of(values, values.length), "tensor"));
            put(metadata, "steps", Long.toString(optimizer.steps()), "metadata key");
            put(metadata, "learning_rate", Double.toString(optimizer.learningRate()), "metadata key");
        }
        randomGenerators(model, generators).forEach((name, g) -> put(metadata, RANDOM + name, Long.toString(g.state()), "metadata key"));
        info.forEach((k, v) -> put(metadata, k, v, "metadata key"));
        return new Contents(tensors, metadata);
    }

    private static void checkOptimizer(Module model, Optimizer optimizer) {
        Map<String, Parameter> params = model.namedParameters();
        optimizer.namedParameters().forEach((name, p) -> {
            if (params.get(name) != p) {
                throw new IllegalArgumentException("the optimizer's parameter '" + name + "' is "
                        + (params.containsKey(name) ? "not the model's parameter of that name" : "not in the model")
                        + ": build the optimizer from the model (Optimizer.adam(model, rate))");
            }
        });
    }

    private static <V> void put(Map<String, V> map, String key, V value, String what) {
        if (map.putIfAbsent(key, value) != null) {
            throw new IllegalArgumentException("the checkpoint would hold the " + what + " '" + key + "' twice");
        }
    }

    private static Map<String, Rng> randomGenerators(Module model, Map<String, Rng> extra) {
        Map<String, Rng> all = new LinkedHashMap<>(model.randomGenerators());
        extra.forEach((name, g) -> put(all, name, g, "generator"));
        return all;
    }

    /**
     * Saves {@code model}, one of the topology models ({@link dev.jrnn.models.LanguageModel},
     * {@link dev.jrnn.models.SequenceClassifier}, ...), with its description, so that
     * {@link #loadModel} rebuilds it from the file alone (as {@code jrnn run} and {@code jrnn export}
     * do); {@code optimizer} may be null (a model for inference), else it is saved for resuming.
     * {@code info} is the caller's own metadata (e.g. a vocabulary), returned by {@link #loadModel}.
     */
    public static void saveModel(Path path, Module model, Optimizer optimizer, Map<String, String> info) throws IOException {
        save(path, model, optimizer, described(model, info));
    }

    /**
     * The file {@link #saveModel} would write for inference (no optimizer), as bytes: a model to
     * ship whole, e.g. broadcast to a cluster's executors; {@link #loadModel(byte[], String)} reads it.
     */
    public static byte[] toBytes(Module model, Map<String, String> info) {
        Contents c = contents(model, null, described(model, info), Map.of());
        return SafeTensors.toBytes(c.tensors(), c.metadata());
    }

    private static Map<String, String> described(Module model, Map<String, String> info) {
        Map<String, String> all = new LinkedHashMap<>(ModelDescription.of(model));
        info.forEach((k, v) -> put(all, k, v, "metadata key"));
        return all;
    }

    /** A model rebuilt from a checkpoint, and the checkpoint's metadata. */
    public record SavedModel(Module model, Map<String, String> info) {
    }

    /**
     * The model a {@link #saveModel} checkpoint describes, with its weights, in evaluation mode.
     * A checkpoint without a description, or with a malformed one or weights of other shapes, is an
     * {@link IOException} saying what; nothing is allocated beyond what the file's size allows.
     */
    public static SavedModel loadModel(Path path) throws IOException {
        Map<String, String> metadata = metadata(path);
        Module model = build(metadata, Files.size(path), path.toString());
        loadWeights(path, model);
        return new SavedModel(model, metadata);
    }

    /**
     * As {@link #loadModel(Path)}, from a checkpoint's bytes ({@link #toBytes}, or a file's content);
     * {@code source} names them in messages.
     */
    public static SavedModel loadModel(byte[] bytes, String source) throws IOException {
        Map<String, String> metadata = checkFormat(SafeTensors.metadata(bytes, source), source);
        Module model = build(metadata, bytes.length, source);
        loadStateDict(model, SafeTensors.read(bytes, source, name -> !name.startsWith(OPTIMIZER)), source);
        return new SavedModel(model, metadata);
    }

    /** The model {@code metadata} describes; no larger than a file of {@code bytes} bytes can fill. */
    private static Module build(Map<String, String> metadata, long bytes, String source) throws IOException {
        try {
            return ModelDescription.build(metadata, bytes / Float.BYTES);
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": " + e.getMessage(), e);
        }
    }

    /** As {@link #loadModel(Path)}, checking the model is a {@code type}. */
    public static <M extends Module> M loadModel(Path path, Class<M> type) throws IOException {
        Module model = loadModel(path).model();
        if (!type.isInstance(model)) {
            throw new IOException(path + ": a " + model.getClass().getSimpleName() + ", not a " + type.getSimpleName());
        }
        return type.cast(model);
    }

    /** Restores {@code model} and {@code optimizer} (and the model's generators) from {@code path}; returns the metadata. */
    public static Map<String, String> load(Path path, Module model, Optimizer optimizer) throws IOException {
        return load(path, model, optimizer, Map.of());
    }

    /**
     * Restores {@code model}, {@code optimizer} and every generator (the model's and
     * {@code generators}) from {@code path}; returns the metadata. Everything must match: the
     * parameters by name and shape, the optimizer's buffers, the generators by name (generators
     * saved that the caller does not ask for, e.g. a training loop's, are left alone). If anything
     * does not, {@link IOException} says what, and the model, optimizer and generators are as they were.
     */
    public static Map<String, String> load(Path path, Module model, Optimizer optimizer, Map<String, Rng> generators)
            throws IOException {
        Map<String, String> metadata = metadata(path);
        Map<String, FloatTensor> tensors = SafeTensors.read(path);
        Map<String, FloatTensor> weights = new LinkedHashMap<>();
        Map<String, float[]> state = new LinkedHashMap<>();
        tensors.forEach((name, t) -> {
            if (name.startsWith(OPTIMIZER)) {
                state.put(name.substring(OPTIMIZER.length()), t.toArray());
            } else {
                weights.put(name, t);
            }
        });
        Map<String, Rng> all = randomGenerators(model, generators);
        Map<String, Long> randomStates = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        all.keySet().forEach(name -> {
            Long saved = number(metadata, RANDOM + name, Long::valueOf, "the state of the random generator '" + name + "'",
                    problems);
            if (saved != null) {
                randomStates.put(name, saved);
            }
        });
        // every number is checked before anything changes: a bad one leaves the model and optimizer as they were
        Long steps = number(metadata, "steps", Long::valueOf, "the step count", problems);
        Double learningRate = number(metadata, "learning_rate", Double::valueOf, "the learning rate", problems);
        if (steps != null && steps < 0) {
            problems.add("the step count is negative (" + steps + ")");
        }
        if (learningRate != null && !(learningRate >= 0 && learningRate < Double.POSITIVE_INFINITY)) {
            problems.add("the learning rate is " + learningRate);
        }
        if (!problems.isEmpty()) {
            throw new IOException(path + ": " + String.join("; ", problems));
        }
        Map<String, FloatTensor> before = snapshot(model);
        try {
            model.loadStateDict(weights, true);
            optimizer.restore(state, steps);
        } catch (IllegalArgumentException e) {
            model.loadStateDict(before, true);
            throw new IOException(path + ": " + e.getMessage(), e);
        }
        optimizer.learningRate(learningRate);
        randomStates.forEach((name, s) -> all.get(name).state(s));
        return metadata;
    }

    /** The metadata value {@code key} parsed, or null with a problem added when it is missing or malformed. */
    private static <T> T number(Map<String, String> metadata, String key, java.util.function.Function<String, T> parse,
                                String what, List<String> problems) {
        String value = metadata.get(key);
        if (value == null) {
            problems.add(what + " is missing");
            return null;
        }
        try {
            return parse.apply(value.trim());
        } catch (NumberFormatException e) {
            problems.add(what + " is not a number ('" + (value.length() > 40 ? value.substring(0, 40) + "..." : value)
                    + "')");
            return null;
        }
    }

    /**
     * Loads only the model's weights (strictly: every parameter, nothing else but the optimizer's
     * and generators' state), for inference; returns the metadata.
     */
    public static Map<String, String> loadWeights(Path path, Module model) throws IOException {
        Map<String, String> metadata = metadata(path);
        loadStateDict(model, SafeTensors.read(path, name -> !name.startsWith(OPTIMIZER)), path.toString());
        return metadata;
    }

    private static void loadStateDict(Module model, Map<String, FloatTensor> weights, String source) throws IOException {
        try {
            model.loadStateDict(weights, true);
        } catch (IllegalArgumentException e) {
            throw new IOException(source + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, String> metadata(Path path) throws IOException {
        return checkFormat(SafeTensors.metadata(path), path.toString());
    }

    private static Map<String, String> checkFormat(Map<String, String> metadata, String source) throws IOException {
        String format = metadata.get("format");
        if ("jrnn-checkpoint-1".equals(format)) {
            throw new IOException(source + ": a checkpoint of an older jrnn (jrnn-checkpoint-1), whose parameter names were "
                    + "not unique; it cannot be loaded reliably: train again");
        }
        if (!FORMAT.equals(format)) {
            throw new IOException(source + ": not a jrnn checkpoint (format " + format + ")");
        }
        return metadata;
    }

    private static Map<String, FloatTensor> snapshot(Module model) {
        Map<String, FloatTensor> copy = new LinkedHashMap<>();
        model.stateDict().forEach((name, t) -> copy.put(name, t.copy()));
        return copy;
    }
}
