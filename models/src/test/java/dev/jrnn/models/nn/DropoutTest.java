package dev.jrnn.models.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import java.lang.foreign.Arena;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DropoutTest {

    private static FloatTensor filled(FloatTensor t, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        for (long i = 0; i < t.size(); i++) {
            t.setFlat(i, (float) random.nextDouble(0.5, 1.5)); // never zero: a zero output means dropped
        }
        return t;
    }

    /** Forward keeps each element or zeroes it, scales the kept by 1 / (1 - p); backward applies the same mask. */
    @Test
    void forwardAndBackwardShareOneMask() {
        double p = 0.3;
        Dropout dropout = new Dropout(p, 9);
        try (Arena arena = Arena.ofConfined()) {
            // a heap tensor (read in place) and a native one (copied first) take the same path to the same result
            FloatTensor heap = filled(FloatTensor.zeros(6, 5, 40), 1);
            FloatTensor offHeap = FloatTensor.allocate(arena, Shape.of(6, 5, 40));
            offHeap.copyFrom(heap);
            for (FloatTensor x : new FloatTensor[] {heap, offHeap}) {
                FloatTensor dy = filled(FloatTensor.zeros(6, 5, 40), 2);
                float[] y = dropout.forward(x, true).toArray(), dx = dropout.backward(dy).toArray();
                int dropped = 0;
                for (int i = 0; i < y.length; i++) {
                    float xi = x.getFlat(i), dyi = dy.getFlat(i);
                    if (y[i] == 0f) {
                        dropped++;
                        assertEquals(0f, dx[i], "a dropped element passes no gradient");
                    } else {
                        assertEquals(xi / (1 - p), y[i], 1e-5, "kept element " + i);
                        assertEquals(dyi / (1 - p), dx[i], 1e-5, "gradient of kept element " + i);
                    }
                }
                assertTrue(dropped > 0.2 * y.length && dropped < 0.4 * y.length, dropped + " of " + y.length + " dropped at p 0.3");
            }
        }
    }

    @Test
    void evaluationIsTheIdentityAndForgetsTheMask() {
        Dropout dropout = new Dropout(0.5, 1);
        FloatTensor x = filled(FloatTensor.zeros(3, 2, 4), 3);
        dropout.forward(x, true);
        assertSame(x, dropout.forward(x, false));
        FloatTensor dy = filled(FloatTensor.zeros(3, 2, 4), 4);
        assertSame(dy, dropout.backward(dy), "after an evaluation forward, backward passes the gradient through");
    }

    @Test
    void aGradientOfAnotherSizeIsRefused() {
        Dropout dropout = new Dropout(0.5, 1);
        dropout.forward(filled(FloatTensor.zeros(3, 2, 4), 3), true);
        assertThrows(IllegalArgumentException.class, () -> dropout.backward(FloatTensor.zeros(3, 2, 5)));
    }
}
