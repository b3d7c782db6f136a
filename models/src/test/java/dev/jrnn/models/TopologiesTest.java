package dev.jrnn.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.train.Optimizer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Each topology learns a small synthetic task that needs what the topology offers (memory across
 * the sequence, both directions, a per-step output, a nonlinearity), to a stated accuracy on fresh
 * data. A model that does not learn, or learns the wrong thing (padding read as data, a direction
 * reversed, gradients that do not flow back in time), stays near chance and fails.
 */
class TopologiesTest {

    private static final int SYMBOLS = 4;

    /** A batch of one-hot symbol sequences, time-first, with random lengths in [minLength, maxLength]. */
    record Batch(FloatTensor x, int[] lengths, int[][] symbols) {
        static Batch random(SplittableRandom random, int batch, int minLength, int maxLength) {
            FloatTensor x = FloatTensor.zeros(maxLength, batch, SYMBOLS);
            int[] lengths = new int[batch];
            int[][] symbols = new int[batch][maxLength];
            for (int n = 0; n < batch; n++) {
                lengths[n] = minLength + random.nextInt(maxLength - minLength + 1);
                for (int t = 0; t < lengths[n]; t++) {
                    symbols[n][t] = random.nextInt(SYMBOLS);
                    x.set(t, n, symbols[n][t], 1f);
                }
            }
            return new Batch(x, lengths, symbols);
        }
    }

    private static double accuracy(int[] predicted, int[] wanted) {
        int right = 0;
        for (int i = 0; i < wanted.length; i++) {
            right += predicted[i] == wanted[i] ? 1 : 0;
        }
        return right / (double) wanted.length;
    }

    @Test
    void manyToOneRemembersTheFirstSymbolOfSequencesOfMixedLengths() {
        try (SequenceClassifier model = new SequenceClassifier(CellKind.LSTM, SYMBOLS, 24, 1,
                Direction.UNIDIRECTIONAL, SYMBOLS, 1).backend("simd")) {
            Optimizer adam = Optimizer.adam(model, 0.02);
            SplittableRandom random = new SplittableRandom(2);
            for (int step = 0; step < 250; step++) {
                Batch b = Batch.random(random, 32, 2, 10);
                int[] labels = new int[32];
                for (int n = 0; n < 32; n++) {
                    labels[n] = b.symbols()[n][0];
                }
                model.trainStep(b.x(), b.lengths(), labels, adam, 5.0);
            }
            Batch test = Batch.random(new SplittableRandom(99), 400, 2, 10);
            int[] want = new int[400];
            for (int n = 0; n < 400; n++) {
                want[n] = test.symbols()[n][0];
            }
            double acc = accuracy(model.predict(test.x(), test.lengths()), want);
            assertTrue(acc >= 0.95, "accuracy " + acc + " (chance 0.25)");
        }
    }

    @Test
    void bidirectionalManyToOneReadsTheLastValidSymbol() {
        try (SequenceClassifier model = new SequenceClassifier(CellKind.GRU, SYMBOLS, 16, 1,
                Direction.BIDIRECTIONAL, SYMBOLS, 3).backend("simd")) {
            Optimizer adam = Optimizer.adam(model, 0.02);
            SplittableRandom random = new SplittableRandom(4);
            for (int step = 0; step < 150; step++) {
                Batch b = Batch.random(random, 32, 1, 9);
                int[] labels = new int[32];
                for (int n = 0; n < 32; n++) {
                    labels[n] = b.symbols()[n][b.lengths()[n] - 1];
                }
                model.trainStep(b.x(), b.lengths(), labels, adam, 5.0);
            }
            Batch test = Batch.random(new SplittableRandom(98), 400, 1, 9);
            int[] want = new int[400];
            for (int n = 0; n < 400; n++) {
                want[n] = test.symbols()[n][test.lengths()[n] - 1];
            }
            double acc = accuracy(model.predict(test.x(), test.lengths()), want);
            assertTrue(acc >= 0.97, "accuracy " + acc + " (chance 0.25)");
        }
    }

    @Test
    void manyToManyTagsEachStepWithTheSymbolTwoStepsBack() {
        int none = SYMBOLS; // the label of the first two steps
        try (SequenceTagger model = new SequenceTagger(CellKind.GRU, SYMBOLS, 24, 1, Direction.UNIDIRECTIONAL,
                SYMBOLS + 1, 5).backend("simd")) {
            Optimizer adam = Optimizer.adam(model, 0.02);
            SplittableRandom random = new SplittableRandom(6);
            for (int step = 0; step < 250; step++) {
                Batch b = Batch.random(random, 32, 3, 12);
                model.trainStep(b.x(), b.lengths(), echo(b, none), adam, 5.0);
            }
            Batch test = Batch.random(new SplittableRandom(97), 200, 3, 12);
            int[][] want = echo(test, none), got = model.predict(test.x(), test.lengths());
            int right = 0, counted = 0;
            for (int n = 0; n < 200; n++) {
                for (int t = 0; t < test.lengths()[n]; t++) {
                    counted++;
                    right += got[t][n] == want[t][n] ? 1 : 0;
                }
            }
            double acc = right / (double) counted;
            assertTrue(acc >= 0.95, "per-step accuracy " + acc + " (chance about 0.3)");
        }
    }

