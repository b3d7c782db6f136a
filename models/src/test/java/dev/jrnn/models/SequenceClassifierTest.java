package dev.jrnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Max pooling over time: exact over each sequence's valid steps, and its gradients against central differences. */
class SequenceClassifierTest {

    private static final int[] LENGTHS = {5, 2, 4};
    private static final int[] LABELS = {1, 0, 2};

    private static FloatTensor input(long seed, boolean garbagePastLengths) {
        SplittableRandom random = new SplittableRandom(seed);
        FloatTensor x = FloatTensor.zeros(5, 3, 4);
        for (int t = 0; t < 5; t++) {
            for (int n = 0; n < 3; n++) {
                for (int i = 0; i < 4; i++) {
                    boolean valid = t < LENGTHS[n];
                    x.set(t, n, i, valid ? (float) random.nextGaussian() : garbagePastLengths ? 50f : 0f);
                }
            }
        }
        return x;
    }

    private static SequenceClassifier model() {
        return new SequenceClassifier(CellKind.GRU, 4, 5, 2, Direction.BIDIRECTIONAL, 3, 7)
                .pooling(SequenceClassifier.Pooling.MAX).backend("reference");
    }

    @Test
    void maxPoolingReadsOnlyTheValidSteps() {
        try (SequenceClassifier model = model()) {
            assertArrayEquals(model.logits(input(1, false), LENGTHS).toArray(), model.logits(input(1, true), LENGTHS).toArray());
        }
    }

    @Test
    void maxPoolingGradientsMatchCentralDifferences() {
        FloatTensor x = input(2, false);
        try (SequenceClassifier model = model()) {
            model.trainStep(x, LENGTHS, LABELS, Optimizer.sgd(model, 0, 0), 1e9); // gradients only
            GradientCheck.assertMatches(model.parameters(),
                    () -> Losses.softmaxCrossEntropy(model.logits(x, LENGTHS), LABELS, -1).value(), 1e-3, 2e-3, 0.02, 6, "max pooling");
        }
    }
}
