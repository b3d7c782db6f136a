package dev.jrnn.models.train;

import dev.jrnn.core.runtime.DenseBackends;
import dev.jrnn.core.spi.DenseKernels;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Parameter;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Updates parameters from their gradients: {@link #sgd} (with momentum), {@link #adam} and
 * {@link #adamW} (decoupled weight decay), as in {@code torch.optim}. The learning rate may be
 * changed between steps (a schedule). {@link #clipGradNorm} scales all gradients together.
 *
 * <p>Its memory is kept per parameter name ({@link #state()}: {@code encoder.rnn.weight_ih_l0.exp_avg}),
 * so the names must be unique: give it a {@link Module} (its dotted names) or named parameters; a
 * list is named by {@link Parameter#name()}, and a list with a name twice (the layers of two
 * modules) or one parameter twice is refused.
 */
public abstract class Optimizer {

    protected final List<Parameter> parameters;
    /** {@code names.get(i)} is the name of {@code parameters.get(i)}. */
    protected final List<String> names;
    protected double learningRate;
    private long steps;
    private DenseKernels kernels;

    protected Optimizer(Map<String, Parameter> parameters, double learningRate) {
        Map<Parameter, String> seen = new IdentityHashMap<>();
        parameters.forEach((name, p) -> {
            String before = seen.putIfAbsent(p, name);
            if (before != null) {
                throw new IllegalArgumentException("parameter '" + name + "' is the same tensor as '" + before
                        + "': it would be updated twice a step");
            }
        });
        this.parameters = List.copyOf(parameters.values());
        this.names = List.copyOf(parameters.keySet());
        this.learningRate = learningRate;
    }

    /** The parameters named by {@link Parameter#name()}; a name twice is refused. */
    static Map<String, Parameter> named(List<Parameter> parameters) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (Parameter p : parameters) {
            if (out.putIfAbsent(p.name(), p) != null) {
                throw new IllegalArgumentException("two parameters are named '" + p.name() + "': the optimizer keeps "
                        + "its state by name, so pass the model (Optimizer.adam(model, rate)), whose names are dotted paths");
            }
        }
        return out;
    }

    public static Optimizer sgd(Module model, double learningRate, double momentum) {
        return sgd(model.namedParameters(), learningRate, momentum);
    }

    public static Optimizer sgd(List<Parameter> parameters, double learningRate, double momentum) {
        return sgd(named(parameters), learningRate, momentum);
    }

    public static Optimizer sgd(Map<String, Parameter> parameters, double learningRate, double momentum) {
        return new Sgd(parameters, learningRate, momentum);
    }

    public static Optimizer adam(Module model, double learningRate) {
        return adam(model.namedParameters(), learningRate);
    }

    public static Optimizer adam(List<Parameter> parameters, double learningRate) {
        return adam(named(parameters), learningRate);
    }

    public static Optimizer adam(Map<String, Parameter> parameters, double learningRate) {
        return new Adam(parameters, learningRate, 0.9, 0.999, 1e-8, 0, false);
    }

    public static Optimizer adamW(Module model, double learningRate, double weightDecay) {
        return adamW(model.namedParameters(), learningRate, weightDecay);
    }

    public static Optimizer adamW(List<Parameter> parameters, double learningRate, double weightDecay) {
        return adamW(named(parameters), learningRate, weightDecay);
    }

    public static Optimizer adamW(Map<String, Parameter> parameters, double learningRate, double weightDecay) {
        return new Adam(parameters, learningRate, 0.9, 0.999, 1e-8, weightDecay, true);
    }

    /** The kernels that run the update loops: {@link DenseBackends#kernels()} ({@code -Djrnn.backend}, else auto). */
    protected final DenseKernels kernels() {
        DenseKernels k = kernels;
        if (k == null) {
            k = kernels = DenseBackends.kernels();
        }
        return k;
    }

    /** The parameters it updates, by the names its state uses. */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        for (int i = 0; i < names.size(); i++) {
            out.put(names.get(i), parameters.get(i));
        }
        return out;
    }

    public double learningRate() {
        return learningRate;
    }

    public void learningRate(double rate) {
        learningRate = rate;
    }

    public long steps() {
        return steps;
    }

    /** One update of every parameter from its gradient; marks them changed. Gradients are left as they are. */
    public final void step() {
        steps++;
        for (int i = 0; i < parameters.size(); i++) {
            update(i, parameters.get(i));
            parameters.get(i).changed();
        }
    }

    protected abstract void update(int index, Parameter p);

    /** The optimizer's per-parameter memory (momentum, moments), by a name per parameter, for checkpoints. */
    public abstract java.util.Map<String, float[]> state();

    /**
     * Restores {@link #state()} and the step count saved in a checkpoint: every buffer of this
     * optimizer must be there with its size, and nothing else (else nothing is restored).
     */
    public void restore(java.util.Map<String, float[]> state, long steps) {
        java.util.Map<String, float[]> mine = state();
        List<String> problems = new ArrayList<>();
        for (var e : state.entrySet()) {
            float[] target = mine.get(e.getKey());
            if (target == null) {
                problems.add("'" + e.getKey() + "' is not this optimizer's");
            } else if (target.length != e.getValue().length) {
                problems.add("'" + e.getKey() + "' has " + e.getValue().length + " values, not " + target.length);
            }
        }
        mine.keySet().stream().filter(k -> !state.containsKey(k)).forEach(k -> problems.add("'" + k + "' is missing"));
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("the optimizer state does not fit this optimizer: " + String.join(", ", problems));
        }
        state.forEach((name, values) -> System.arraycopy(values, 0, mine.get(name), 0, values.length));
        this.steps = steps;
    }

    public void zeroGrad() {
        for (int i = 0; i < parameters.size(); i++) { // indexed: no iterator per call
            parameters.get(i).zeroGrad();
        }
    }

    /**
     * Scales every gradient by {@code min(1, maxNorm / norm)}, where {@code norm} is the global
     * L2 norm of all of them together (torch.nn.utils.clip_grad_norm_); returns that norm.
     */
    public static double clipGradNorm(List<Parameter> parameters, double maxNorm) {
        DenseKernels k = Clip.DENSE;
        double sum = 0;
        for (int i = 0; i < parameters.size(); i++) { // indexed: no iterator per call
            float[] g = parameters.get(i).grads();
            sum += k.sumOfSquares(g.length, g, 0);
        }
        double norm = Math.sqrt(sum);
        if (norm > maxNorm) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            for (int i = 0; i < parameters.size(); i++) {
                float[] g = parameters.get(i).grads();
                k.scale(g.length, scale, g, 0);
            }
        }
        return norm;
    }

    private static final class Clip {
        static final DenseKernels DENSE = DenseBackends.kernels();
    }

    private static final class Sgd extends Optimizer {
        private final double momentum;
        private final float[][] velocity;

        Sgd(Map<String, Parameter> named, double learningRate, double momentum) {
            super(named, learningRate);
            this.momentum = momentum;
            this.velocity = new float[parameters.size()][];
            for (int i = 0; i < velocity.length; i++) {
                velocity[i] = new float[parameters.get(i).size()];
            }
        }

        @Override
        public java.util.Map<String, float[]> state() {
            java.util.Map<String, float[]> state = new java.util.LinkedHashMap<>();
            for (int i = 0; i < velocity.length; i++) {
                state.put(names.get(i) + ".momentum", velocity[i]);
            }
            return state;
        }

        @Override
        protected void update(int index, Parameter p) {
            float[] w = p.values(), g = p.grads();
            kernels().sgd(w.length, learningRate, momentum, steps() == 1, w, 0, g, 0, velocity[index], 0);
        }
    }

    private static final class Adam extends Optimizer {
        private final double beta1, beta2, epsilon, weightDecay;
        private final boolean decoupled;
        private final float[][] m, v;

        Adam(Map<String, Parameter> named, double learningRate, double beta1, double beta2, double epsilon,
             double weightDecay, boolean decoupled) {
            super(named, learningRate);
            this.beta1 = beta1;
            this.beta2 = beta2;
            this.epsilon = epsilon;
            this.weightDecay = weightDecay;
            this.decoupled = decoupled;
            this.m = new float[parameters.size()][];
            this.v = new float[parameters.size()][];
            for (int i = 0; i < parameters.size(); i++) {
                m[i] = new float[parameters.get(i).size()];
                v[i] = new float[parameters.get(i).size()];
            }
        }

        @Override
        public java.util.Map<String, float[]> state() {
            java.util.Map<String, float[]> state = new java.util.LinkedHashMap<>();
            for (int i = 0; i < m.length; i++) {
                state.put(names.get(i) + ".exp_avg", m[i]);
                state.put(names.get(i) + ".exp_avg_sq", v[i]);
            }
            return state;
        }

        @Override
        protected void update(int index, Parameter p) {
            float[] w = p.values(), g = p.grads();
            kernels().adam(w.length, learningRate, beta1, beta2, epsilon, weightDecay, decoupled, steps(), w, 0, g, 0,
                    m[index], 0, v[index], 0);
        }
    }
}
