package dev.jrnn.core.testing;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import java.util.SplittableRandom;

/** Seeded random tensors for tests. */
public final class Tensors {

    private Tensors() {
    }

    /** Uniform in [-1, 1), contiguous on the heap. */
    public static FloatTensor uniform(Shape shape, SplittableRandom random) {
        FloatTensor t = FloatTensor.zeros(shape);
        for (long i = 0; i < t.size(); i++) {
            t.setFlat(i, (float) random.nextDouble(-1, 1));
        }
        return t;
    }

    public static double[] doubles(FloatTensor t) {
        double[] out = new double[Math.toIntExact(t.size())];
        for (int i = 0; i < out.length; i++) {
            out[i] = t.getFlat(i);
        }
        return out;
    }
}