    /**
     * Token ids through the tagger's embedding, each step tagged with the token after it (the last
     * with "end"): only the reverse direction can see it, so the same model run left to right stays
     * near chance. Embedding gradients that do not flow would leave both there.
     */
    @Test
    void tokenTaggerNamesTheNextTokenOnlyWhenBidirectional() {
        int vocabulary = 6, end = vocabulary;
        double[] accuracy = new double[2];
        for (Direction direction : Direction.values()) {
            try (SequenceTagger model = new SequenceTagger(vocabulary, 8, CellKind.GRU, 16, 1, direction,
                    vocabulary + 1, 9).backend("simd")) {
                Optimizer adam = Optimizer.adam(model, 0.02);
                SplittableRandom random = new SplittableRandom(10);
                for (int step = 0; step < 150; step++) {
                    int[][] tokens = tokens(random, 10, 32, vocabulary);
                    model.trainStep(tokens, null, nextToken(tokens, end), adam, 5.0);
                }
                int[][] test = tokens(new SplittableRandom(95), 10, 200, vocabulary);
                int[][] want = nextToken(test, end), got = model.predict(test, null);
                int right = 0;
                for (int t = 0; t < 10; t++) {
                    for (int n = 0; n < 200; n++) {
                        right += got[t][n] == want[t][n] ? 1 : 0;
                    }
                }
                accuracy[direction.ordinal()] = right / 2000.0;
            }
        }
        double left = accuracy[Direction.UNIDIRECTIONAL.ordinal()], both = accuracy[Direction.BIDIRECTIONAL.ordinal()];
        assertTrue(both >= 0.95, "bidirectional per-step accuracy " + both);
        assertTrue(left <= 0.35, "left to right per-step accuracy " + left + " (chance 0.25: 1/6, and the end always right)");
    }

    private static int[][] tokens(SplittableRandom random, int steps, int batch, int vocabulary) {
        int[][] tokens = new int[steps][batch];
        for (int[] row : tokens) {
            for (int n = 0; n < batch; n++) {
                row[n] = random.nextInt(vocabulary);
            }
        }
        return tokens;
    }

    private static int[][] nextToken(int[][] tokens, int end) {
        int[][] labels = new int[tokens.length][];
        for (int t = 0; t < tokens.length; t++) {
            labels[t] = t + 1 < tokens.length ? tokens[t + 1].clone() : new int[tokens[t].length];
            if (t + 1 == tokens.length) {
                java.util.Arrays.fill(labels[t], end);
            }
        }
        return labels;
    }

    private static int[][] echo(Batch b, int none) {
        int steps = b.x().dim(0), batch = b.x().dim(1);
        int[][] labels = new int[steps][batch];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                labels[t][n] = t < 2 ? none : b.symbols()[n][t - 2];
            }
        }
        return labels;
    }

    @Test
    void oneToOneLearnsXorWhichNoLinearModelCan() {
        try (SequenceClassifier model = new SequenceClassifier(CellKind.RNN_TANH, 2, 12, 1,
                Direction.UNIDIRECTIONAL, 2, 7).backend("simd")) {
            Optimizer sgd = Optimizer.sgd(model, 0.3, 0.9);
            SplittableRandom random = new SplittableRandom(8);
            for (int step = 0; step < 400; step++) {
                FloatTensor x = FloatTensor.zeros(1, 32, 2);
                int[] labels = xor(random, x);
                model.trainStep(x, null, labels, sgd, 5.0);
            }
            FloatTensor x = FloatTensor.zeros(1, 400, 2);
            int[] want = xor(new SplittableRandom(96), x);
            double acc = accuracy(model.predict(x, null), want);
            assertTrue(acc >= 0.95, "accuracy " + acc + " (a linear model reaches at most 0.75)");
        }
    }

    /** Points near the corners of the unit square, labelled by XOR of the corner's coordinates. */
    private static int[] xor(SplittableRandom random, FloatTensor x) {
        int[] labels = new int[x.dim(1)];
        for (int n = 0; n < labels.length; n++) {
            int a = random.nextInt(2), b = random.nextInt(2);
            x.set(0, n, 0, (float) (a * 2 - 1 + random.nextDouble(-0.3, 0.3)));
            x.set(0, n, 1, (float) (b * 2 - 1 + random.nextDouble(-0.3, 0.3)));
            labels[n] = a ^ b;
        }
        return labels;
    }
}
