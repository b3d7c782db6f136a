package dev.jrnn.models.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import dev.jrnn.core.testing.Tensors;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Dropout between layers (layer by layer, off in evaluation) and batch-first sequences. */
class RecurrentOptionsTest {

    private static final int[] LENGTHS = {4, 2, 3};

    @Test
    void layerByLayerInEvaluationEqualsTheFusedStackAndDropoutChangesTraining() {
        SplittableRandom random = new SplittableRandom(1);
        FloatTensor x = Tensors.uniform(Shape.of(4, 3, 5), random), dy = Tensors.uniform(Shape.of(4, 3, 12), random);
        FloatTensor h0 = Tensors.uniform(Shape.of(6, 3, 6), random), c0 = Tensors.uniform(Shape.of(6, 3, 6), random);
        try (Recurrent fused = new Recurrent(CellKind.LSTM, 5, 6, 3, Direction.BIDIRECTIONAL, 2).backend("simd");
             Recurrent layered = new Recurrent(CellKind.LSTM, 5, 6, 3, Direction.BIDIRECTIONAL, 2).backend("simd")
                     .dropout(0.5, 7).training(false)) {
            Recurrent.Output a = fused.forward(x, LENGTHS, h0, c0), b = layered.forward(x, LENGTHS, h0, c0);
            close(a.y(), b.y());
            close(a.hn(), b.hn());
            close(a.cn(), b.cn());
            FloatTensor dh0a = FloatTensor.zeros(6, 3, 6), dh0b = FloatTensor.zeros(6, 3, 6);
            close(fused.backward(dy, null, null, dh0a, null), layered.backward(dy, null, null, dh0b, null));
            close(dh0a, dh0b);
            for (int p = 0; p < fused.parameters().size(); p++) {
                close(fused.parameters().get(p).grad(), layered.parameters().get(p).grad());
            }
            layered.training(true);
            Recurrent.Output dropped = layered.forward(x, LENGTHS, h0, c0);
            assertFalse(Arrays.equals(a.y().toArray(), dropped.y().toArray()), "dropout changes the output in training");
        }
    }

    @Test
    void batchFirstSequencesAreTheTransposeOfTimeFirstOnes() {
        SplittableRandom random = new SplittableRandom(2);
        FloatTensor x = Tensors.uniform(Shape.of(5, 2, 3), random), dy = Tensors.uniform(Shape.of(5, 2, 4), random);
        try (Recurrent timeFirst = new Recurrent(CellKind.GRU, 3, 4, 1, Direction.UNIDIRECTIONAL, 1).backend("simd");
             Recurrent batchFirst = new Recurrent(CellKind.GRU, 3, 4, 1, Direction.UNIDIRECTIONAL, 1).backend("simd")
                     .batchFirst(true)) {
            Recurrent.Output a = timeFirst.forward(x, null, null), b = batchFirst.forward(x.permute(1, 0, 2).copy(), null, null);
            assertArrayEquals(a.y().permute(1, 0, 2).toArray(), b.y().toArray());
            assertArrayEquals(a.hn().toArray(), b.hn().toArray());
            assertArrayEquals(timeFirst.backward(dy, null, null, null, null).permute(1, 0, 2).toArray(),
                    batchFirst.backward(dy.permute(1, 0, 2).copy(), null, null, null, null).toArray());
        }
    }

    private static void close(FloatTensor want, FloatTensor got) {
        assertEquals(want.shape(), got.shape());
        float[] w = want.toArray(), g = got.toArray();
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], g[i], 1e-5 * Math.max(1, Math.abs(w[i])), "at " + i);
        }
    }
}
