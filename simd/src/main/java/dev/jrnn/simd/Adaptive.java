package dev.jrnn.simd;

import java.util.Arrays;

/**
 * Chooses, call by call, among a few ways to run the same work: one thread or the planned number
 * ({@link #next}), or any number of options ({@link #nextOption}, e.g. one thread, two splitting
 * the hidden units, two splitting the sequences). Each is judged by its best time among its last
 * {@value #WINDOW} calls (the minimum shrugs off a GC pause or a noisy neighbour's burst); the
 * fastest runs, and every {@value #PROBE_EVERY} calls each other option runs twice in a row so
 * that the choice follows the machine. When another process takes the second core, a per-step
 * barrier waits for a descheduled thread: this falls back to one thread instead of collapsing.
 * Results do not depend on the choice (the partitions are fixed), so switching is invisible but
 * for time. Racy updates from concurrent callers are harmless: any recorded time is a plausible one.
 */
final class Adaptive {

    static final int WINDOW = 4;
    static final int PROBE_EVERY = 128;

    private final int planned, options;
    /** Whether option 0 is tried first (else the last, the planned number of threads). */
    private final boolean firstFirst;
    /** Per option, its last WINDOW times (a ring), where the next goes, and how many there are (up to WINDOW). */
    private final long[][] times;
    private final int[] ring, counts;
    /** Calls so far, saturating at {@link #SETTLED}. */
    private int calls;

    /** After this many calls the probes come every {@value #PROBE_EVERY} calls; before, at 16, 32, 64, 128 calls. */
    private static final int SETTLED = 1 << 20;

    /** One thread (option 0) or {@code planned} (option 1); just one thread when {@code planned} is 1. */
    Adaptive(int planned) {
        this(planned, planned == 1 ? 1 : 2, false);
    }

    private Adaptive(int planned, int options, boolean firstFirst) {
        this.planned = planned;
        this.options = options;
        this.firstFirst = firstFirst;
        this.times = new long[options][WINDOW];
        this.ring = new int[options];
        this.counts = new int[options];
        for (long[] t : times) {
            Arrays.fill(t, Long.MAX_VALUE);
        }
    }

    /**
     * A choice among {@code options} ways (at least 1), numbered from 0, tried first in that order
     * (so with option 0 as one thread, the first calls of a process, which run mostly in the
     * interpreter, leave the other core to the JIT compiling them).
     */
    static Adaptive options(int options) {
        if (options < 1) {
            throw new IllegalArgumentException("at least one option, got " + options);
        }
        return new Adaptive(options, options, true);
    }

    /** Parties for the next call. */
    int next() {
        return nextOption() == 0 ? 1 : planned;
    }

    /** Records that a call with {@code parties} took {@code nanos}. */
    void record(int parties, long nanos) {
        if (options > 1) {
            recordOption(parties == 1 ? 0 : 1, nanos);
        }
    }

    /**
     * The option for the next call: first each in turn until it has a window of
     * times, then the fastest, but for two calls in a row of each other one every
     * {@value #PROBE_EVERY} calls, and also after 16, 32 and 64 calls: the first calls of a process
     * run while the JIT is still compiling, so their times say little about the options. Ties go
     * to the higher option.
     */
    int nextOption() {
        if (options == 1) {
            return 0;
        }
        int n = calls;
        calls = n + 1 < SETTLED ? n + 1 : SETTLED - PROBE_EVERY; // keeps the phase of the probes
        for (int i = 0; i < options; i++) {
            int o = firstFirst ? i : options - 1 - i;
            if (counts[o] < WINDOW) {
                return o;
            }
        }
        int best = options - 1;
        long bestTime = best(times[best]);
        for (int o = options - 2; o >= 0; o--) {
            long t = best(times[o]);
            if (t < bestTime) {
                best = o;
                bestTime = t;
            }
        }
        int period = n < PROBE_EVERY ? Math.max(16, Integer.highestOneBit(Math.max(1, n))) : PROBE_EVERY;
        int slot = n % period; // twice in a row: the first runs on cold caches and a parked helper
        if (slot < 2 * (options - 1)) {
            int other = slot / 2;
            return other >= best ? other + 1 : other;
        }
        return best;
    }

    /** Records that a call run as {@code option} took {@code nanos}. */
    void recordOption(int option, long nanos) {
        if (options > 1) {
            int at = ring[option];
            times[option][at] = nanos;
            ring[option] = (at + 1) % WINDOW;
            counts[option] = Math.min(WINDOW, counts[option] + 1);
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
