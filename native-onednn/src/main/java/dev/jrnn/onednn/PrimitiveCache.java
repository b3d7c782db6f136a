package dev.jrnn.onednn;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * oneDNN's global primitive cache, bounded. oneDNN keeps every primitive it makes (by default
 * 1,024 of them, least recently used dropped) so that making the same one again is a lookup; an
 * RNN primitive is made for one {@code T} and {@code N} and holds its generated code, so a service
 * that sees many sizes would grow by hundreds of megabytes in that cache alone (issue 15). jrnn's
 * workspaces keep the executions, with their primitives, of the sizes they ran recently
 * ({@link OneDnnWorkspace}), so the global cache only spares the making of a size that another
 * workspace (another thread) holds or that was dropped lately. Its capacity is set once, before
 * the engine is made, to {@value #DEFAULT_CAPACITY}, unless {@code -D}{@value #PROPERTY}{@code =N}
 * ({@code 0} turns the cache off) or oneDNN's own {@code ONEDNN_PRIMITIVE_CACHE_CAPACITY} says
 * otherwise.
 */
final class PrimitiveCache {

    static final String PROPERTY = "jrnn.onednn.primitiveCache";
    /** oneDNN's own setting, read by the library itself: jrnn leaves it alone when it is set. */
    static final String ONEDNN_ENV = "ONEDNN_PRIMITIVE_CACHE_CAPACITY";
    /**
     * A stack of L layers makes 3 primitives per layer and size (forward inference, forward
     * training, backward), of which at most 6 differ (layer 0 and the layers above it); a call with
     * lengths runs a handful of sizes (its {@link LengthPlan}: {@code T} in powers of two, a few
     * rounded {@code N}). 64 holds the primitives of about ten sizes of such a stack: a call's
     * plan, which a second thread's workspace then makes from the cache. Over a thousand distinct
     * lengths (models' MemoryBoundTest) 64 and 0 grew the process alike (within 1.2 MB), where
     * oneDNN's default of 1,024 cost a few hundred megabytes.
     */
    static final int DEFAULT_CAPACITY = 64;
    /** The largest capacity accepted: oneDNN's default and more would make the bound moot. */
    static final int MAX_CAPACITY = 1 << 16;

    private static boolean applied;

    private PrimitiveCache() {
    }

    /**
     * The capacity to set: {@code -D}{@value #PROPERTY}'s, else -1 (leave it) when oneDNN's own
     * variable is set, else {@value #DEFAULT_CAPACITY}.
     *
     * @throws IllegalArgumentException when the property is not an integer in [0, {@value #MAX_CAPACITY}]
     */
    static int requested() {
        String property = System.getProperty(PROPERTY);
        if (property != null) {
            return parse(property);
        }
        String env = System.getenv(ONEDNN_ENV);
        return env != null && !env.isBlank() ? -1 : DEFAULT_CAPACITY;
    }

    /** A property value: an integer in [0, {@value #MAX_CAPACITY}], else an {@link IllegalArgumentException} that says so. */
    static int parse(String value) {
        int capacity;
        try {
            capacity = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            capacity = -1;
        }
        if (capacity < 0 || capacity > MAX_CAPACITY) {
            throw new IllegalArgumentException("-D" + PROPERTY + "=" + value + ": the capacity of oneDNN's primitive"
                    + " cache must be a whole number of primitives from 0 (no cache) to " + MAX_CAPACITY
                    + "; the default is " + DEFAULT_CAPACITY);
        }
        return capacity;
    }

    /** Sets the capacity {@link #requested()}, the first time it is called; later calls do nothing. */
    static synchronized void apply() {
        if (applied) {
            return;
        }
        int capacity = requested();
        if (capacity >= 0) {
            set(capacity);
        }
        applied = true;
    }

    /** Sets the capacity now; oneDNN drops the least recently used primitives beyond it. */
    static void set(int capacity) {
        Dnnl.check(dnnl_h.dnnl_set_primitive_cache_capacity(capacity), "dnnl_set_primitive_cache_capacity");
    }

    /** The capacity in effect. */
    static int capacity() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(dnnl_h.C_INT);
            Dnnl.check(dnnl_h.dnnl_get_primitive_cache_capacity(out), "dnnl_get_primitive_cache_capacity");
            return out.get(dnnl_h.C_INT, 0);
        }
    }
}
