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
        int probes = 1024 / Adaptive.PROBE_EVERY + 3; // every PROBE_EVERY calls, and at 16, 32, 64
        assertTrue(many > 1024 - probes * 2 - 2 * Adaptive.WINDOW, "two threads, the faster: " + many);
        Adaptive busy = new Adaptive(2);
        int few = together(busy, 1024, 2_000, 5_000);
        assertTrue(few <= Adaptive.WINDOW + probes * 2 + 2, "one thread, the faster: " + few);
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

    /** Three options: the fastest runs most calls, and each other one is still probed. */
    @Test
    void choosesAmongSeveralOptions() {
        Adaptive policy = Adaptive.options(3);
        long[] cost = {3_000, 2_000, 1_000};
        int[] runs = new int[3];
        for (int i = 0; i < 1024; i++) {
            int o = policy.nextOption();
            policy.recordOption(o, cost[o]);
            runs[o]++;
        }
        assertTrue(runs[2] > 1024 - (1024 / Adaptive.PROBE_EVERY + 3) * 4 - 3 * Adaptive.WINDOW, "the fastest: " + runs[2]);
        assertTrue(runs[0] > Adaptive.WINDOW && runs[1] > Adaptive.WINDOW, "the others are probed: " + runs[0] + ", " + runs[1]);
        cost[2] = 9_000; // the fastest becomes the slowest: the middle one takes over
        for (int i = 0; i < 4 * Adaptive.PROBE_EVERY; i++) {
            int o = policy.nextOption();
            policy.recordOption(o, cost[o]);
        }
        int middle = 0;
        for (int i = 0; i < 2 * Adaptive.PROBE_EVERY; i++) {
            int o = policy.nextOption();
            policy.recordOption(o, cost[o]);
            middle += o == 1 ? 1 : 0;
        }
        assertTrue(middle >= 2 * Adaptive.PROBE_EVERY - 8, "now the middle one: " + middle);
    }

    /** The first calls run while the JIT compiles: the others are measured again after 16, 32 and 64 calls. */
    @Test
    void probesEarlyWhileTheJitWarmsUp() {
        Adaptive policy = new Adaptive(2);
        int[] ran = new int[80];
        for (int i = 0; i < ran.length; i++) {
            int p = policy.next();
            policy.record(p, p == 1 ? 1_000 : 2_000); // one thread looks faster: two threads are probes
            ran[i] = p;
        }
        for (int at : new int[] {16, 32, 64}) {
            assertEquals(2, ran[at], "a probe at call " + at);
            assertEquals(2, ran[at + 1], "a second probe at call " + (at + 1));
        }
        assertEquals(1, ran[20]);
    }

    @Test
    void oneThreadPlannedIsOneThreadAlways() {
        Adaptive policy = new Adaptive(1);
        assertEquals(0, together(policy, 300, 5_000, 1));
    }

    /** A service's plan sees billions of calls: past the point where the call count saturates, it still keeps the faster. */
    @Test
    void keepsChoosingAfterMillionsOfCalls() {
        Adaptive policy = new Adaptive(2);
        together(policy, (1 << 21) + 64, 2_000, 1_000);
        int many = together(policy, 1024, 2_000, 1_000);
        assertTrue(many > 1024 - 1024 / Adaptive.PROBE_EVERY * 2 - 2 * Adaptive.WINDOW, "two threads still win: " + many);
    }
}
