package dev.jrnn.models.nn;

import dev.jrnn.core.spi.DenseKernels;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import java.util.SplittableRandom;

/**
 * {@code y = x W^T + b}, PyTorch's {@code nn.Linear}: {@code weight [out, in]}, {@code bias [out]},
 * initialized as PyTorch does ({@code U(-1/sqrt(in), 1/sqrt(in))}). Works on {@code [M, in]} rows,
 * or {@code [T, N, in]} sequences as {@code T*N} rows. {@link #forward} keeps its input for
 * {@link #backward}, which accumulates the gradients and returns the input's: one thread trains.
 * {@link #infer} and {@link #forwardRow} keep nothing and may run on many threads at once.
 */
public final class Linear extends Module {

    private final int in, out;
    private final Parameter weight, bias;
    /** The last forward's input rows (kept for backward), its output and the input's gradient: reused buffers. */
    private final Scratch input = new Scratch(), output = new Scratch(), inputGrad = new Scratch(), dyCopy = new Scratch();
    private Shape lastShape;
    private int lastRows;

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

    @Override
    public Linear dense(DenseKernels kernels) {
        super.dense(kernels);
        return this;
    }

    /**
     * {@code [M, in]} or {@code [T, N, in]} to {@code [M, out]} or {@code [T, N, out]}: one matrix
     * product on the dense kernels. The result is this layer's buffer, valid until its next
     * forward (copy it to keep it); on a shape already seen nothing is allocated.
     */
    public FloatTensor forward(FloatTensor x) {
        Shape shape = x.shape();
        if (shape.dim(shape.rank() - 1) != in) {
            throw new IllegalArgumentException("Linear takes " + in + " features, got shape " + x.shape());
        }
        int rows = Math.toIntExact(x.size() / in);
        float[] xs = input.floats(rows * in);
        x.copyTo(xs, 0); // a copy for backward: the caller may reuse its buffer in between
        FloatTensor y = output.viewLike(shape, out);
        kernels().gemm(false, true, rows, out, in, 1f, xs, 0, in, weight.values(), 0, in, 0f, output.data(), 0, out,
                bias.values(), 0);
        lastShape = shape;
        lastRows = rows;
        return y;
    }

    /**
     * {@code [M, in]} or {@code [T, N, in]} to a new {@code [M, out]} or {@code [T, N, out]},
     * keeping nothing for backward: safe from many threads at once.
     */
    public FloatTensor infer(FloatTensor x) {
        Shape shape = x.shape();
        if (shape.dim(shape.rank() - 1) != in) {
            throw new IllegalArgumentException("Linear takes " + in + " features, got shape " + x.shape());
        }
        int rows = Math.toIntExact(x.size() / in);
        float[] xs = x.toArray(), ys = new float[Math.multiplyExact(rows, out)];
        kernels().gemm(false, true, rows, out, in, 1f, xs, 0, in, weight.values(), 0, in, 0f, ys, 0, out, bias.values(), 0);
        int[] dims = shape.dims();
        dims[dims.length - 1] = out;
        return FloatTensor.of(ys, dims);
    }

    /** {@code y = W x + b} for one row, into {@code y}; allocates nothing (for step-by-step inference). */
    public void forwardRow(float[] x, float[] y) {
        if (x.length != in || y.length != out) {
            throw new IllegalArgumentException("forwardRow takes " + in + " inputs and " + out + " outputs, got "
                    + x.length + " and " + y.length);
        }
        kernels().gemm(false, true, 1, out, in, 1f, x, 0, in, weight.values(), 0, in, 0f, y, 0, out, bias.values(), 0);
    }

    /**
     * Accumulates {@code dW += dy^T x}, {@code db += sum dy}; returns {@code dx = dy W}, shaped like
     * the input (this layer's buffer, valid until its next backward).
     */
    public FloatTensor backward(FloatTensor dy) {
        if (lastShape == null) {
            throw new IllegalStateException("backward needs a forward first");
        }
        if (dy.size() != (long) lastRows * out || dy.dim(dy.rank() - 1) != out) {
            throw new IllegalArgumentException("gradient of shape " + dy.shape() + " for an output of " + lastRows
                    + " rows of " + out);
        }
        float[] d = dyCopy.array(dy);
        int dOff;
        if (d == null) {
            d = dyCopy.floats(lastRows * out);
            dy.copyTo(d, 0);
            dOff = 0;
        } else {
            dOff = Scratch.offset(dy);
        }
        DenseKernels k = kernels();
        float[] xs = input.data();
        k.gemm(true, false, out, in, lastRows, 1f, d, dOff, out, xs, 0, in, 1f, weight.grads(), 0, in, null, 0);
        k.addColumnSums(lastRows, out, d, dOff, out, bias.grads(), 0);
        FloatTensor dx = inputGrad.viewLike(lastShape, in);
        k.gemm(false, false, lastRows, in, out, 1f, d, dOff, out, weight.values(), 0, in, 0f, inputGrad.data(), 0, in,
                null, 0);
        return dx;
    }
}
