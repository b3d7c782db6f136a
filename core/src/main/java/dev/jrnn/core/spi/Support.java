package dev.jrnn.core.spi;

/** Whether a backend can compute a given descriptor, and if not, why. */
public record Support(boolean supported, String reason) {

    public static final Support YES = new Support(true, "supported");

    public static Support no(String reason) {
        return new Support(false, reason);
    }
}
