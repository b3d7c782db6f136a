package dev.jrnn.core.rnn;

import dev.jrnn.core.tensor.FloatTensor;

/**
 * bfloat16: the top 16 bits of a float32 (sign, 8-bit exponent, 7 stored mantissa bits), so a
 * bf16 widens to float32 by a shift. Rounding a float32 to bf16 is to nearest, ties to even: a
 * relative error of at most 2<sup>-8</sup> (0.39%) for normal values.
 */
public final class BFloat16 {

    /** The largest relative error of {@link #round}: half a unit in the last of 8 significant bits. */
    public static final double MAX_RELATIVE_ERROR = 0x1p-8;

    private BFloat16() {
    }

    /** {@code f} rounded to the nearest bf16 (ties to even), as its 16 bits; NaN stays a (quiet) NaN. */
    public static short round(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    /** The float32 that bf16 {@code bits} stands for (exact). */
    public static float widen(short bits) {
        return Float.intBitsToFloat(bits << 16);
    }

    /** {@code f} rounded to bf16 and back: the float32 a bf16 weight stands for. */
    public static float roundTrip(float f) {
        return widen(round(f));
    }

    /**
     * A copy of {@code weights} whose {@code weight_ih} and {@code weight_hh} are rounded to bf16
     * (the biases stay float32): what a backend running bf16 weights computes with, in float32.
     */
    public static RnnWeights roundMatrices(RnnWeights weights) {
        RnnArchitecture a = weights.architecture();
        RnnWeights rounded = RnnWeights.zeros(a);
        rounded.copyFrom(weights);
        for (int layer = 0; layer < a.layers(); layer++) {
            for (int dir = 0; dir < a.directions(); dir++) {
                for (RnnWeights.Param param : new RnnWeights.Param[] {RnnWeights.Param.WEIGHT_IH, RnnWeights.Param.WEIGHT_HH}) {
                    FloatTensor t = rounded.get(param, layer, dir);
                    for (long i = 0; i < t.size(); i++) {
                        t.setFlat(i, roundTrip(t.getFlat(i)));
                    }
                }
            }
        }
        return rounded;
    }
}
