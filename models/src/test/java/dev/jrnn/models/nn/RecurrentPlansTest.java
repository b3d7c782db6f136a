package dev.jrnn.models.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import dev.jrnn.core.testing.Tensors;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * One prepared stack per layer whatever lengths and batch sizes arrive (a service sees input of
 * any length), and new parameter values are packed into it rather than prepared again.
 */
class RecurrentPlansTest {

    @Test
    void aThousandDistinctLengthsUseOnePreparedStack() {
        SplittableRandom random = new SplittableRandom(3);
        try (Recurrent rnn = new Recurrent(CellKind.GRU, 3, 8, 2, Direction.BIDIRECTIONAL, 1).backend("simd")) {
            for (int steps = 1; steps <= 1000; steps++) {
                int batch = 1 + steps % 3;
                FloatTensor x = Tensors.uniform(Shape.of(steps, batch, 3), random);
                int[] lengths = new int[batch];
                for (int n = 0; n < batch; n++) {
                    lengths[n] = 1 + (steps * (n + 7)) % steps;
                }
                lengths[0] = steps;
                Recurrent.Output out = rnn.forward(x, lengths, null, null);
                assertEquals(steps, out.y().dim(0));
                assertEquals(1, rnn.preparedStacks(), "prepared stacks after " + steps + " lengths");
            }
        }
    }

    @Test
    void changedParametersArePackedIntoTheSameStack() {
        SplittableRandom random = new SplittableRandom(5);
        FloatTensor x = Tensors.uniform(Shape.of(6, 3, 4), random);
        int[] lengths = {6, 2, 4};
        try (Recurrent trained = new Recurrent(CellKind.LSTM, 4, 5, 2, Direction.UNIDIRECTIONAL, 9).backend("simd");
             Recurrent fresh = new Recurrent(CellKind.LSTM, 4, 5, 2, Direction.UNIDIRECTIONAL, 9).backend("simd")) {
            float[] before = trained.forward(x, lengths, null, null).y().toArray();
            for (Parameter p : trained.parameters()) { // an optimizer step
                float[] v = p.values();
                for (int i = 0; i < v.length; i++) {
                    v[i] += 0.05f * (float) Math.sin(i + p.name().length());
                }
                p.changed();
            }
            float[] after = trained.forward(x, lengths, null, null).y().toArray();
            assertEquals(1, trained.preparedStacks());
            assertFalse(java.util.Arrays.equals(before, after), "the new parameters were not used");
            for (int k = 0; k < trained.parameters().size(); k++) {
                System.arraycopy(trained.parameters().get(k).values(), 0, fresh.parameters().get(k).values(), 0,
                        trained.parameters().get(k).size());
            }
            assertArrayEquals(fresh.forward(x, lengths, null, null).y().toArray(), after,
                    "an updated stack gives what a stack prepared with the same parameters gives");
        }
    }
}
