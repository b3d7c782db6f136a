package dev.jrnn.onnx;

import java.util.Arrays;

/**
 * An integer input of an ONNX model (token ids for an embedding's Gather, sequence lengths):
 * {@code values} in row-major order over {@code shape}. Int32 inputs take it too, when every value fits.
 */
public record IntTensor(long[] values, int[] shape) {

    public IntTensor {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n != values.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, given "
                    + values.length);
        }
        values = values.clone();
        shape = shape.clone();
    }

    public static IntTensor of(long[] values, int... shape) {
        return new IntTensor(values, shape);
    }

    @Override
    public long[] values() {
        return values.clone();
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IntTensor t && Arrays.equals(values, t.values) && Arrays.equals(shape, t.shape);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(values) + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return "IntTensor" + Arrays.toString(shape);
    }
}
