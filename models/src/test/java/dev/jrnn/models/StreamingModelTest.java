package dev.jrnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Recurrent;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * Each model streamed one event at a time writes, after every event, what its own whole-sequence
 * inference gives on the events so far (both on the reference backend, so only summation order differs).
 */
class StreamingModelTest {

    private static final int T = 9, I = 3, VOCABULARY = 11;
    private static final String BACKEND = "reference";

    private static FloatTensor features(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        FloatTensor x = FloatTensor.zeros(T, 1, I);
        for (long i = 0; i < x.size(); i++) {
            x.setFlat(i, (float) (random.nextDouble() * 2 - 1));
        }
        return x;
    }

    private static int[][] tokens(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[][] t = new int[T][1];
        for (int[] row : t) {
            row[0] = random.nextInt(VOCABULARY);
        }
        return t;
    }

    private static float[] row(FloatTensor x, int t) {
        float[] r = new float[x.dim(2)];
        for (int i = 0; i < r.length; i++) {
            r[i] = x.get(t, 0, i);
        }
        return r;
    }

    /** Streams {@code x} and checks the output after step t against {@code expected(t)}. */
    private static void streamFeatures(StreamingModel model, FloatTensor x, IntFunction<float[]> expected) {
        try (StreamingModel.Stream s = model.newStream()) {
            for (int t = 0; t < T; t++) {
                assertArrayEquals(expected.apply(t), s.step(row(x, t)), 1e-5f, "after event " + t);
            }
        }
    }

    private static void streamTokens(StreamingModel model, int[][] tokens, IntFunction<float[]> expected) {
        try (StreamingModel.Stream s = model.newStream()) {
            for (int t = 0; t < T; t++) {
                assertArrayEquals(expected.apply(t), s.step(tokens[t][0]), 1e-5f, "after event " + t);
            }
        }
    }

    @Test
    void regressorPredictsFromTheEventsSoFar() {
        FloatTensor x = features(1);
        try (SequenceRegressor m = new SequenceRegressor(CellKind.GRU, I, 8, 2, 2, 3).backend(BACKEND);
             StreamingModel s = StreamingModel.of(m)) {
            assertEquals(I, s.inputSize());
            assertEquals(2, s.outputSize());
            streamFeatures(s, x, t -> m.predict(x.slice(0, 0, t + 1).copy()).toArray());
        }
    }

    @Test
    void tokenClassifierScoresTheSequenceSoFar() {
        int[][] tokens = tokens(2);
        try (SequenceClassifier m = new SequenceClassifier(VOCABULARY, 5, CellKind.LSTM, 6, 1, Direction.UNIDIRECTIONAL, 4, 7)
                .backend(BACKEND); StreamingModel s = StreamingModel.of(m)) {
            assertTrue(s.readsTokens());
            assertEquals(VOCABULARY, s.vocabulary());
            streamTokens(s, tokens, t -> m.logits(Arrays.copyOf(tokens, t + 1), null).toArray());
            try (StreamingModel.Stream stream = s.newStream()) {
                assertThrows(IllegalArgumentException.class, () -> stream.step(VOCABULARY));
                assertThrows(IllegalStateException.class, () -> stream.step(new float[5]));
            }
        }
    }

    @Test
    void taggerAndLanguageModelScoreEachEvent() {
        FloatTensor x = features(3);
        try (SequenceTagger m = new SequenceTagger(CellKind.RNN_TANH, I, 5, 2, Direction.UNIDIRECTIONAL, 3, 9).backend(BACKEND);
             StreamingModel s = StreamingModel.of(m)) {
            float[] whole = m.logits(x, null).toArray();
            streamFeatures(s, x, t -> Arrays.copyOfRange(whole, t * 3, t * 3 + 3));
        }
        int[][] tokens = tokens(4);
        try (LanguageModel m = new LanguageModel(CellKind.GRU, VOCABULARY, 4, 6, 1, 0.0, 5).backend(BACKEND);
             StreamingModel s = StreamingModel.of(m)) {
            float[] whole = m.forward(tokens, null).logits().toArray();
            streamTokens(s, tokens, t -> Arrays.copyOfRange(whole, t * VOCABULARY, (t + 1) * VOCABULARY));
        }
        try (Recurrent m = new Recurrent(CellKind.LSTM, I, 4, 2, Direction.UNIDIRECTIONAL, 6).backend(BACKEND);
             StreamingModel s = StreamingModel.of(m)) {
            float[] whole = m.infer(x, null, null, null).y().toArray();
            streamFeatures(s, x, t -> Arrays.copyOfRange(whole, t * 4, t * 4 + 4));
        }
    }

    @Test
    void modelsThatNeedTheWholeSequenceAreRefused() {
        try (SequenceClassifier bi = new SequenceClassifier(CellKind.GRU, I, 4, 1, Direction.BIDIRECTIONAL, 2, 1);
             SequenceClassifier max = new SequenceClassifier(CellKind.GRU, I, 4, 1, Direction.UNIDIRECTIONAL, 2, 1)
                     .pooling(SequenceClassifier.Pooling.MAX)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> StreamingModel.of(bi)).getMessage()
                    .contains("bidirectional"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> StreamingModel.of(max)).getMessage()
                    .contains("MAX pooling"));
        }
    }
}
