package dev.jrnn.core.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Objects;

/**
 * A strided view of 32-bit floats in a {@link MemorySegment}, on the heap or native, so that one
 * buffer feeds Java loops, Vector API kernels and native libraries without copies.
 *
 * <p>Strides and the offset are counted in elements. Views ({@link #permute}, {@link #slice},
 * {@link #select}) share the buffer; {@link #copy()} does not. A batch-first {@code [N,T,C]}
 * sequence seen as {@code [T,N,C]} is {@code permute(1, 0, 2)}: no data moves.
 */
public final class FloatTensor {

    /** Element layout: native order, no alignment demand, so any segment can be wrapped. */
    public static final ValueLayout.OfFloat ELEMENT = ValueLayout.JAVA_FLOAT_UNALIGNED;

    /** Alignment of native tensors: a cache line, which also suits every vector width. */
    public static final long NATIVE_ALIGNMENT = 64;

    private final MemorySegment segment;
    private final Shape shape;
    private final long[] strides;
    private final long offset;
    private final boolean contiguous;

    private FloatTensor(MemorySegment segment, Shape shape, long[] strides, long offset) {
        this.segment = segment;
        this.shape = shape;
        this.strides = strides;
        this.offset = offset;
        this.contiguous = Arrays.equals(strides, shape.contiguousStrides());
    }

    /** A zero-filled contiguous tensor on the heap. */
    public static FloatTensor zeros(int... dims) {
        return zeros(Shape.of(dims));
    }

    public static FloatTensor zeros(Shape shape) {
        if (shape.size() > Integer.MAX_VALUE - 8) { // (a JVM array's limit)
            throw new IllegalArgumentException("shape " + shape + " has " + shape.size() + " elements, more than a "
                    + "tensor on a Java array holds; allocate(arena, shape) holds more");
        }
        return of(new float[(int) shape.size()], shape.dims());
    }

    /** Wraps {@code data} (no copy) as a contiguous tensor of the given shape. */
    public static FloatTensor of(float[] data, int... dims) {
        Shape shape = Shape.of(dims);
        if (data.length != shape.size()) {
            throw new IllegalArgumentException(
                    "shape " + shape + " needs " + shape.size() + " elements, the array has " + data.length);
        }
        return new FloatTensor(MemorySegment.ofArray(data), shape, shape.contiguousStrides(), 0);
    }

    /** A zero-filled contiguous native tensor, aligned to {@value #NATIVE_ALIGNMENT} bytes, owned by {@code arena}. */
    public static FloatTensor allocate(Arena arena, Shape shape) {
        MemorySegment segment = arena.allocate(shape.size() * Float.BYTES, NATIVE_ALIGNMENT);
        return new FloatTensor(segment, shape, shape.contiguousStrides(), 0);
    }

    /** Views the start of {@code segment} as a contiguous tensor of the given shape. */
    public static FloatTensor wrap(MemorySegment segment, Shape shape) {
        long bytes = shape.size() * Float.BYTES;
        if (segment.byteSize() < bytes) {
            throw new IllegalArgumentException(
                    "shape " + shape + " needs " + bytes + " bytes, the segment has " + segment.byteSize());
        }
        return new FloatTensor(segment, shape, shape.contiguousStrides(), 0);
    }

    public Shape shape() {
        return shape;
    }

    public int rank() {
        return shape.rank();
    }

    public int dim(int axis) {
        return shape.dim(axis);
    }

    public long size() {
        return shape.size();
    }

    /** Stride of {@code axis}, in elements. */
    public long stride(int axis) {
        return strides[axis];
    }

    public long[] strides() {
        return strides.clone();
    }

    /** Offset of element {@code [0, ..., 0]} in the segment, in elements. */
    public long offset() {
        return offset;
    }

    /** The whole underlying buffer (not only this view's part). */
    public MemorySegment segment() {
        return segment;
    }

