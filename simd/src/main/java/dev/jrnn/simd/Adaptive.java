package dev.jrnn.simd;

import java.util.Arrays;

/**
 * Chooses, call by call, between one thread and the planned number. Each is judged by its best
 * time among its last {@value #WINDOW} calls (the minimum shrugs off a GC pause or a noisy
 * neighbour's burst); the faster runs, and every {@value #PROBE_EVERY} calls two in a row try the
 * other so that the choice follows the machine. When another process takes the second core, a per-step
 * barrier waits for a descheduled thread: this falls back to one thread instead of collapsing.
 * Results do not depend on the choice (the partitions are fixed), so switching is invisible but
 * for time. Racy updates from concurrent callers are harmless: any recorded time is a plausible one.
 */
final class Adaptive {

    static final int WINDOW = 4; // a power of two: slots are picked by mask
    static final int PROBE_EVERY = 128;

    private final int planned;
    private final long[] alone = new long[WINDOW], together = new long[WINDOW];
    /** Counts saturate and slots wrap by mask, so a service's billions of calls (and racing callers) stay in range. */
    private int calls, aloneCount, togetherCount;

    Adaptive(int planned) {
        this.planned = planned;
        Arrays.fill(alone, Long.MAX_VALUE);
        Arrays.fill(together, Long.MAX_VALUE);
    }

    /** Parties for the next call. */
    int next() {
        if (planned == 1) {
            return 1;
        }
        int n = calls++ & Integer.MAX_VALUE;
        if (togetherCount < WINDOW) {
            return planned;
        }
        if (aloneCount < WINDOW) {
            return 1;
        }
        boolean togetherWins = best(together) <= best(alone);
        boolean probe = n % PROBE_EVERY < 2; // twice in a row: the first runs on cold caches and a parked helper
        return togetherWins != probe ? planned : 1;
    }

    /** Records that a call with {@code parties} took {@code nanos}. */
    void record(int parties, long nanos) {
        if (planned == 1) {
            return;
        }
        if (parties == 1) {
            int i = aloneCount;
            alone[i & (WINDOW - 1)] = nanos;
            aloneCount = i < Integer.MAX_VALUE ? i + 1 : WINDOW;
        } else {
            int i = togetherCount;
            together[i & (WINDOW - 1)] = nanos;
            togetherCount = i < Integer.MAX_VALUE ? i + 1 : WINDOW;
        }
    }

    private static long best(long[] times) {
        long best = Long.MAX_VALUE;
        for (long t : times) {
            best = Math.min(best, t);
        }
        return best;
    }
}
