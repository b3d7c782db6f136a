package dev.jrnn.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** GEMM and GEMV against a double-precision triple loop, on sizes around every tile and panel edge. */
@Tag("width")
class GemmTest {

    static List<int[]> shapes() {
        int[] sizes = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 65};
        List<int[]> shapes = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            // m, n, k walk the sizes at different paces so that every pairing of edges shows up
            shapes.add(new int[] {sizes[i], sizes[(i * 7 + 3) % sizes.length], sizes[(i * 11 + 5) % sizes.length]});
            shapes.add(new int[] {sizes[(i * 5 + 1) % sizes.length], sizes[i], sizes[(i * 3 + 2) % sizes.length]});
        }
        shapes.add(new int[] {300, 40, 700}); // several row blocks
        return shapes;
    }

    @ParameterizedTest(name = "m={0}")
    @MethodSource("shapes")
    void gemmMatchesDoubleTripleLoop(int[] mnk) {
        Gemm.Tile planned = Gemm.tile();
        try {
            for (Gemm.Tile tile : Gemm.Tile.values()) {
                Gemm.forceTile(tile);
                gemmMatchesDoubleTripleLoop(mnk, tile);
            }
        } finally {
            Gemm.forceTile(planned);
        }
    }

    private void gemmMatchesDoubleTripleLoop(int[] mnk, Gemm.Tile tile) {
        int m = mnk[0], n = mnk[1], k = mnk[2];
        SplittableRandom random = new SplittableRandom(m * 1_000_003L + n * 1009L + k);
        for (boolean transA : new boolean[] {false, true}) {
            int lda = (transA ? m : k) + 3, ldb = n + 2, ldc = n + 1;
            float[] a = random(random, (transA ? k : m) * lda + 5);
            float[] b = random(random, k * ldb + 2);
            float[] c = random(random, m * ldc + 4), c0 = c.clone();
            Gemm.PackedB packed = Gemm.pack(k, n, b, 2, ldb);
            for (boolean accumulate : new boolean[] {false, true}) {
                float[] out = c0.clone();
                Gemm.gemm(m, transA, a, 5, lda, packed, out, 4, ldc, accumulate);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double want = accumulate ? c0[4 + i * ldc + j] : 0;
                        for (int kk = 0; kk < k; kk++) {
                            double aik = transA ? a[5 + kk * lda + i] : a[5 + i * lda + kk];
                            want += aik * b[2 + kk * ldb + j];
                        }
                        int ii = i, jj = j; // the message only on failure: building it per element is slow
                        assertEquals(want, out[4 + i * ldc + j], 1e-5 * Math.sqrt(k) + 1e-6 * Math.abs(want),
                                () -> "C[" + ii + "][" + jj + "] transA=" + transA + " accumulate=" + accumulate
                                        + " tile " + tile.label());
                    }
                    if (ldc > n) {
                        assertEquals(c0[4 + i * ldc + n], out[4 + i * ldc + n], "padding column written");
                    }
                }
            }
        }
    }

    @Test
    void gemvIsTheOneRowCase() {
        SplittableRandom random = new SplittableRandom(7);
        int rows = 37, cols = 29;
        float[] w = random(random, rows * cols), x = random(random, cols), y = new float[rows];
        float[] wt = new float[cols * rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                wt[c * rows + r] = w[r * cols + c];
            }
        }
        Gemm.gemv(x, 0, Gemm.pack(cols, rows, wt, 0, rows), y, 0);
        for (int r = 0; r < rows; r++) {
            double want = 0;
            for (int c = 0; c < cols; c++) {
                want += (double) w[r * cols + c] * x[c];
            }
            assertEquals(want, y[r], 1e-5);
        }
    }

    /** Batch 1 runs the row kernel, a whole tile the tile kernel: a row's numbers must not depend on which. */
    @Test
    void oneRowEqualsItsRowInATileBitForBit() {
        SplittableRandom random = new SplittableRandom(11);
        int k = 37, tile = Gemm.TILE, panel = Gemm.panelWidth();
        for (int panels : new int[] {1, 3, 4, 5, 9}) {
            int n = panels * panel;
            float[] a = random(random, tile * k), b = random(random, k * n), start = random(random, tile * n);
            Gemm.PackedB packed = Gemm.pack(k, n, b, 0, n);
            for (boolean accumulate : new boolean[] {false, true}) {
                float[] all = start.clone();
                Gemm.gemm(tile, false, a, 0, k, packed, all, 0, n, accumulate);
                for (int i = 0; i < tile; i++) {
                    float[] one = java.util.Arrays.copyOfRange(start, i * n, (i + 1) * n);
                    Gemm.gemm(1, false, a, i * k, k, packed, one, 0, n, accumulate);
                    for (int j = 0; j < n; j++) {
                        assertEquals(all[i * n + j], one[j], 0f, "row " + i + " column " + j + " of " + panels + " panels");
                    }
                }
            }
        }
        for (int gates : new int[] {1, 3, 4}) {
            int hidden = 2 * panel, width = gates * hidden;
            float[] w = random(random, width * k), packed = new float[width * k], bias = random(random, width);
            Gemm.packGatesTransposed(w, gates, hidden, k, packed);
            var segment = Gemm.aligned(java.lang.foreign.Arena.ofAuto(), packed);
            float[] a = random(random, tile * k);
            for (float[] withBias : new float[][] {bias, null}) {
                float[] all = new float[tile * width], one = new float[width];
                Gemm.gatesUnchecked(tile, k, a, 0, k, 1, segment, gates, hidden, 0, 2, all, 0, width, withBias, false);
                for (int i = 0; i < tile; i++) {
                    Gemm.gatesUnchecked(1, k, a, i * k, k, 1, segment, gates, hidden, 0, 2, one, 0, width, withBias, false);
                    for (int j = 0; j < width; j++) {
                        assertEquals(all[i * width + j], one[j], 0f, "gates " + gates + ", row " + i + " column " + j);
                    }
                }
            }
        }
    }

    /**
     * Every tile gives every element the same sum in the same order: the same bits, whatever the
     * tile, the rows around the tile's and the 8- and 4-row kernels' edges, an odd number of panels
     * (the last one beside a two-panel tile), a bias or C's own values to start from.
     */
    @Test
    void everyTileGivesTheSameBits() {
        SplittableRandom random = new SplittableRandom(16);
        int panel = Gemm.panelWidth();
        Gemm.Tile planned = Gemm.tile();
        try {
            for (int m : new int[] {4, 6, 12, 14, 18, 28, 30, 64, 84, 90, 131, 300}) {
                for (int k : new int[] {37, 256}) {
                    for (int panels : new int[] {1, 3, 4}) {
                        int n = panels * panel;
                        float[] a = random(random, m * k), b = random(random, k * n), start = random(random, m * n);
                        Gemm.PackedB packed = Gemm.pack(k, n, b, 0, n);
                        for (boolean accumulate : new boolean[] {false, true}) {
                            float[] want = null;
                            for (Gemm.Tile tile : Gemm.Tile.values()) {
                                Gemm.forceTile(tile);
                                float[] got = start.clone();
                                Gemm.gemm(m, false, a, 0, k, packed, got, 0, n, accumulate);
                                if (want == null) {
                                    want = got;
                                } else {
                                    int mm = m, kk = k, pp = panels;
                                    for (int i = 0; i < want.length; i++) {
                                        int ii = i;
                                        assertEquals(want[i], got[i], 0f, () -> "m " + mm + " k " + kk + " panels " + pp
                                                + " element " + ii + " tile " + tile.label());
                                    }
                                }
                            }
                        }
                    }
                }
                int gates = 3, hidden = 3 * panel, width = gates * hidden, k = 45;
                float[] w = random(random, width * k), packed = new float[width * k], bias = random(random, width);
                Gemm.packGatesTransposed(w, gates, hidden, k, packed);
                var segment = Gemm.aligned(java.lang.foreign.Arena.ofAuto(), packed);
                float[] a = random(random, m * k);
                for (float[] withBias : new float[][] {bias, null}) {
                    float[] want = null;
                    for (Gemm.Tile tile : Gemm.Tile.values()) {
                        Gemm.forceTile(tile);
                        float[] got = new float[m * width];
                        Gemm.gatesUnchecked(m, k, a, 0, k, 1, segment, gates, hidden, 0, 3, got, 0, width, withBias, false);
                        if (want == null) {
                            want = got;
                        } else {
                            int mm = m;
                            for (int i = 0; i < want.length; i++) {
                                int ii = i;
                                assertEquals(want[i], got[i], 0f, () -> "gates, m " + mm + " element " + ii + " tile "
                                        + tile.label());
                            }
                        }
                    }
                }
            }
        } finally {
            Gemm.forceTile(planned);
        }
    }

    @Test
    void tilesAreNamedAsTheProperty() {
        assertEquals(Gemm.Tile.T12x2, Gemm.Tile.parse("12x2"));
        assertEquals(Gemm.Tile.T8x2, Gemm.Tile.parse("8"));
        assertEquals(Gemm.Tile.T4x2, Gemm.Tile.parse(" 4 "));
        assertEquals(Gemm.Tile.T6x4, Gemm.Tile.parse("6x4"));
        assertThrows(IllegalArgumentException.class, () -> Gemm.Tile.parse("9x2"));
        org.junit.jupiter.api.Assertions.assertTrue(Gemm.describeTile().startsWith("register tile "), Gemm.describeTile());
    }

    @Test
    void argumentsAreChecked() {
        Gemm.PackedB b = Gemm.pack(3, 4, new float[12], 0, 4);
        assertThrows(IndexOutOfBoundsException.class, () -> Gemm.gemm(2, false, new float[5], 0, 3, b, new float[8], 0, 4, false));
        assertThrows(IllegalArgumentException.class, () -> Gemm.gemm(2, false, new float[6], 0, 2, b, new float[8], 0, 4, false));
        assertThrows(IndexOutOfBoundsException.class, () -> Gemm.gemm(2, false, new float[6], 0, 3, b, new float[7], 0, 4, false));
        assertThrows(IndexOutOfBoundsException.class, () -> Gemm.pack(3, 4, new float[12], 1, 4));
    }

    private static float[] random(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextDouble(-1, 1);
        }
        return a;
    }
}
