package dev.jrnn.core.runtime;

/**
 * How many threads a backend may use for one call: {@link #setThreads} if set, else
 * {@code -Djrnn.threads=N}, else the number of available processors. Every backend reads it, so
 * it means the same for all of them.
 */
public final class Parallelism {

    public static final String THREADS_PROPERTY = "jrnn.threads";

    private static volatile int override;

    private Parallelism() {
    }

    public static int threads() {
        int set = override;
        if (set > 0) {
            return set;
        }
        String property = System.getProperty(THREADS_PROPERTY);
        if (property == null || property.isBlank()) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int n = Integer.parseInt(property.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + THREADS_PROPERTY + " must be a whole number >= 1, got '" + property + "'");
    }

    /** Sets the thread count for this JVM; 0 returns to the property or the default. */
    public static void setThreads(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 1 (or 0 for the default), got " + threads);
        }
        override = threads;
    }
}
