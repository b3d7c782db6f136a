package dev.jrnn.models.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A batch of sequences of different lengths gives each sequence exactly what it gets alone:
 * outputs (zero past its end), final states in both directions, and gradients w.r.t. its input,
 * its initial states and (summed over the batch) the parameters.
 */
class RecurrentTest {

    private static final int[] LENGTHS = {5, 3, 5, 1, 4};

    @ParameterizedTest
    @EnumSource(CellKind.class)
    void aMixedLengthBatchEqualsEachSequenceAlone(CellKind cell) {
        int steps = 5, batch = LENGTHS.length, in = 3, hidden = 4;
        boolean lstm = cell == CellKind.LSTM;
        SplittableRandom random = new SplittableRandom(1);
        FloatTensor x = Tensors.uniform(dev.jrnn.core.tensor.Shape.of(steps, batch, in), random);
        FloatTensor h0 = Tensors.uniform(dev.jrnn.core.tensor.Shape.of(4, batch, hidden), random);
        FloatTensor c0 = lstm ? Tensors.uniform(dev.jrnn.core.tensor.Shape.of(4, batch, hidden), random) : null;
        FloatTensor dy = Tensors.uniform(dev.jrnn.core.tensor.Shape.of(steps, batch, 2 * hidden), random);
        FloatTensor dhn = Tensors.uniform(dev.jrnn.core.tensor.Shape.of(4, batch, hidden), random);

        try (Recurrent batched = new Recurrent(cell, in, hidden, 2, Direction.BIDIRECTIONAL, 3).backend("simd");
             Recurrent alone = new Recurrent(cell, in, hidden, 2, Direction.BIDIRECTIONAL, 3).backend("simd")) {
            Recurrent.Output together = batched.forward(x, LENGTHS, h0, c0);
            FloatTensor dh0 = FloatTensor.zeros(4, batch, hidden);
            FloatTensor dx = batched.backward(dy, dhn, null, dh0, null);

            for (int n = 0; n < batch; n++) {
                int t = LENGTHS[n];
                FloatTensor xn = x.slice(0, 0, t).slice(1, n, n + 1).copy();
                Recurrent.Output one = alone.forward(xn, h0.slice(1, n, n + 1).copy(),
                        lstm ? c0.slice(1, n, n + 1).copy() : null);
                FloatTensor dh0n = FloatTensor.zeros(4, 1, hidden);
                FloatTensor dxn = alone.backward(dy.slice(0, 0, t).slice(1, n, n + 1).copy(),
                        dhn.slice(1, n, n + 1).copy(), null, dh0n, null);
                close("output of " + n, one.y(), together.y().slice(0, 0, t).slice(1, n, n + 1));
                close("h_n of " + n, one.hn(), together.hn().slice(1, n, n + 1));
                if (lstm) {
                    close("c_n of " + n, one.cn(), together.cn().slice(1, n, n + 1));
                }
                close("dx of " + n, dxn, dx.slice(0, 0, t).slice(1, n, n + 1));
                close("dh0 of " + n, dh0n, dh0.slice(1, n, n + 1));
                if (t < steps) {
                    close("output past the end of " + n, FloatTensor.zeros(steps - t, 1, 2 * hidden),
                            together.y().slice(0, t, steps).slice(1, n, n + 1));
                }
            }
            // the parameter gradients of the batch are the sums of each sequence's
            for (int p = 0; p < batched.parameters().size(); p++) {
                close(batched.parameters().get(p).name(), alone.parameters().get(p).grad(), batched.parameters().get(p).grad());
            }
        }
    }

    private static void close(String what, FloatTensor want, FloatTensor got) {
        assertEquals(want.shape(), got.shape(), what);
        float[] w = want.toArray(), g = got.toArray();
        for (int i = 0; i < w.length; i++) {
            assertEquals(w[i], g[i], 1e-5 * Math.max(1, Math.abs(w[i])), what + " at " + i);
        }
    }
}
