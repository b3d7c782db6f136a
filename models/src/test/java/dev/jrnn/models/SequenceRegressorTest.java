package dev.jrnn.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link SequenceRegressor}: gradients against central differences (2 layers, so the final state
 * of the top layer alone must carry them), and learning a target no constant can match.
 */
class SequenceRegressorTest {

    private static FloatTensor gaussian(SplittableRandom random, int... dims) {
        FloatTensor x = FloatTensor.zeros(dims);
        for (long i = 0; i < x.size(); i++) {
            x.setFlat(i, (float) random.nextGaussian());
        }
        return x;
    }

    @Test
    void gradientsMatchCentralDifferences() {
        SplittableRandom random = new SplittableRandom(1);
        FloatTensor x = gaussian(random, 6, 3, 4), targets = gaussian(random, 3, 2);
        for (CellKind cell : new CellKind[] {CellKind.GRU, CellKind.LSTM}) {
            try (SequenceRegressor model = new SequenceRegressor(cell, 4, 5, 2, 2, 7).backend("reference")) {
                model.trainStep(x, targets, Optimizer.sgd(model, 0, 0), 1e9); // gradients only
                GradientCheck.assertMatches(model.parameters(),
                        () -> Losses.meanSquaredError(model.predict(x), targets).value(), 1e-3, 2e-3, 0.02, 4, cell.toString());
            }
        }
    }

    /** The targets are the first and the last input of each sequence: variance 1 each, so a constant scores MSE ~1. */
    @Test
    void learnsTheFirstAndLastValuesOfASequence() {
        SplittableRandom random = new SplittableRandom(5);
        try (SequenceRegressor model = new SequenceRegressor(CellKind.GRU, 1, 24, 1, 2, 11).backend("simd")) {
            Optimizer adam = Optimizer.adam(model, 0.01);
            for (int step = 0; step < 400; step++) {
                FloatTensor x = gaussian(random, 8, 32, 1);
                model.trainStep(x, firstAndLast(x), adam, 5.0);
            }
            FloatTensor test = gaussian(random, 8, 500, 1);
            double mse = Losses.meanSquaredError(model.predict(test), firstAndLast(test)).value();
            assertTrue(mse < 0.1, "held-out MSE " + mse + " (a constant scores about 1)");
        }
    }

    private static FloatTensor firstAndLast(FloatTensor x) {
        int steps = x.dim(0), batch = x.dim(1);
        FloatTensor y = FloatTensor.zeros(batch, 2);
        for (int n = 0; n < batch; n++) {
            y.set(n, 0, x.get(0, n, 0));
            y.set(n, 1, x.get(steps - 1, n, 0));
        }
        return y;
    }
}
