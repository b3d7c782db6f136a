package dev.jrnn.models.nn;

import dev.jrnn.core.spi.DenseKernels;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.SplittableRandom;

/**
 * PyTorch's {@code nn.Embedding}: token ids to rows of {@code weight [vocabulary, dim]},
 * initialized from {@code N(0, 1)}. Input {@code [T][N]} ids; output {@code [T, N, dim]}.
 * {@link #forward} keeps the ids for {@link #backward} (one thread trains); {@link #infer} keeps
 * nothing and may run on many threads at once.
 */
public final class Embedding extends Module {

    private final int vocabulary, dim;
    private final Parameter weight;
    /** The last forward's ids, flattened time-major, and its output: reused buffers. */
    private int[] ids = new int[0];
    private int lastCount;
    private final Scratch output = new Scratch(), gradCopy = new Scratch();

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

    /** The range of the values this layer emits (its table's), to calibrate a backend that stores them in 8 bits. */
    public dev.jrnn.core.rnn.Calibration range() {
        return dev.jrnn.core.rnn.Calibration.of(weight.value());
    }

    @Override
    public Embedding dense(DenseKernels kernels) {
        super.dense(kernels);
        return this;
    }

    /**
     * The rows of {@code tokens [T][N]}: {@code [T, N, dim]}, this layer's buffer, valid until its
     * next forward; on a shape already seen nothing is allocated.
     */
    public FloatTensor forward(int[][] tokens) {
        int steps = tokens.length, batch = batchOf(tokens), count = steps * batch;
        if (ids.length < count) {
            ids = new int[count];
        }
        flatten(tokens, ids);
        FloatTensor out = output.view(steps, batch, dim);
        kernels().gather(count, dim, ids, 0, weight.values(), 0, vocabulary, output.data(), 0, dim);
        lastCount = count;
        return out;
    }

    /** The rows of {@code tokens [T][N]} in a new {@code [T, N, dim]}, keeping nothing: safe from many threads at once. */
    public FloatTensor infer(int[][] tokens) {
        int steps = tokens.length, batch = batchOf(tokens);
        int[] flat = new int[steps * batch];
        flatten(tokens, flat);
        float[] out = new float[Math.multiplyExact(flat.length, dim)];
        kernels().gather(flat.length, dim, flat, 0, weight.values(), 0, vocabulary, out, 0, dim);
        return FloatTensor.of(out, steps, batch, dim);
    }

    private static int batchOf(int[][] tokens) {
        if (tokens.length == 0) {
            throw new IllegalArgumentException("no time steps: tokens is empty");
        }
        return tokens[0].length;
    }

    /** Checks every id and lays {@code tokens [T][N]} out time-major in {@code flat}. */
    private void flatten(int[][] tokens, int[] flat) {
        int batch = tokens[0].length;
        for (int t = 0; t < tokens.length; t++) {
            if (tokens[t].length != batch) {
                throw new IllegalArgumentException("tokens[" + t + "] has " + tokens[t].length + " ids, tokens[0] has " + batch);
            }
            for (int n = 0; n < batch; n++) {
                int id = tokens[t][n];
                if (id < 0 || id >= vocabulary) {
                    throw new IllegalArgumentException("token " + id + " at [" + t + "][" + n + "] is not in [0, " + vocabulary + ")");
                }
                flat[t * batch + n] = id;
            }
        }
    }

    /** Adds {@code dy [T, N, dim]} to the rows of the tokens of the last forward. */
    public void backward(FloatTensor dy) {
        if (dy.size() != (long) lastCount * dim) {
            throw new IllegalArgumentException("gradient of shape " + dy.shape() + " for " + lastCount + " tokens of " + dim);
        }
        float[] d = gradCopy.array(dy);
        int dOff;
        if (d == null) {
            d = gradCopy.floats(lastCount * dim);
            dy.copyTo(d, 0);
            dOff = 0;
        } else {
            dOff = Scratch.offset(dy);
        }
        kernels().scatterAdd(lastCount, dim, ids, 0, d, dOff, dim, weight.grads(), 0, vocabulary);
    }
}
