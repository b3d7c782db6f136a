package dev.jrnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.train.Optimizer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** One-to-many: truncated BPTT on a stream, generation (greedy, sampled, beam search). */
class LanguageModelTest {

    /** 0 0 1 1 2 2 0 0 ...: the next token depends on the last two, so the state must carry. */
    private static int pattern(int i) {
        return (i / 2) % 3;
    }

    @Test
    void truncatedBpttLearnsAStreamThatGreedyGenerationThenContinues() {
        int streams = 8, chunk = 12;
        try (LanguageModel lm = new LanguageModel(CellKind.LSTM, 3, 8, 24, 1, 0.0, 1).backend("simd")) {
            Optimizer adam = Optimizer.adam(lm, 0.02);
            SplittableRandom random = new SplittableRandom(2);
            int[] offset = new int[streams];
            for (int s = 0; s < streams; s++) {
                offset[s] = random.nextInt(6);
            }
            LanguageModel.State carry = null;
            double first = 0, last = 0;
            for (int c = 0; c < 120; c++) {
                int[][] in = new int[chunk][streams], out = new int[chunk][streams];
                for (int t = 0; t < chunk; t++) {
                    for (int s = 0; s < streams; s++) {
                        int i = offset[s] + c * chunk + t;
                        in[t][s] = pattern(i);
                        out[t][s] = pattern(i + 1);
                    }
                }
                LanguageModel.Step step = lm.trainStep(in, out, carry, adam, 5.0);
                carry = step.state();
                first = c == 0 ? step.loss() : first;
                last = step.loss();
            }
            assertTrue(last < 0.05 && last < first / 10, "loss from " + first + " to " + last);
            assertArrayEquals(new int[] {1, 2, 2, 0, 0, 1, 1, 2, 2, 0, 0, 1},
                    lm.generate(new int[] {0, 0, 1}, 12, Sampling.GREEDY, 0));
            // low-temperature and top-1 sampling are greedy here; beam search agrees with a sure model
            assertArrayEquals(new int[] {1, 2, 2, 0}, lm.generate(new int[] {0, 0, 1}, 4, Sampling.topK(1, 1.0), 5));
            assertArrayEquals(new int[] {1, 2, 2, 0}, lm.generate(new int[] {0, 0, 1}, 4, Sampling.temperature(0.01), 5));
            assertArrayEquals(new int[] {1, 2, 2, 0}, lm.beamSearch(new int[] {0, 0, 1}, 4, 3));
        }
    }

    @Test
    void beamSearchWithAsManyBeamsAsTokensFindsTheBestTwoTokenContinuation() {
        int vocabulary = 5;
        try (LanguageModel lm = new LanguageModel(CellKind.GRU, vocabulary, 4, 6, 2, 0.0, 9).backend("simd")) {
            int[] prompt = {1, 3};
            double best = Double.NEGATIVE_INFINITY;
            int[] argBest = null;
            for (int a = 0; a < vocabulary; a++) {
                for (int b = 0; b < vocabulary; b++) {
                    double lp = lm.logProbability(prompt, new int[] {a, b});
                    if (lp > best) {
                        best = lp;
                        argBest = new int[] {a, b};
                    }
                }
            }
            int[] found = lm.beamSearch(prompt, 2, vocabulary);
            assertArrayEquals(argBest, found);
            assertEquals(best, lm.logProbability(prompt, found), 1e-5);
        }
    }

    @Test
    void samplingFollowsTheTemperatureAndTheTopK() {
        float[] logits = {2f, 1f, 0f, -1f};
        SplittableRandom random = new SplittableRandom(3);
        int[] counts = new int[4];
        for (int i = 0; i < 40_000; i++) {
            counts[Sampling.temperature(1).pick(logits, random)]++;
        }
        double sum = 0;
        for (float z : logits) {
            sum += Math.exp(z);
        }
        for (int v = 0; v < 4; v++) {
            assertEquals(Math.exp(logits[v]) / sum, counts[v] / 40_000.0, 0.01, "token " + v);
        }
        int[] top2 = new int[4];
        for (int i = 0; i < 10_000; i++) {
            top2[Sampling.topK(2, 5.0).pick(logits, random)]++;
        }
        assertEquals(0, top2[2] + top2[3], "only the two best tokens");
        assertTrue(top2[1] > 4000, "a high temperature flattens the two: " + top2[1]);
        assertEquals(0, Sampling.GREEDY.pick(logits, random));
    }
}
