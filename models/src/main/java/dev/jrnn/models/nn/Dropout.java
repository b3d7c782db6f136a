package dev.jrnn.models.nn;

import dev.jrnn.core.tensor.FloatTensor;
import java.util.SplittableRandom;

/**
 * Inverted dropout: in training, each element is zeroed with probability {@code p} and the rest
 * scaled by {@code 1 / (1 - p)}, so inference is the identity. Seeded: runs repeat exactly.
 */
public final class Dropout {

    private final double p;
    private final SplittableRandom random;
    private float[] lastMask;

    public Dropout(double p, long seed) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout probability must be in [0, 1), got " + p);
        }
        this.p = p;
        this.random = new SplittableRandom(seed);
    }

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
