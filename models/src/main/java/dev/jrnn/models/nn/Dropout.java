package dev.jrnn.models.nn;

import dev.jrnn.core.tensor.FloatTensor;

/**
 * Inverted dropout: in training mode, each element is zeroed with probability {@code p} and the
 * rest scaled by {@code 1 / (1 - p)}, so evaluation mode is the identity. Seeded, and its generator
 * is registered ({@code generator}) so that checkpoints save it: runs and resumed runs repeat exactly.
 */
public final class Dropout extends Module {

    private final double p;
    private final Rng random;
    private float[] lastMask;

    public Dropout(double p, long seed) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        this.p = p;
        this.random = register("generator", new Rng(seed));
    }

    public double probability() {
        return p;
    }

    /** Dropout if this module is in training mode, else the identity. */
    public FloatTensor forward(FloatTensor x) {
        return forward(x, isTraining());
    }

    /** Dropout if {@code training} (whatever this module's mode), else the identity. */
    public FloatTensor forward(FloatTensor x, boolean training) {
        if (!training || p == 0) {
            lastMask = null;
            return x;
        }
        float[] v = x.toArray(), mask = new float[v.length];
        float keep = (float) (1 / (1 - p));
        for (int i = 0; i < v.length; i++) {
            mask[i] = random.nextDouble() < p ? 0f : keep;
            v[i] *= mask[i];
        }
        lastMask = mask;
        return FloatTensor.of(v, x.shape().dims());
    }

    public FloatTensor backward(FloatTensor dy) {
        if (lastMask == null) {
            return dy;
        }
        float[] d = dy.toArray();
        for (int i = 0; i < d.length; i++) {
            d[i] *= lastMask[i];
        }
        return FloatTensor.of(d, dy.shape().dims());
    }
}