    public boolean isNative() {
        return segment.isNative();
    }

    /** True when the elements are in row-major order with no gaps. */
    public boolean isContiguous() {
        return contiguous;
    }

    // ---- element access (bounds-checked) ----

    public float get(int i) {
        checkRank(1);
        return segment.getAtIndex(ELEMENT, offset + at(0, i));
    }

    public float get(int i, int j) {
        checkRank(2);
        return segment.getAtIndex(ELEMENT, offset + at(0, i) + at(1, j));
    }

    public float get(int i, int j, int k) {
        checkRank(3);
        return segment.getAtIndex(ELEMENT, offset + at(0, i) + at(1, j) + at(2, k));
    }

    public void set(int i, float value) {
        checkRank(1);
        segment.setAtIndex(ELEMENT, offset + at(0, i), value);
    }

    public void set(int i, int j, float value) {
        checkRank(2);
        segment.setAtIndex(ELEMENT, offset + at(0, i) + at(1, j), value);
    }

    public void set(int i, int j, int k, float value) {
        checkRank(3);
        segment.setAtIndex(ELEMENT, offset + at(0, i) + at(1, j) + at(2, k), value);
    }

    /** The element at a logical position given in row-major order, {@code 0 <= flat < size()}. */
    public float getFlat(long flat) {
        return segment.getAtIndex(ELEMENT, offset + physical(flat));
    }

    public void setFlat(long flat, float value) {
        segment.setAtIndex(ELEMENT, offset + physical(flat), value);
    }

    private long at(int axis, int index) {
        return Objects.checkIndex(index, shape.dim(axis)) * strides[axis];
    }

    private long physical(long flat) {
        Objects.checkIndex(flat, shape.size());
        long index = 0;
        for (int axis = strides.length - 1; axis >= 0; axis--) {
            int d = shape.dim(axis);
            index += (flat % d) * strides[axis];
            flat /= d;
        }
        return index;
    }

    private void checkRank(int rank) {
        if (shape.rank() != rank) {
            throw new IllegalArgumentException("rank-" + rank + " access to a tensor of shape " + shape);
        }
    }

    // ---- views ----

    /** A view with the axes reordered: axis {@code i} of the result is axis {@code axes[i]} of this. */
    public FloatTensor permute(int... axes) {
        if (axes.length != rank()) {
            throw new IllegalArgumentException("permute needs " + rank() + " axes, got " + Arrays.toString(axes));
        }
        int[] dims = new int[axes.length];
        long[] newStrides = new long[axes.length];
        boolean[] used = new boolean[axes.length];
        for (int i = 0; i < axes.length; i++) {
            int a = Objects.checkIndex(axes[i], axes.length);
            if (used[a]) {
                throw new IllegalArgumentException("axis " + a + " repeated in " + Arrays.toString(axes));
            }
            used[a] = true;
            dims[i] = shape.dim(a);
            newStrides[i] = strides[a];
        }
        return new FloatTensor(segment, Shape.of(dims), newStrides, offset);
    }

    /** A view of indices {@code [from, to)} along {@code axis}. */
    public FloatTensor slice(int axis, int from, int to) {
        Objects.checkFromToIndex(from, to, shape.dim(axis));
        if (from == to) {
            throw new IllegalArgumentException("empty slice [" + from + ", " + to + ") of axis " + axis);
        }
        int[] dims = shape.dims();
        dims[axis] = to - from;
        return new FloatTensor(segment, Shape.of(dims), strides, offset + from * strides[axis]);
    }

    /** A view of index {@code index} along {@code axis}, with that axis removed (rank must stay >= 1). */
    public FloatTensor select(int axis, int index) {
        if (rank() == 1) {
            throw new IllegalArgumentException("select would leave a rank-0 tensor");
        }
        Objects.checkIndex(index, shape.dim(axis));
        int[] dims = new int[rank() - 1];
        long[] newStrides = new long[rank() - 1];
        for (int i = 0, j = 0; i < rank(); i++) {
            if (i != axis) {
                dims[j] = shape.dim(i);
                newStrides[j++] = strides[i];
            }
        }
        return new FloatTensor(segment, Shape.of(dims), newStrides, offset + index * strides[axis]);
    }

