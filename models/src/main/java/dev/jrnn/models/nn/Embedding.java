package dev.jrnn.models.nn;

import dev.jrnn.core.tensor.FloatTensor;
import java.util.SplittableRandom;

/**
 * PyTorch's {@code nn.Embedding}: token ids to rows of {@code weight [vocabulary, dim]},
 * initialized from {@code N(0, 1)}. Input {@code [T][N]} ids; output {@code [T, N, dim]}.
 */
public final class Embedding extends Module {

    private final int vocabulary, dim;
    private final Parameter weight;
    private int[][] lastTokens;

    public Embedding(int vocabulary, int dim, long seed) {
        this.vocabulary = vocabulary;
        this.dim = dim;
        weight = register("weight", new Parameter("weight", vocabulary, dim));
        SplittableRandom random = new SplittableRandom(seed);
        float[] w = weight.values();
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) gaussian(random);
        }
    }

    static double gaussian(SplittableRandom random) {
        double u = 1 - random.nextDouble(), v = random.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    public int vocabulary() {
        return vocabulary;
    }

    public int dim() {
        return dim;
    }

    public Parameter weight() {
        return weight;
    }

    public FloatTensor forward(int[][] tokens) {
        int steps = tokens.length, batch = tokens[0].length;
        float[] out = new float[steps * batch * dim], w = weight.values();
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                int id = tokens[t][n];
                if (id < 0 || id >= vocabulary) {
                    throw new IllegalArgumentException("token " + id + " at [" + t + "][" + n + "] is not in [0, " + vocabulary + ")");
                }
                System.arraycopy(w, id * dim, out, (t * batch + n) * dim, dim);
            }
        }
        lastTokens = tokens;
        return FloatTensor.of(out, steps, batch, dim);
    }

    /** Adds {@code dy [T, N, dim]} to the rows of the tokens of the last forward. */
    public void backward(FloatTensor dy) {
        float[] d = dy.toArray(), g = weight.grads();
        int batch = lastTokens[0].length;
        for (int t = 0; t < lastTokens.length; t++) {
            for (int n = 0; n < batch; n++) {
                int row = lastTokens[t][n] * dim, from = (t * batch + n) * dim;
                for (int k = 0; k < dim; k++) {
                    g[row + k] += d[from + k];
                }
            }
        }
    }
}
