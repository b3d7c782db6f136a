package dev.jrnn.models.nn;

import dev.jrnn.core.runtime.DenseBackends;
import dev.jrnn.core.spi.DenseKernels;

import dev.jrnn.core.tensor.FloatTensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A layer or a model made of layers, as PyTorch's {@code nn.Module}: it registers its own
 * parameters and its child modules under names, and the whole tree's parameters are named by their
 * dotted paths ({@code encoder.rnn.weight_ih_l0}, {@code decoder.out.weight}), in registration
 * order. Names are unique by construction (a second registration of a name is refused), so
 * {@link #stateDict()} is a whole model's weights under PyTorch's names and
 * {@link #loadStateDict} puts each tensor back where it came from.
 *
 * <p>{@link #train()} and {@link #eval()} set the mode of the module and every module below it:
 * dropout is active in training mode only. A new module is in training mode.
 *
 * <p>{@link #dense(DenseKernels)} runs the tree's dense work (products, gathers, attention) on
 * given kernels, as PyTorch's {@code .to(device)} moves a whole model; by default each module uses
 * {@link DenseBackends#kernels()}.
 *
 * <p>Generators ({@link Rng}) registered by a module (dropout's) are part of the training state: a
 * checkpoint saves them under {@link #randomGenerators()}'s names, so resuming draws the same masks.
 */
public abstract class Module {

    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /**
     * Closes {@code model} if it holds native resources: the topology models are
     * {@link AutoCloseable} (their recurrent layers' prepared plans) and their close throws nothing
     * checked; other modules hold none.
     */
    public static void closeIfNeeded(Module model) {
        if (model instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + model.getClass().getSimpleName() + " failed", e);
            }
        }
    }

    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, Rng> generators = new LinkedHashMap<>();
    private boolean training = true;
    /** The dense kernels this module runs on, or null before the first use: then {@link DenseBackends#kernels()}. */
    private volatile DenseKernels kernels;

    /** What {@link #loadStateDict} did not match: names the model has and the map lacks, and the reverse. */
    public record LoadResult(List<String> missing, List<String> unexpected) {
    }

    private String checkName(String name, String what) {
        Objects.requireNonNull(name, what + " name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " name '" + name + "' is not an identifier (letters, digits, _; "
                    + "dots separate the levels of the tree and are added by it)");
        }
        if (parameters.containsKey(name) || children.containsKey(name) || generators.containsKey(name)) {
            throw new IllegalArgumentException(getClass().getSimpleName() + " already has something named '" + name + "'");
        }
        return name;
    }

    /** Registers {@code parameter} under {@code name} (unique within this module); returns it. */
    protected final Parameter register(String name, Parameter parameter) {
        parameters.put(checkName(name, "parameter"), Objects.requireNonNull(parameter, "parameter"));
        return parameter;
    }

    /** Registers {@code child} under {@code name}; null registers nothing (an optional part). Returns the child. */
    protected final <M extends Module> M register(String name, M child) {
        if (child == null) {
            return null;
        }
        if (child == this) {
            throw new IllegalArgumentException("a module cannot be its own child");
        }
        children.put(checkName(name, "module"), child);
        return child;
    }

    /** Registers a random generator whose state checkpoints save; returns it. */
    protected final Rng register(String name, Rng generator) {
        generators.put(checkName(name, "generator"), Objects.requireNonNull(generator, "generator"));
        return generator;
    }

    /** Replaces the child registered under {@code name} (or registers it); null removes it. Returns the child. */
    protected final <M extends Module> M replace(String name, M child) {
        children.remove(name);
        return register(name, child);
    }

    /** The direct children, by name, in registration order. */
    public final Map<String, Module> namedChildren() {
        return Collections.unmodifiableMap(children);
    }

    /** This module (under "") and every module below it, by dotted path, parents before children. */
    public final Map<String, Module> namedModules() {
        Map<String, Module> out = new LinkedHashMap<>();
        collectModules("", this, out, new IdentityHashMap<>());
        return out;
    }

    private static void collectModules(String path, Module m, Map<String, Module> out, Map<Module, String> seen) {
        String before = seen.putIfAbsent(m, path);
        if (before != null) {
            throw new IllegalStateException("the module at '" + path + "' is also at '" + before
                    + "': a module has one place in a tree (its parameters would have two names)");
        }
        out.put(path, m);
        m.children.forEach((name, child) -> collectModules(path.isEmpty() ? name : path + "." + name, child, out, seen));
    }

    /**
     * Every parameter of the tree by its dotted name, in registration order (a module's own
     * parameters, then its children's). A parameter reachable under two names is refused: it would
     * be saved twice and updated twice.
     */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        Map<Parameter, String> seen = new IdentityHashMap<>();
        namedModules().forEach((path, m) -> m.parameters.forEach((name, p) -> {
            String full = path.isEmpty() ? name : path + "." + name;
            String before = seen.putIfAbsent(p, full);
            if (before != null) {
                throw new IllegalStateException("parameter '" + full + "' is the same tensor as '" + before + "'");
            }
            out.put(full, p);
        }));
        return out;
    }

    /** Every trainable parameter of the tree, in {@link #namedParameters()} order. */
    public final List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** The random generators of the tree by dotted name ({@code rnn.dropout_l0.generator}). */
    public final Map<String, Rng> randomGenerators() {
        Map<String, Rng> out = new LinkedHashMap<>();
        namedModules().forEach((path, m) -> m.generators.forEach((name, g) -> out.put(path.isEmpty() ? name : path + "." + name, g)));
        return out;
    }

    public void zeroGrad() {
        parameters().forEach(Parameter::zeroGrad);
    }

    /** Training mode ({@code true}: dropout active) or evaluation mode, for this module and all below it. */
    public Module train(boolean value) {
        for (Module m : namedModules().values()) {
            m.training = value;
        }
        return this;
    }

    public Module train() {
        return train(true);
    }

    /** Evaluation mode: dropout off, for this module and all below it. */
    public Module eval() {
        return train(false);
    }

    /** Runs the dense work of this module and every module below it on {@code kernels} from now on. */
    public Module dense(DenseKernels kernels) {
        Objects.requireNonNull(kernels, "kernels");
        namedModules().values().forEach(m -> m.kernels = kernels);
        this.kernels = kernels;
        return this;
    }

    /** The dense kernels this module runs on: {@link #dense}'s, else the process's default. */
    protected final DenseKernels kernels() {
        DenseKernels k = kernels;
        if (k == null) {
            k = kernels = DenseBackends.kernels();
        }
        return k;
    }

    public final boolean isTraining() {
        return training;
    }

    /**
     * The whole model's weights by dotted name, in registration order: live views of the
     * parameters (as PyTorch's {@code state_dict()}), so copy them to keep a snapshot.
     */
    public final Map<String, FloatTensor> stateDict() {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        namedParameters().forEach((name, p) -> out.put(name, p.value()));
        return out;
    }

    /**
     * Copies {@code state}'s tensors into the parameters of the same names. Shapes must match
     * (always checked). {@code strict}: every parameter must be in {@code state} and every name of
     * {@code state} must be a parameter, else {@link IllegalArgumentException} listing the missing
     * and the unexpected names; not strict, those are skipped and returned. Nothing is copied unless
     * everything checks, so a refused load leaves the model as it was.
     */
    public final LoadResult loadStateDict(Map<String, FloatTensor> state, boolean strict) {
        Map<String, Parameter> mine = namedParameters();
        List<String> missing = new ArrayList<>(), unexpected = new ArrayList<>(), misshapen = new ArrayList<>();
        mine.forEach((name, p) -> {
            FloatTensor t = state.get(name);
            if (t == null) {
                missing.add(name);
            } else if (!t.shape().equals(p.value().shape())) {
                misshapen.add(name + " is " + t.shape() + " in the state dict but " + p.value().shape() + " in the model");
            }
        });
        state.keySet().stream().filter(k -> !mine.containsKey(k)).forEach(unexpected::add);
        List<String> problems = new ArrayList<>();
        if (strict && !missing.isEmpty()) {
            problems.add("missing key(s): " + String.join(", ", missing));
        }
        if (strict && !unexpected.isEmpty()) {
            problems.add("unexpected key(s): " + String.join(", ", unexpected));
        }
        if (!misshapen.isEmpty()) {
            problems.add("size mismatch: " + String.join("; ", misshapen));
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("cannot load the state dict into " + getClass().getSimpleName() + ": "
                    + String.join("; ", problems));
        }
        mine.forEach((name, p) -> {
            FloatTensor t = state.get(name);
            if (t != null) {
                p.value().copyFrom(t);
                p.changed();
            }
        });
        return new LoadResult(List.copyOf(missing), List.copyOf(unexpected));
    }

    /** The tree, one line per module with its own parameters' shapes (as PyTorch prints a model). */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        namedModules().forEach((path, m) -> {
            int depth = path.isEmpty() ? 0 : path.split("\\.").length;
            sb.append("  ".repeat(depth)).append(path.isEmpty() ? "" : path.substring(path.lastIndexOf('.') + 1) + ": ")
                    .append(m.getClass().getSimpleName());
            m.parameters.forEach((name, p) -> sb.append(' ').append(name).append(p.value().shape()));
            sb.append('\n');
        });
        return sb.toString();
    }
}
