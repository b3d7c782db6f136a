package dev.jrnn.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float species every kernel uses, and the constants derived from it. Loaded only after the
 * provider's probe has seen the incubator module. {@code -Djrnn.simd.bits=128|256|512} forces a
 * width (tests cover widths this CPU does not prefer; a width wider than the hardware's runs, slowly,
 * in the Vector API's Java fallback); otherwise the CPU's preferred width.
 */
final class SimdSpecies {

    static final String BITS_PROPERTY = "jrnn.simd.bits";

    static final VectorSpecies<Float> FLOAT = choose(System.getProperty(BITS_PROPERTY));
    /** V: floats per vector. */
    static final int LANES = FLOAT.length();
    /** Ints of the same width: a row of a bf16 panel is one such vector (two bf16 per int). */
    static final VectorSpecies<Integer> INT = VectorSpecies.of(int.class, FLOAT.vectorShape());
    /** NR: columns of a packed panel, two vectors wide. */
    static final int PANEL = 2 * LANES;

    @SuppressWarnings({"unchecked", "rawtypes"}) // a generic array
    private static final VectorMask<Float>[] PREFIX = new VectorMask[LANES + 1];

    static {
        for (int w = 0; w <= LANES; w++) {
            PREFIX[w] = FLOAT.indexInRange(0, w);
        }
    }

    private SimdSpecies() {
    }

    static VectorSpecies<Float> choose(String bits) {
        if (bits == null || bits.isBlank()) {
            return FloatVector.SPECIES_PREFERRED;
        }
        return switch (bits.trim()) {
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(
                    "-D" + BITS_PROPERTY + " must be 128, 256 or 512, got '" + bits + "'");
        };
    }

    /** The mask of the first {@code w} lanes, {@code 0 <= w <= LANES}. */
    static VectorMask<Float> prefix(int w) {
        return PREFIX[w];
    }

    static String describe() {
        return FLOAT.vectorBitSize() + "-bit float vectors (" + LANES + " lanes"
                + (FLOAT == FloatVector.SPECIES_PREFERRED ? ", the CPU's preferred width)" : ", forced; the CPU prefers "
                + FloatVector.SPECIES_PREFERRED.vectorBitSize() + ")");
    }
}