    /** A view with another shape of the same size; this tensor must be contiguous. */
    public FloatTensor reshape(int... dims) {
        Shape target = Shape.of(dims);
        if (target.size() != size()) {
            throw new IllegalArgumentException("cannot reshape " + shape + " to " + target + ": sizes differ");
        }
        if (!isContiguous()) {
            throw new IllegalArgumentException("cannot reshape a non-contiguous view " + shape + "; copy() it first");
        }
        return new FloatTensor(segment, target, target.contiguousStrides(), offset);
    }

    // ---- bulk operations ----

    /** The elements in row-major order, in a new array. */
    public float[] toArray() {
        long n = size();
        float[] out = new float[Math.toIntExact(n)];
        if (isContiguous()) {
            MemorySegment.copy(segment, ELEMENT, offset * Float.BYTES, out, 0, out.length);
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = getFlat(i);
            }
        }
        return out;
    }

    /**
     * Copies the elements, in row-major order, into {@code dst} from {@code dstOff}; a row (the last
     * axis) at a time when that axis is contiguous. Allocates nothing.
     */
    public void copyTo(float[] dst, int dstOff) {
        Objects.checkFromIndexSize(dstOff, size(), dst.length);
        if (isContiguous()) {
            MemorySegment.copy(segment, ELEMENT, offset * Float.BYTES, dst, dstOff, (int) size());
            return;
        }
        int row = shape.dim(rank() - 1);
        copyRowsTo(0, row, dst, dstOff, row);
    }

    /** Copies {@code size()} floats from {@code src} (row-major) into this view; the inverse of {@link #copyTo}. */
    public void copyFrom(float[] src, int srcOff) {
        Objects.checkFromIndexSize(srcOff, size(), src.length);
        if (isContiguous()) {
            MemorySegment.copy(src, srcOff, segment, ELEMENT, offset * Float.BYTES, (int) size());
            return;
        }
        int row = shape.dim(rank() - 1);
        copyRowsFrom(src, srcOff, row, 0, row);
    }

    /**
     * Copies columns {@code [from, to)} of every row (rows being the last axis, in row-major
     * order) to {@code dst}: row {@code r} starts at {@code dstOff + r * dstRowStride}. For
     * padded or interleaved layouts; allocates nothing.
     */
    public void copyRowsTo(int from, int to, float[] dst, int dstOff, int dstRowStride) {
        int row = shape.dim(rank() - 1);
        long rows = size() / row;
        checkRows(from, to, dst.length, dstOff, dstRowStride, rows);
        long step = strides[rank() - 1];
        for (long r = 0; r < rows; r++) {
            long at = offset + rowStart(r) + from * step;
            int out = dstOff + (int) (r * dstRowStride);
            if (step == 1) {
                MemorySegment.copy(segment, ELEMENT, at * Float.BYTES, dst, out, to - from);
            } else {
                for (int c = 0; c < to - from; c++) {
                    dst[out + c] = segment.getAtIndex(ELEMENT, at + c * step);
                }
            }
        }
    }

    /** The inverse of {@link #copyRowsTo}: columns {@code [from, to)} of every row from {@code src}. */
    public void copyRowsFrom(float[] src, int srcOff, int srcRowStride, int from, int to) {
        int row = shape.dim(rank() - 1);
        long rows = size() / row;
        checkRows(from, to, src.length, srcOff, srcRowStride, rows);
        long step = strides[rank() - 1];
        for (long r = 0; r < rows; r++) {
            long at = offset + rowStart(r) + from * step;
            int in = srcOff + (int) (r * srcRowStride);
            if (step == 1) {
                MemorySegment.copy(src, in, segment, ELEMENT, at * Float.BYTES, to - from);
            } else {
                for (int c = 0; c < to - from; c++) {
                    segment.setAtIndex(ELEMENT, at + c * step, src[in + c]);
                }
            }
        }
    }

    private void checkRows(int from, int to, int length, int off, int rowStride, long rows) {
        Objects.checkFromToIndex(from, to, shape.dim(rank() - 1));
        if (rowStride < to - from || off < 0 || off + (rows - 1) * rowStride + (to - from) > length) {
            throw new IndexOutOfBoundsException(rows + " rows of " + (to - from) + " with stride " + rowStride
                    + " from " + off + " do not fit an array of " + length);
        }
    }

    /** Element offset (from {@link #offset}) of row {@code r}, rows being the last axis. */
    private long rowStart(long r) {
        long index = 0;
        for (int axis = rank() - 2; axis >= 0; axis--) {
            int d = shape.dim(axis);
            index += (r % d) * strides[axis];
            r /= d;
        }
        return index;
    }

    /** A contiguous heap copy. */
    public FloatTensor copy() {
        return of(toArray(), shape.dims());
    }

    /** Copies {@code source} (same shape, any strides) into this view. */
    public void copyFrom(FloatTensor source) {
        if (!source.shape.equals(shape)) {
            throw new IllegalArgumentException("copyFrom: expected shape " + shape + " but was " + source.shape);
        }
        if (isContiguous() && source.isContiguous()) {
            MemorySegment.copy(source.segment, offset(source), segment, offset(this), size() * Float.BYTES);
            return;
        }
        for (long i = 0, n = size(); i < n; i++) {
            setFlat(i, source.getFlat(i));
        }
    }

    private static long offset(FloatTensor t) {
        return t.offset * Float.BYTES;
    }

    public void fill(float value) {
        if (isContiguous()) {
            long from = offset * Float.BYTES;
            for (long i = 0, n = size(); i < n; i++) {
                segment.set(ELEMENT, from + i * Float.BYTES, value);
            }
            return;
        }
        for (long i = 0, n = size(); i < n; i++) {
            setFlat(i, value);
        }
    }

    /** The row-major index of the first element that is NaN or infinite, or -1 when all are finite. */
    public long firstNonFinite() {
        if (isContiguous()) {
            if (maxExponentBits(segment, offset, size()) != EXPONENT) {
                return -1; // the common case, in a loop C2 vectorizes (7x faster than testing each element)
            }
            for (long i = 0, n = size(); i < n; i++) {
                if (!Float.isFinite(segment.getAtIndex(ELEMENT, offset + i))) {
                    return i;
                }
            }
            return -1;
        }
        for (long i = 0, n = size(); i < n; i++) {
            if (!Float.isFinite(getFlat(i))) {
                return i;
            }
        }
        return -1;
    }

    private static final int EXPONENT = 0x7f800000;
    private static final ValueLayout.OfInt BITS = ValueLayout.JAVA_INT_UNALIGNED;

    /** The largest exponent field among {@code n} floats from element {@code offset}: all ones when one is NaN or infinite. */
    private static int maxExponentBits(MemorySegment segment, long offset, long n) {
        int max = 0;
        for (long i = 0; i < n; i++) {
            max = Math.max(max, segment.getAtIndex(BITS, offset + i) & EXPONENT);
        }
        return max;
    }

    /** Row-major flat index to coordinates, for messages. */
    public int[] coordinates(long flat) {
        int[] at = new int[rank()];
        for (int axis = rank() - 1; axis >= 0; axis--) {
            at[axis] = (int) (flat % shape.dim(axis));
            flat /= shape.dim(axis);
        }
        return at;
    }

    @Override
    public String toString() {
        return "FloatTensor" + shape + (isNative() ? " native" : " heap") + (isContiguous() ? "" : " strided");
    }
}
