package dev.jrnn.models.nn;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import java.lang.foreign.MemorySegment;

/**
 * A layer's reusable float buffer and the tensor view over it, so that a step on a shape already
 * seen allocates nothing: the buffer grows to the largest size asked for and the view is kept
 * while the shape stays the same. What a layer returns from such a buffer is valid until its next
 * call. Also reads a heap tensor's own array in place ({@link #array(FloatTensor)}) where a copy is not needed.
 */
public final class Scratch {

    private float[] data = new float[0];
    private FloatTensor view;
    private Shape like;
    private int last;

    /** At least {@code n} floats (their contents are not kept when the buffer grows). */
    public float[] floats(int n) {
        if (data.length < n) {
            data = new float[n];
            view = null;
        }
        return data;
    }

    /** The buffer seen as {@code like} with its last dimension replaced by {@code lastDim}. */
    public FloatTensor viewLike(Shape like, int lastDim) {
        if (view != null && last == lastDim && like.equals(this.like)) {
            return view;
        }
        int[] dims = like.dims();
        dims[dims.length - 1] = lastDim;
        Shape shape = Shape.of(dims);
        floats(Math.toIntExact(shape.size()));
        view = FloatTensor.wrap(MemorySegment.ofArray(data), shape);
        this.like = like;
        last = lastDim;
        return view;
    }

    /** The buffer seen as a tensor {@code [d0, d1, d2]} (three ints, not varargs: no array per call). */
    public FloatTensor view(int d0, int d1, int d2) {
        if (view != null && last == -1 && like.rank() == 3 && like.dim(0) == d0 && like.dim(1) == d1 && like.dim(2) == d2) {
            return view;
        }
        Shape shape = Shape.of(d0, d1, d2);
        floats(Math.toIntExact(shape.size()));
        view = FloatTensor.wrap(MemorySegment.ofArray(data), shape);
        like = shape;
        last = -1;
        return view;
    }

    /** The current buffer (as last returned by {@link #floats}). */
    public float[] data() {
        return data;
    }

    private MemorySegment knownSegment;
    private float[] knownArray;

    /**
     * The float array behind a contiguous heap tensor, whose elements then start at
     * {@link #offset}; null for any other tensor (copy it then). Remembers the last segment asked
     * about, so asking again about the same buffer (a layer's output, step after step) costs nothing
     * ({@link MemorySegment#heapBase} returns a new {@code Optional} each time).
     */
    public float[] array(FloatTensor t) {
        if (!t.isContiguous()) {
            return null;
        }
        MemorySegment s = t.segment();
        if (s != knownSegment) {
            knownSegment = s;
            knownArray = !s.isNative() && s.heapBase().orElse(null) instanceof float[] a ? a : null;
        }
        return knownArray;
    }

    /** Where {@link #array(FloatTensor)}'s elements of {@code t} start. */
    public static int offset(FloatTensor t) {
        return Math.toIntExact(t.segment().address() / Float.BYTES + t.offset());
    }
}
