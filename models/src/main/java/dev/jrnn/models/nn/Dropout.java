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
    /** The last training forward's mask (its first {@code masked} floats), or {@code masked == -1}: none. */
    private float[] mask = new float[0];
    private int masked = -1;
    /** Outputs and input gradients are reused buffers, valid until this layer's next forward (backward). */
    private final Scratch output = new Scratch(), inputGrad = new Scratch(), input = new Scratch(), grad = new Scratch();

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

    /**
     * Dropout if {@code training} (whatever this module's mode), else the identity. The result is
     * this layer's buffer, valid until its next forward.
     */
    public FloatTensor forward(FloatTensor x, boolean training) {
        if (!training || p == 0) {
            masked = -1;
            return x;
        }
        int n = Math.toIntExact(x.shape().size());
        FloatTensor y = output.viewLike(x.shape(), x.dim(x.rank() - 1));
        float[] out = output.data(), in = input.array(x);
        int at = 0;
        if (in == null) { // not a heap array: copy it into the output, then scale in place
            x.copyTo(out, 0);
            in = out;
        } else {
            at = Scratch.offset(x);
        }
        if (mask.length < n) {
            mask = new float[n];
        }
        float keep = (float) (1 / (1 - p));
        for (int i = 0; i < n; i++) {
            mask[i] = random.nextDouble() < p ? 0f : keep;
            out[i] = in[at + i] * mask[i];
        }
        masked = n;
        return y;
    }

    /** The gradient through the last forward's mask: this layer's buffer, valid until its next backward. */
    public FloatTensor backward(FloatTensor dy) {
        if (masked < 0) {
            return dy;
        }
        int n = Math.toIntExact(dy.shape().size());
        if (n != masked) {
            throw new IllegalArgumentException("backward got " + n + " gradients for a forward of " + masked + " values");
        }
        FloatTensor dx = inputGrad.viewLike(dy.shape(), dy.dim(dy.rank() - 1));
        float[] d = inputGrad.data(), g = grad.array(dy);
        int at = 0;
        if (g == null) {
            dy.copyTo(d, 0);
            g = d;
        } else {
            at = Scratch.offset(dy);
        }
        for (int i = 0; i < n; i++) {
            d[i] = g[at + i] * mask[i];
        }
        return dx;
    }
}
