package dev.jrnn.core.spi;

/**
 * Whether a backend can run here, and why (or why not): "Vector API present, 256-bit AVX2",
 * "libdnnl.so.3 not found in ...".
 */
public record Availability(boolean available, String reason) {

    public static Availability available(String reason) {
        return new Availability(true, reason);
    }

    public static Availability unavailable(String reason) {
        return new Availability(false, reason);
    }
}
