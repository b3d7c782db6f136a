package dev.jrnn.core.rnn;

import java.util.Locale;

/**
 * How a prepared stack stores its weights for inference. The state, the activations and every
 * accumulation stay float32 whatever the precision; only {@code weight_ih} and {@code weight_hh}
 * are stored narrower, converted once when the stack is prepared. A reduced precision serves
 * inference only: training (forward in {@link Mode#TRAINING}, backward) needs float32 weights.
 */
public enum Precision {
    /** Weights as given: every backend, training and inference. */
    FLOAT32,
    /** bfloat16 weights (float32's sign, exponent and top 7 mantissa bits), rounded to nearest even. */
    BF16,
    /** 8-bit integer weights with a float32 scale per output row (symmetric). */
    INT8;

    /** The lower-case name used on command lines and in messages: {@code float32}, {@code bf16}, {@code int8}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The precision named {@code label} (any case), or an {@link IllegalArgumentException} listing the names. */
    public static Precision parse(String label) {
        for (Precision p : values()) {
            if (p.label().equalsIgnoreCase(label == null ? "" : label.trim())) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown precision '" + label + "': expected float32, bf16 or int8");
    }

    @Override
    public String toString() {
        return label();
    }
}
