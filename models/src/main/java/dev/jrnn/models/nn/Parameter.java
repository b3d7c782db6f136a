package dev.jrnn.models.nn;

import dev.jrnn.core.tensor.FloatTensor;
import java.util.Arrays;

/**
 * A trainable tensor and its gradient, over plain arrays (so optimizers and layers work on them
 * directly) and seen as {@link FloatTensor}s of the given shape. Gradients accumulate until
 * {@link #zeroGrad()}. {@link #version()} counts changes of the values, so a layer that converted
 * them for a backend knows when to convert again.
 */
public final class Parameter {

    private final String name;
    private final float[] value, grad;
    private final FloatTensor valueTensor, gradTensor;
    private int version;

    public Parameter(String name, int... dims) {
        this.name = name;
        int size = Arrays.stream(dims).reduce(1, Math::multiplyExact);
        this.value = new float[size];
        this.grad = new float[size];
        this.valueTensor = FloatTensor.of(value, dims);
        this.gradTensor = FloatTensor.of(grad, dims);
    }

    public String name() {
        return name;
    }

    /** The values, live. Call {@link #changed()} after writing them. */
    public float[] values() {
        return value;
    }

    public float[] grads() {
        return grad;
    }

    public FloatTensor value() {
        return valueTensor;
    }

    public FloatTensor grad() {
        return gradTensor;
    }

    public int size() {
        return value.length;
    }

    public void zeroGrad() {
        Arrays.fill(grad, 0f);
    }

    /** Records that the values changed (optimizers call it after every step). */
    public void changed() {
        version++;
    }

    public int version() {
        return version;
    }

    @Override
    public String toString() {
        return name + " " + valueTensor.shape();
    }
}
