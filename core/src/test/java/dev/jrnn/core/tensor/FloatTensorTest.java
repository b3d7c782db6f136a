package dev.jrnn.core.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class FloatTensorTest {

    private static FloatTensor iota(int... dims) {
        FloatTensor t = FloatTensor.zeros(dims);
        for (int i = 0; i < t.size(); i++) {
            t.setFlat(i, i);
        }
        return t;
    }

    @Test
    void rowMajorIndexing() {
        FloatTensor t = iota(2, 3, 4);
        assertEquals(1 * 12 + 2 * 4 + 3, t.get(1, 2, 3));
        assertArrayEquals(new long[] {12, 4, 1}, t.strides());
        assertTrue(t.isContiguous());
        assertThrows(IndexOutOfBoundsException.class, () -> t.get(2, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> t.get(0, 0));
    }

    @Test
    void permuteIsAViewWithSwappedStrides() {
        FloatTensor ntc = iota(2, 3, 4);
        FloatTensor tnc = ntc.permute(1, 0, 2);
        assertEquals(Shape.of(3, 2, 4), tnc.shape());
        assertFalse(tnc.isContiguous());
        assertEquals(ntc.get(1, 2, 3), tnc.get(2, 1, 3));
        tnc.set(0, 1, 0, -7f);
        assertEquals(-7f, ntc.get(1, 0, 0));
        float[] logical = tnc.toArray();
        assertEquals(ntc.get(1, 0, 1), logical[1 * 4 + 1]); // row-major of the view: [t=0][n=1][c=1]
        assertThrows(IllegalArgumentException.class, () -> ntc.permute(0, 0, 1));
    }

    @Test
    void sliceSelectAndReshape() {
        FloatTensor t = iota(4, 5);
        FloatTensor rows = t.slice(0, 1, 3);
        assertEquals(Shape.of(2, 5), rows.shape());
        assertEquals(t.get(2, 4), rows.get(1, 4));
        FloatTensor column = t.select(1, 2);
        assertArrayEquals(new float[] {2, 7, 12, 17}, column.toArray());
        assertEquals(Shape.of(20), t.reshape(20).shape());
        assertThrows(IllegalArgumentException.class, () -> t.reshape(3, 7));
        assertThrows(IllegalArgumentException.class, () -> t.permute(1, 0).reshape(20));
    }

    @Test
    void nativeTensorsAreAlignedAndZeroed() {
        try (Arena arena = Arena.ofConfined()) {
            FloatTensor t = FloatTensor.allocate(arena, Shape.of(3, 7));
            assertTrue(t.isNative());
            assertEquals(0, t.segment().address() % FloatTensor.NATIVE_ALIGNMENT);
            assertArrayEquals(new float[21], t.toArray());
            t.copyFrom(iota(3, 7));
            assertEquals(20f, t.get(2, 6));
            FloatTensor back = FloatTensor.zeros(7, 3).permute(1, 0);
            back.copyFrom(t);
            assertArrayEquals(t.toArray(), back.toArray());
        }
    }

    @Test
    void fillCopyAndNonFiniteSearch() {
        FloatTensor t = iota(2, 3).permute(1, 0);
        assertEquals(-1, t.firstNonFinite());
        t.set(2, 1, Float.NaN);
        assertEquals(5, t.firstNonFinite());
        assertArrayEquals(new int[] {2, 1}, t.coordinates(5));
        t.fill(1.5f);
        assertArrayEquals(new float[] {1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f}, t.toArray());
        FloatTensor c = t.copy();
        assertTrue(c.isContiguous());
        c.fill(0);
        assertEquals(1.5f, t.get(0, 0));
    }

    @Test
    void bulkCopiesFollowTheView() {
        FloatTensor ntc = iota(2, 3, 4);
        FloatTensor tnc = ntc.permute(1, 0, 2);                   // rows contiguous, leading axes swapped
        float[] out = new float[26];
        tnc.copyTo(out, 2);
        assertArrayEquals(tnc.toArray(), java.util.Arrays.copyOfRange(out, 2, 26));
        FloatTensor columns = iota(4, 6).permute(1, 0);           // no contiguous axis
        float[] cols = new float[24];
        columns.copyTo(cols, 0);
        assertArrayEquals(columns.toArray(), cols);
        FloatTensor back = FloatTensor.zeros(2, 3, 4);
        back.permute(1, 0, 2).copyFrom(out, 2);
        assertArrayEquals(ntc.toArray(), back.toArray());
        assertThrows(IndexOutOfBoundsException.class, () -> tnc.copyTo(new float[23], 0));
    }

    @Test
    void rowRangesCopyIntoPaddedRows() {
        FloatTensor t = iota(2, 3).permute(1, 0);                // [3, 2]: rows {0,3} {1,4} {2,5}
        float[] padded = new float[3 * 4];
        t.copyRowsTo(1, 2, padded, 1, 4);                          // second column of each row into slot 1 of rows of 4
        assertArrayEquals(new float[] {0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0}, padded);
        FloatTensor back = FloatTensor.zeros(3, 2);
        back.copyRowsFrom(padded, 1, 4, 1, 2);
        assertArrayEquals(new float[] {0, 3, 0, 4, 0, 5}, back.toArray());
        assertThrows(IndexOutOfBoundsException.class, () -> t.copyRowsTo(0, 2, new float[9], 0, 4));
    }

    @Test
    void wrongSizesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> FloatTensor.of(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> Shape.of(2, 0));
        assertThrows(IllegalArgumentException.class, () -> iota(2, 3).copyFrom(iota(3, 2)));
    }
}
