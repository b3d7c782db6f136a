package dev.jrnn.core.tensor;

import java.util.Arrays;

/**
 * The extents of a tensor, outermost first. Immutable; every dimension is at least 1.
 *
 * @param dims the extents; copied on the way in and out
 */
public record Shape(int... dims) {

    public Shape {
        if (dims == null || dims.length == 0) {
            throw new IllegalArgumentException("a shape needs at least one dimension");
        }
        dims = dims.clone();
        long size = 1;
        for (int d : dims) {
            if (d < 1) {
                throw new IllegalArgumentException("every dimension must be >= 1, got " + Arrays.toString(dims));
            }
            size = Math.multiplyExact(size, d);
        }
    }

    public static Shape of(int... dims) {
        return new Shape(dims);
    }

    @Override
    public int[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public int dim(int axis) {
        return dims[axis];
    }

    /** Number of elements. */
    public long size() {
        long size = 1;
        for (int d : dims) {
            size *= d;
        }
        return size;
    }

    /** Row-major (C order) strides in elements. */
    public long[] contiguousStrides() {
        long[] strides = new long[dims.length];
        long stride = 1;
        for (int i = dims.length - 1; i >= 0; i--) {
            strides[i] = stride;
            stride *= dims[i];
        }
        return strides;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Shape other && Arrays.equals(dims, other.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return Arrays.toString(dims);
    }
}
