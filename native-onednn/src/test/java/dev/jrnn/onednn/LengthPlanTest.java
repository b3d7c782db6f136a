package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The pieces a call runs as: they cover every sequence's steps exactly once, in few sizes. */
class LengthPlanTest {

    @Test
    void equalLengthsAreOnePieceOfTheExactSizeInTheCallersOrder() {
        LengthPlan plan = new LengthPlan();
        plan.plan(null, 5, 7, false, true, true);
        assertEquals(1, plan.pieces);
        assertEquals("0 5 0 7 5", piece(plan, 0));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, java.util.Arrays.copyOf(plan.sorted, 5));
        plan.plan(new int[] {7, 7, 7}, 3, 7, true, true, true);
        assertEquals(1, plan.pieces);
    }

    @Test
    void theMixedLengthBatchRunsTenPiecesOfTenSizes() { // MixedLengthBench: lengths 19..50, N = 32
        int[] lengths = new int[32];
        for (int n = 0; n < 32; n++) {
            lengths[n] = 19 + (n * 13) % 32;
        }
        LengthPlan plan = new LengthPlan();
        plan.plan(lengths, 32, 50, false, true, true);
        String[] want = {"0 32 0 16 32", "0 32 16 20 32", "0 30 20 22 32", "0 28 22 26 28", "0 24 26 30 24",
            "0 20 30 34 20", "0 16 34 38 16", "0 12 38 42 12", "0 8 42 46 8", "0 4 46 50 4"};
        assertEquals(want.length, plan.pieces);
        for (int p = 0; p < want.length; p++) {
            assertEquals(want[p], piece(plan, p), "piece " + p);
        }
        plan.plan(lengths, 32, 50, false, true, false); // LSTM in training: a segment per distinct length
        assertEquals(3 + 31, plan.pieces);
    }

    @Test
    void randomLengthsAreCoveredExactlyOnce() {
        SplittableRandom random = new SplittableRandom(15);
        LengthPlan plan = new LengthPlan();
        for (int trial = 0; trial < 2000; trial++) {
            int steps = 1 + random.nextInt(70), n = 1 + random.nextInt(trial % 10 == 0 ? 300 : 40);
            int[] lengths = new int[n];
            for (int k = 0; k < n; k++) {
                lengths[k] = 1 + random.nextInt(steps);
            }
            boolean bidirectional = random.nextBoolean(), pad = random.nextBoolean(), inside = pad && random.nextBoolean();
            plan.plan(lengths, n, steps, bidirectional, pad, inside);
            String what = java.util.Arrays.toString(lengths) + " bi " + bidirectional + " pad " + pad + " inside " + inside;
            int[][] runs = new int[n][steps];
            for (int p = 0; p < plan.pieces; p++) {
                int from = plan.from[p], to = plan.to[p];
                assertTrue(plan.rows[p] >= 1 && plan.rows[p] <= plan.batch[p] && plan.batch[p] <= n, what);
                assertTrue(pad || plan.batch[p] == plan.rows[p], what);
                assertEquals(plan.continues(p), from > 0, what);
                if (plan.continues(p)) {
                    assertEquals(plan.to[p - 1], from, what);
                    assertTrue(plan.batch[p] <= plan.batch[p - 1], what); // states carried are a prefix
                }
                boolean variable = plan.pieces > 1 || plan.to[0] < steps || plan.rows[0] < n;
                if (variable && !bidirectional) {
                    assertEquals(Integer.bitCount(to - from), 1, "T a power of two: " + what);
                }
                for (int k = 0; k < plan.rows[p]; k++) {
                    int length = plan.length(p, k);
                    assertEquals(lengths[plan.sequence(p, k)], length, what);
                    assertTrue(length > from, "active at its piece's start: " + what);
                    assertTrue(inside || length >= to, "ends inside only when allowed: " + what);
                    assertTrue(!bidirectional || length == to, what);
                    for (int t = from; t < Math.min(to, length); t++) {
                        runs[plan.sequence(p, k)][t]++;
                    }
                }
                for (int t = from; t <= to; t++) {
                    int active = plan.activeAt(p, t, plan.rows[p]);
                    for (int k = 0; k < plan.rows[p]; k++) {
                        assertEquals(k < active, plan.length(p, k) > t, what);
                    }
                }
            }
            for (int k = 0; k < n; k++) {
                for (int t = 0; t < steps; t++) {
                    assertEquals(t < lengths[k] ? 1 : 0, runs[k][t], "sequence " + k + " step " + t + ": " + what);
                }
            }
        }
    }

    @Test
    void roundingWastesLittle() {
        for (int n = 1; n <= 5000; n++) {
            int r = LengthPlan.roundUp(n);
            assertTrue(r >= n && (r - n <= 3 || r - n <= n / 8), n + " -> " + r);
        }
        assertEquals(32, LengthPlan.roundUp(29));
        assertEquals(72, LengthPlan.roundUp(65));
    }

    private static String piece(LengthPlan plan, int p) {
        return plan.rowFrom[p] + " " + plan.rows[p] + " " + plan.from[p] + " " + plan.to[p] + " " + plan.batch[p];
    }
}
