package dev.jrnn.onnx;

import dev.jrnn.core.tensor.FloatTensor;
import java.util.Arrays;

/**
 * A tensor flowing through an ONNX graph: float32 or an integer type (int64, int32; kept as longs),
 * contiguous, of any rank including 0 (the scalars shape arithmetic makes). Immutable by
 * convention: an operator makes new values and never writes into its inputs.
 */
final class Value {

    /** The element types jrnn runs; their numbers are ONNX's {@code TensorProto.DataType}. */
    enum Type {
        FLOAT(1), INT32(6), INT64(7);

        final int onnx;

        Type(int onnx) {
            this.onnx = onnx;
        }

        /** The type with ONNX number {@code code}, or null if jrnn does not run it. */
        static Type of(int code) {
            for (Type t : values()) {
                if (t.onnx == code) {
                    return t;
                }
            }
            return null;
        }
    }

    /** Any one tensor may hold at most this many elements: Java arrays are int-indexed. */
    static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    final Type type;
    final int[] shape;
    /** The elements in row-major order: {@code floats} for FLOAT, {@code longs} otherwise. */
    final float[] floats;
    final long[] longs;

    private Value(Type type, int[] shape, float[] floats, long[] longs) {
        this.type = type;
        this.shape = shape;
        this.floats = floats;
        this.longs = longs;
    }

    static Value floats(int[] shape, float[] data) {
        check(shape, data.length);
        return new Value(Type.FLOAT, shape.clone(), data, null);
    }

    static Value longs(Type type, int[] shape, long[] data) {
        if (type == Type.FLOAT) {
            throw new IllegalArgumentException("longs of type FLOAT");
        }
        check(shape, data.length);
        return new Value(type, shape.clone(), null, data);
    }

    /** A zero-filled value of {@code type}. */
    static Value zeros(Type type, int[] shape) {
        int n = Math.toIntExact(size(shape));
        return type == Type.FLOAT ? floats(shape, new float[n]) : longs(type, shape, new long[n]);
    }

    static Value of(FloatTensor t) {
        return floats(t.shape().dims(), t.toArray());
    }

    private static void check(int[] shape, int length) {
        if (size(shape) != length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + size(shape)
                    + " elements, not " + length);
        }
    }

    /** Elements of {@code shape}; throws when more than {@link #MAX_ELEMENTS} or a dimension is negative. */
    static long size(int[] shape) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
            }
            n *= d;
            if (n > MAX_ELEMENTS) {
                throw new IllegalArgumentException("a tensor of shape " + Arrays.toString(shape)
                        + " is larger than jrnn holds (" + MAX_ELEMENTS + " elements)");
            }
        }
        return n;
    }

    int rank() {
        return shape.length;
    }

    int size() {
        return type == Type.FLOAT ? floats.length : longs.length;
    }

    /** Element {@code i} as a double (exact for floats and for integers up to 2^53). */
    double get(int i) {
        return type == Type.FLOAT ? floats[i] : longs[i];
    }

    long getLong(int i) {
        return type == Type.FLOAT ? (long) floats[i] : longs[i];
    }

    /** The elements as longs: for shape inputs (axes, starts, a target shape), which must be integers. */
    long[] integers(String what) {
        if (type == Type.FLOAT) {
            throw new IllegalArgumentException(what + " must be an integer tensor, got float");
        }
        return longs;
    }

    /** A new value of this type and {@code newShape} over the same elements (no copy: values are not written). */
    Value withShape(int[] newShape) {
        return type == Type.FLOAT ? floats(newShape, floats) : longs(type, newShape, longs);
    }

    /** As a jrnn tensor (float only; rank 0 becomes rank 1). */
    FloatTensor toFloatTensor(String what) {
        if (type != Type.FLOAT) {
            float[] copy = new float[longs.length];
            for (int i = 0; i < copy.length; i++) {
                copy[i] = longs[i];
            }
            return Value.floats(shape, copy).toFloatTensor(what);
        }
        if (size() == 0) {
            throw new IllegalArgumentException(what + " is empty (shape " + Arrays.toString(shape)
                    + "); jrnn tensors have every dimension >= 1");
        }
        return FloatTensor.of(floats, shape.length == 0 ? new int[] {1} : shape);
    }

    static long[] strides(int[] shape) {
        long[] strides = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    @Override
    public String toString() {
        return type.name().toLowerCase(java.util.Locale.ROOT) + Arrays.toString(shape);
    }
}
