package dev.jrnn.models.train;

import dev.jrnn.core.runtime.DenseBackends;
import dev.jrnn.core.spi.DenseKernels;
import dev.jrnn.models.nn.Parameter;
import java.util.List;

/**
 * Updates parameters from their gradients: {@link #sgd} (with momentum), {@link #adam} and
 * {@link #adamW} (decoupled weight decay), as in {@code torch.optim}. The learning rate may be
 * changed between steps (a schedule). {@link #clipGradNorm} scales all gradients together.
 */
public abstract class Optimizer {

    protected final List<Parameter> parameters;
    protected double learningRate;
    private long steps;
    private DenseKernels kernels;

    protected Optimizer(List<Parameter> parameters, double learningRate) {
        this.parameters = List.copyOf(parameters);
        this.learningRate = learningRate;
    }

    public static Optimizer sgd(List<Parameter> parameters, double learningRate, double momentum) {
        return new Sgd(parameters, learningRate, momentum);
    }

    public static Optimizer adam(List<Parameter> parameters, double learningRate) {
        return new Adam(parameters, learningRate, 0.9, 0.999, 1e-8, 0, false);
    }

    public static Optimizer adamW(List<Parameter> parameters, double learningRate, double weightDecay) {
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

    /** Restores {@link #state()} and the step count saved in a checkpoint. */
    public void restore(java.util.Map<String, float[]> state, long steps) {
        java.util.Map<String, float[]> mine = state();
        for (var e : state.entrySet()) {
            float[] target = mine.get(e.getKey());
            if (target == null || target.length != e.getValue().length) {
                throw new IllegalArgumentException("optimizer state '" + e.getKey() + "' does not fit this optimizer");
            }
            System.arraycopy(e.getValue(), 0, target, 0, target.length);
        }
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

        Sgd(List<Parameter> parameters, double learningRate, double momentum) {
            super(parameters, learningRate);
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
                state.put(parameters.get(i).name() + ".momentum", velocity[i]);
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

        Adam(List<Parameter> parameters, double learningRate, double beta1, double beta2, double epsilon,
             double weightDecay, boolean decoupled) {
            super(parameters, learningRate);
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
                state.put(parameters.get(i).name() + ".exp_avg", m[i]);
                state.put(parameters.get(i).name() + ".exp_avg_sq", v[i]);
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
