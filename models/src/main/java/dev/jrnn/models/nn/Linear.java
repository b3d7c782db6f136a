package dev.jrnn.models.nn;

import dev.jrnn.core.tensor.FloatTensor;
import java.util.SplittableRandom;

/**
 * {@code y = x W^T + b}, PyTorch's {@code nn.Linear}: {@code weight [out, in]}, {@code bias [out]},
 * initialized as PyTorch does ({@code U(-1/sqrt(in), 1/sqrt(in))}). Works on {@code [M, in]} rows,
 * or {@code [T, N, in]} sequences as {@code T*N} rows. {@link #forward} keeps its input for
 * {@link #backward}, which accumulates the gradients and returns the input's.
 */
public final class Linear extends Module {

    private final int in, out;
    private final Parameter weight, bias;
    private float[] lastInput;
    private int lastRows;
    /** {@code W^T [in, out]}, rebuilt when the weight's version changes. */
    private float[] transposed;
    private int transposedVersion = -1;

    public Linear(int in, int out, long seed) {
        this.in = in;
        this.out = out;
        weight = register("weight", new Parameter("weight", out, in));
        bias = register("bias", new Parameter("bias", out));
        SplittableRandom random = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt(in);
        for (float[] a : new float[][] {weight.values(), bias.values()}) {
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) random.nextDouble(-bound, bound);
            }
        }
    }

    public int inputSize() {
        return in;
    }

    public int outputSize() {
        return out;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    private float[] transposed() {
        if (transposedVersion != weight.version() || transposed == null) {
            float[] w = weight.values();
            transposed = transposed == null ? new float[w.length] : transposed;
            for (int o = 0; o < out; o++) {
                for (int i = 0; i < in; i++) {
                    transposed[i * out + o] = w[o * in + i];
                }
            }
            transposedVersion = weight.version();
        }
        return transposed;
    }

    /** {@code [M, in]} or {@code [T, N, in]} to {@code [M, out]} or {@code [T, N, out]}. */
    public FloatTensor forward(FloatTensor x) {
        int[] dims = x.shape().dims().clone();
        if (dims[dims.length - 1] != in) {
            throw new IllegalArgumentException("Linear takes " + in + " features, got shape " + x.shape());
        }
        float[] xs = x.toArray();
        int rows = xs.length / in;
        float[] ys = new float[rows * out];
        float[] wt = transposed(), b = bias.values();
        // y[r] = b + sum_i x[r, i] W^T[i]: row updates (axpy) over W^T, which C2 vectorizes
        for (int r = 0; r < rows; r++) {
            int yr = r * out, xr = r * in;
            System.arraycopy(b, 0, ys, yr, out);
            for (int i = 0; i < in; i++) {
                float xi = xs[xr + i];
                if (xi == 0f) {
                    continue;
                }
                int ti = i * out;
                for (int o = 0; o < out; o++) {
                    ys[yr + o] += xi * wt[ti + o];
                }
            }
        }
        lastInput = xs;
        lastRows = rows;
        dims[dims.length - 1] = out;
        return FloatTensor.of(ys, dims);
    }

    /** {@code y = W x + b} for one row, into {@code y}; allocates nothing (for step-by-step inference). */
    public void forwardRow(float[] x, float[] y) {
        if (x.length != in || y.length != out) {
            throw new IllegalArgumentException("forwardRow takes " + in + " inputs and " + out + " outputs, got "
                    + x.length + " and " + y.length);
        }
        float[] wt = transposed();
        System.arraycopy(bias.values(), 0, y, 0, out);
        for (int i = 0; i < in; i++) {
            float xi = x[i];
            int ti = i * out;
            for (int o = 0; o < out; o++) {
                y[o] += xi * wt[ti + o];
            }
        }
    }

    /** Accumulates {@code dW += dy^T x}, {@code db += sum dy}; returns {@code dx = dy W}, shaped like the input. */
    public FloatTensor backward(FloatTensor dy) {
        if (lastInput == null) {
            throw new IllegalStateException("backward needs a forward first");
        }
        float[] d = dy.toArray();
        if (d.length != lastRows * out) {
            throw new IllegalArgumentException("gradient of shape " + dy.shape() + " for an output of " + lastRows
                    + " rows of " + out);
        }
        float[] w = weight.values(), dw = weight.grads(), db = bias.grads();
        float[] dx = new float[lastRows * in];
        for (int r = 0; r < lastRows; r++) {
            for (int o = 0; o < out; o++) {
                float g = d[r * out + o];
                if (g == 0f) {
                    continue;
                }
                db[o] += g;
                int wo = o * in, xr = r * in;
                for (int i = 0; i < in; i++) {
                    dw[wo + i] += g * lastInput[xr + i];
                    dx[xr + i] += g * w[wo + i];
                }
            }
        }
        int[] dims = dy.shape().dims().clone();
        dims[dims.length - 1] = in;
        return FloatTensor.of(dx, dims);
    }
}
