package dev.jrnn.core.rnn;

import dev.jrnn.core.tensor.FloatTensor;
import java.util.Arrays;
import java.util.Locale;

/**
 * The range of the values a stack's first layer reads ({@code srcLayer}), for a backend that
 * stores activations in 8 bits ({@link Precision#INT8} on oneDNN, which maps a fixed range onto
 * 0..255 when the stack is prepared: static quantization). The states and the upper layers' inputs
 * need no calibration: they lie in [-1, 1] ({@code tanh}, {@code o * tanh(c)}). Inputs outside
 * the range are clipped to it, so calibrate on inputs like those the stack will see.
 *
 * @param min the smallest input value
 * @param max the largest input value
 */
public record Calibration(float min, float max) {

    public Calibration {
        if (!Float.isFinite(min) || !Float.isFinite(max) || min > max) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "calibration range [%s, %s]: expected finite bounds, min <= max", min, max));
        }
    }

    /** The range of every value in {@code samples} (sample inputs, any shape); at least one value, all finite. */
    public static Calibration of(FloatTensor... samples) {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (int s = 0; s < samples.length; s++) {
            FloatTensor t = samples[s];
            long bad = t.firstNonFinite();
            if (bad >= 0) {
                throw new IllegalArgumentException("calibration sample " + s + " has " + t.getFlat(bad) + " at "
                        + Arrays.toString(t.coordinates(bad)) + ": expected finite inputs");
            }
            for (long i = 0, n = t.size(); i < n; i++) {
                float v = t.getFlat(i);
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        if (min > max) {
            throw new IllegalArgumentException("calibration needs at least one sample value; got "
                    + samples.length + " empty samples");
        }
        return new Calibration(min, max);
    }

    /** This range widened to hold {@code value}. */
    public Calibration including(float value) {
        return value >= min && value <= max ? this : new Calibration(Math.min(min, value), Math.max(max, value));
    }

    /** The smallest range holding both. */
    public Calibration union(Calibration other) {
        return new Calibration(Math.min(min, other.min), Math.max(max, other.max));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "inputs in [%g, %g]", min, max);
    }
}
