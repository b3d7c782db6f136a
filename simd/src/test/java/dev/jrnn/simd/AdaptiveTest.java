package dev.jrnn.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The per-call choice between one thread and the planned number, driven by recorded times. */
class AdaptiveTest {

    /** Runs {@code calls} calls where one thread takes {@code alone} ns and two take {@code together}; counts two-thread calls. */
    private static int together(Adaptive policy, int calls, long alone, long together) {
        int count = 0;
        for (int i = 0; i < calls; i++) {
            int p = policy.next();
            policy.record(p, p == 1 ? alone : together);
            count += p == 2 ? 1 : 0;
        }
        return count;
    }

    @Test
    void keepsTheFasterAndProbesTheOther() {
        Adaptive policy = new Adaptive(2);
        int many = together(policy, 1024, 2_000, 1_000);
        assertTrue(many > 1024 - 1024 / Adaptive.PROBE_EVERY * 2 - 2 * Adaptive.WINDOW, "two threads, the faster: " + many);
        Adaptive busy = new Adaptive(2);
        int few = together(busy, 1024, 2_000, 5_000);
        assertTrue(few <= Adaptive.WINDOW + 1024 / Adaptive.PROBE_EVERY * 2 + 2, "one thread, the faster: " + few);
        assertTrue(few > Adaptive.WINDOW, "the other is still probed: " + few);
    }

    @Test
    void followsAChangeOfMachine() {
        Adaptive policy = new Adaptive(2);
        together(policy, 512, 2_000, 1_000);                 // quiet: two threads win
        together(policy, 8 * Adaptive.PROBE_EVERY, 2_000, 9_000); // the second core gets busy
        int after = together(policy, 4 * Adaptive.PROBE_EVERY, 2_000, 9_000);
        assertTrue(after <= 8 + 2, "back to one thread: " + after);
    }

    @Test
    void oneThreadPlannedIsOneThreadAlways() {
        Adaptive policy = new Adaptive(1);
        assertEquals(0, together(policy, 300, 5_000, 1));
    }

    /** A service's plan sees billions of calls: the counters pass Integer.MAX_VALUE without an index out of range. */
    @Test
    void survivesCounterOverflow() throws ReflectiveOperationException {
        Adaptive policy = new Adaptive(2);
        together(policy, 64, 2_000, 1_000);
        for (String counter : new String[] {"calls", "aloneCount", "togetherCount"}) {
            java.lang.reflect.Field f = Adaptive.class.getDeclaredField(counter);
            f.setAccessible(true);
            f.setInt(policy, Integer.MAX_VALUE - 5);
        }
        int many = together(policy, 1024, 2_000, 1_000);
        assertTrue(many > 1024 - 1024 / Adaptive.PROBE_EVERY * 2 - 2 * Adaptive.WINDOW, "two threads still win: " + many);
    }
}
