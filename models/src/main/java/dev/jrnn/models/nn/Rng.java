package dev.jrnn.models.nn;

import java.util.List;

/**
 * A seeded random generator whose whole state is one {@code long}, so a checkpoint can save it and
 * a resumed run draws exactly what the uninterrupted run would have drawn
 * ({@link java.util.SplittableRandom} and {@link java.util.Random} do not expose their state).
 * It is SplitMix64 with {@code SplittableRandom}'s constants: {@code new Rng(s).nextDouble()}
 * returns bitwise what {@code new SplittableRandom(s).nextDouble()} does, so runs seeded before
 * this class existed draw the same numbers. Not thread-safe.
 */
public final class Rng {

    private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;
    private long state;

    public Rng(long seed) {
        this.state = seed;
    }

    /** The state to save; {@link #state(long)} restores it. */
    public long state() {
        return state;
    }

    public void state(long value) {
        state = value;
    }

    private long nextSeed() {
        return state += GOLDEN_GAMMA;
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    private static int mix32(long z) {
        z = (z ^ (z >>> 33)) * 0x62a9d9ed799705f5L;
        return (int) (((z ^ (z >>> 28)) * 0xcb24d0a5c88c35b3L) >>> 32);
    }

    public long nextLong() {
        return mix64(nextSeed());
    }

    /** Uniform in {@code [0, 1)}, as {@code SplittableRandom.nextDouble()}. */
    public double nextDouble() {
        return (mix64(nextSeed()) >>> 11) * 0x1.0p-53;
    }

    /** Uniform in {@code [0, bound)}, as {@code SplittableRandom.nextInt(bound)}. */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive, got " + bound);
        }
        int r = mix32(nextSeed());
        int m = bound - 1;
        if ((bound & m) == 0) {
            return r & m;
        }
        for (int u = r >>> 1; u + m - (r = u % bound) < 0; u = mix32(nextSeed()) >>> 1) {
            // rejected: u fell in the last, partial copy of [0, bound)
        }
        return r;
    }

    /** Fisher-Yates, in place. */
    public <T> void shuffle(List<T> list) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            list.set(i, list.set(j, list.get(i)));
        }
    }

    /** Fisher-Yates, in place. */
    public void shuffle(int[] values) {
        for (int i = values.length - 1; i > 0; i--) {
            int j = nextInt(i + 1), swap = values[i];
            values[i] = values[j];
            values[j] = swap;
        }
    }
}
