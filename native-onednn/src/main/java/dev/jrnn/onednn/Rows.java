package dev.jrnn.onednn;

import dev.jrnn.core.tensor.FloatTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Copies between a caller's {@code [A, N, C]} tensors (sequences {@code [T, N, C]}, states
 * {@code [L*D, N, H]}: any strides but a contiguous last axis, which the argument checks
 * guarantee) and an execution's contiguous buffers, a row of {@code C} floats at a time, or a run
 * of adjacent rows at once. Row {@code (a, n)} is {@code t[a][n][..]}.
 */
final class Rows {

    private Rows() {
    }

    /** {@code dst[da][k] = src[sa][index[k]]} for {@code k < count}; {@code dst} is contiguous. */
    static void gather(FloatTensor src, int sa, int[] index, int indexFrom, int count, FloatTensor dst, int da) {
        long width = dst.dim(2);
        boolean adjacent = src.stride(1) == width;
        for (int k = 0; k < count; ) {
            int run = 1;
            while (adjacent && k + run < count && index[indexFrom + k + run] == index[indexFrom + k] + run) {
                run++;
            }
            MemorySegment.copy(src.segment(), bytes(src, sa, index[indexFrom + k]), dst.segment(), bytes(dst, da, k),
                    run * width * Float.BYTES);
            k += run;
        }
    }

    /** {@code dst[da][index[k]] = src[sa][k]} for {@code k < count}; {@code src} is contiguous. */
    static void scatter(FloatTensor src, int sa, int count, FloatTensor dst, int da, int[] index, int indexFrom) {
        long width = src.dim(2);
        boolean adjacent = dst.stride(1) == width;
        for (int k = 0; k < count; ) {
            int run = 1;
            while (adjacent && k + run < count && index[indexFrom + k + run] == index[indexFrom + k] + run) {
                run++;
            }
            MemorySegment.copy(src.segment(), bytes(src, sa, k), dst.segment(), bytes(dst, da, index[indexFrom + k]),
                    run * width * Float.BYTES);
            k += run;
        }
    }

    /** Rows {@code [k, k + count)} of {@code t[a]}, {@code t} contiguous, set to zero. */
    static void zero(FloatTensor t, int a, int k, int count) {
        if (count > 0) {
            clear(t.segment(), bytes(t, a, k), count * (long) t.dim(2) * Float.BYTES);
        }
    }

    /** Row {@code (a, n)} of any {@code t} set to zero. */
    static void zeroRow(FloatTensor t, int a, int n) {
        clear(t.segment(), bytes(t, a, n), (long) t.dim(2) * Float.BYTES);
    }

    /** Zeros to copy from: a slice's {@code fill} makes a segment object per call, which C2 does not always remove. */
    private static final MemorySegment ZEROS = Arena.global().allocate(64 << 10, 64);

    /** Bytes {@code [offset, offset + bytes)} of {@code s} set to zero, allocating nothing. */
    private static void clear(MemorySegment s, long offset, long bytes) {
        for (long done = 0; done < bytes; done += ZEROS.byteSize()) {
            MemorySegment.copy(ZEROS, 0, s, offset + done, Math.min(ZEROS.byteSize(), bytes - done));
        }
    }

    /** Rows {@code [0, count)} of {@code src[sa]} to rows {@code [0, count)} of {@code dst[da]}, both contiguous. */
    static void copy(FloatTensor src, int sa, FloatTensor dst, int da, int count) {
        MemorySegment.copy(src.segment(), bytes(src, sa, 0), dst.segment(), bytes(dst, da, 0),
                count * (long) src.dim(2) * Float.BYTES);
    }

    /** {@code dst[da][dn] = src[sa][sn]}. */
    static void copyRow(FloatTensor src, int sa, int sn, FloatTensor dst, int da, int dn) {
        MemorySegment.copy(src.segment(), bytes(src, sa, sn), dst.segment(), bytes(dst, da, dn),
                (long) src.dim(2) * Float.BYTES);
    }

    /** {@code dst[da][dn] += src[sa][sn]}. */
    static void addRow(FloatTensor src, int sa, int sn, FloatTensor dst, int da, int dn) {
        MemorySegment s = src.segment(), d = dst.segment();
        long from = bytes(src, sa, sn) / Float.BYTES, to = bytes(dst, da, dn) / Float.BYTES;
        for (int c = 0, width = src.dim(2); c < width; c++) {
            d.setAtIndex(FloatTensor.ELEMENT, to + c,
                    d.getAtIndex(FloatTensor.ELEMENT, to + c) + s.getAtIndex(FloatTensor.ELEMENT, from + c));
        }
    }

    private static long bytes(FloatTensor t, int a, int n) {
        return (t.offset() + a * t.stride(0) + n * t.stride(1)) * Float.BYTES;
    }
}
