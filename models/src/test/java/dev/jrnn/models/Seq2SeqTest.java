package dev.jrnn.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.io.SafeTensors;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.train.Optimizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Encoder-decoder with attention: gradients against finite differences, and it learns to reverse sequences. */
class Seq2SeqTest {

    private static final int SYMBOLS = 6, BOS = SYMBOLS, EOS = SYMBOLS + 1, VOCABULARY = SYMBOLS + 2;

    /** Sources of random symbols with lengths in [min, max]; targets: the source reversed, then EOS. */
    record Batch(int[][] source, int[] sourceLengths, int[][] target, int[] targetLengths) {
        static Batch reversal(SplittableRandom random, int batch, int min, int max) {
            int[][] source = new int[max][batch], target = new int[max + 1][batch];
            int[] lengths = new int[batch], targetLengths = new int[batch];
            for (int n = 0; n < batch; n++) {
                lengths[n] = min + random.nextInt(max - min + 1);
                targetLengths[n] = lengths[n] + 1;
                for (int s = 0; s < lengths[n]; s++) {
                    source[s][n] = random.nextInt(SYMBOLS);
                }
                for (int s = 0; s < lengths[n]; s++) {
                    target[s][n] = source[lengths[n] - 1 - s][n];
                }
                target[lengths[n]][n] = EOS;
            }
            return new Batch(source, lengths, target, targetLengths);
        }
    }

    @Test
    void gradientsMatchCentralDifferences() {
        Batch b = Batch.reversal(new SplittableRandom(1), 3, 2, 4);
        try (Seq2Seq model = new Seq2Seq(CellKind.LSTM, VOCABULARY, VOCABULARY, 3, 4, 2, BOS, EOS, 2)
                .backend("reference")) {
            Optimizer none = Optimizer.sgd(model, 0, 0); // a step that changes nothing
            model.trainStep(b.source(), b.sourceLengths(), b.target(), b.targetLengths(), none, 1e9);
            GradientCheck.assertMatches(model.parameters(),
                    () -> model.loss(b.source(), b.sourceLengths(), b.target(), b.targetLengths()), 1e-2, 3e-3, 0.03, 4, "tokens");
        }
    }

    /**
     * With dropout, the gradients are those of the training loss under the same masks: each
     * evaluation of the loss restores the generators' states, so it draws the masks the step drew
     * (and puts the step's gradients back, since a training step recomputes them). Inference is
     * unaffected: the held-out loss is the model's without dropout.
     */
    @Test
    void dropoutGradientsMatchCentralDifferencesUnderTheSameMasks() {
        Batch b = Batch.reversal(new SplittableRandom(4), 3, 2, 4);
        try (Seq2Seq model = new Seq2Seq(CellKind.LSTM, VOCABULARY, VOCABULARY, 3, 4, 1, BOS, EOS, 2).backend("reference");
             Seq2Seq plain = new Seq2Seq(CellKind.LSTM, VOCABULARY, VOCABULARY, 3, 4, 1, BOS, EOS, 2).backend("reference")) {
            model.dropout(0.4, 5);
            assertEquals(plain.loss(b.source(), b.sourceLengths(), b.target(), b.targetLengths()),
                    model.loss(b.source(), b.sourceLengths(), b.target(), b.targetLengths()), "inference uses no dropout");
            Map<String, Long> masks = new java.util.HashMap<>();
            model.randomGenerators().forEach((name, g) -> masks.put(name, g.state()));
            assertEquals(3, masks.size(), masks.toString());
            Optimizer none = Optimizer.sgd(model, 0, 0);
            double dropped = model.trainStep(b.source(), b.sourceLengths(), b.target(), b.targetLengths(), none, 1e9);
            double full = plain.trainStep(b.source(), b.sourceLengths(), b.target(), b.targetLengths(), Optimizer.sgd(plain, 0, 0), 1e9);
            assertTrue(Math.abs(dropped - full) > 1e-4, "the training loss with dropout differs: " + dropped + " " + full);
            Map<String, float[]> grads = new java.util.HashMap<>();
            model.namedParameters().forEach((name, p) -> grads.put(name, p.grads().clone()));
            GradientCheck.assertMatches(model.parameters(), () -> {
                model.randomGenerators().forEach((name, g) -> g.state(masks.get(name)));
                double loss = model.trainStep(b.source(), b.sourceLengths(), b.target(), b.targetLengths(), none, 1e9);
                model.namedParameters().forEach((name, p) -> System.arraycopy(grads.get(name), 0, p.grads(), 0, p.size()));
                return loss;
            }, 1e-2, 3e-3, 0.03, 4, "dropout");
        }
    }

    /** The same check with a feature-vector source (as video or audio frames are): the encoder reads them directly. */
    @Test
    void featureSourceGradientsMatchCentralDifferences() {
        Batch b = Batch.reversal(new SplittableRandom(6), 3, 2, 4);
        SplittableRandom noise = new SplittableRandom(7);
        FloatTensor features = FloatTensor.zeros(b.source().length, 3, 5);
        for (int s = 0; s < b.source().length; s++) {
            for (int n = 0; n < 3; n++) {
                for (int f = 0; f < 5; f++) {
                    features.set(s, n, f, (float) (f == b.source()[s][n] % 5 ? 1 : 0.2 * noise.nextGaussian()));
                }
            }
        }
        try (Seq2Seq model = Seq2Seq.overFeatures(CellKind.GRU, 5, VOCABULARY, 3, 4, 1, BOS, EOS, 8).backend("reference")) {
            model.trainStep(features, b.sourceLengths(), b.target(), b.targetLengths(), Optimizer.sgd(model, 0, 0), 1e9);
            GradientCheck.assertMatches(model.parameters(),
                    () -> model.loss(features, b.sourceLengths(), b.target(), b.targetLengths()), 1e-2, 3e-3, 0.03, 4, "features");
        }
    }

    /**
     * The bug: a saved and reloaded Seq2Seq put the decoder's weights in the encoder's place
     * (both stacks were saved as weight_ih_l0, ...). Now a model trained a little, saved and loaded
     * into a fresh model built from another seed has bitwise the same weights, loss and greedy and
     * beam translations; the optimizer's state comes back too, so one more step on each stays equal.
     */
    @Test
    void aCheckpointReloadsIntoAFreshModelWithTheSameTranslationsAndOptimizerState(@TempDir Path temp) throws IOException {
        Path file = temp.resolve("s2s.safetensors");
        try (Seq2Seq model = new Seq2Seq(CellKind.LSTM, VOCABULARY, VOCABULARY, 8, 16, 2, BOS, EOS, 4).backend("reference");
             Seq2Seq fresh = new Seq2Seq(CellKind.LSTM, VOCABULARY, VOCABULARY, 8, 16, 2, BOS, EOS, 99).backend("reference")) {
            Optimizer adam = Optimizer.adam(model, 0.01);
            SplittableRandom random = new SplittableRandom(5);
            for (int step = 0; step < 40; step++) {
                Batch b = Batch.reversal(random, 16, 3, 7);
                model.trainStep(b.source(), b.sourceLengths(), b.target(), b.targetLengths(), adam, 5.0);
            }
            Checkpoint.save(file, model, adam, Map.of());
            Map<String, FloatTensor> saved = SafeTensors.read(file);
            assertArrayEquals(model.stateDict().get("encoder.rnn.weight_ih_l1").toArray(), saved.get("encoder.rnn.weight_ih_l1").toArray());
            assertArrayEquals(model.stateDict().get("decoder.rnn.weight_ih_l1").toArray(), saved.get("decoder.rnn.weight_ih_l1").toArray());
            assertTrue(saved.containsKey("optimizer.encoder.rnn.weight_ih_l0.exp_avg") && saved.containsKey("optimizer.decoder.rnn.weight_ih_l0.exp_avg"));

            Optimizer again = Optimizer.adam(fresh, 0.01);
            Checkpoint.load(file, fresh, again);
            model.stateDict().forEach((name, t) -> assertArrayEquals(t.toArray(), fresh.stateDict().get(name).toArray(), name));
            adam.state().forEach((name, values) -> assertArrayEquals(values, again.state().get(name), name));
            assertEquals(adam.steps(), again.steps());

            Batch held = Batch.reversal(new SplittableRandom(9), 16, 3, 7);
            assertEquals(model.loss(held.source(), held.sourceLengths(), held.target(), held.targetLengths()),
                    fresh.loss(held.source(), held.sourceLengths(), held.target(), held.targetLengths()));
            SplittableRandom sources = new SplittableRandom(10);
            int nonTrivial = 0;
            for (int i = 0; i < 20; i++) {
                int[] source = new int[3 + sources.nextInt(5)];
                for (int s = 0; s < source.length; s++) {
                    source[s] = sources.nextInt(SYMBOLS);
                }
                int[] greedy = model.translate(source, 12);
                assertArrayEquals(greedy, fresh.translate(source, 12), Arrays.toString(source));
                assertArrayEquals(model.translate(source, 12, 3), fresh.translate(source, 12, 3), Arrays.toString(source));
                nonTrivial += greedy.length > 0 ? 1 : 0;
            }
            assertTrue(nonTrivial > 10, "the translations say something: " + nonTrivial + " of 20 are not empty");

            Batch next = Batch.reversal(random, 16, 3, 7);
            double a = model.trainStep(next.source(), next.sourceLengths(), next.target(), next.targetLengths(), adam, 5.0);
            double b = fresh.trainStep(next.source(), next.sourceLengths(), next.target(), next.targetLengths(), again, 5.0);
            assertEquals(a, b);
            model.stateDict().forEach((name, t) -> assertArrayEquals(t.toArray(), fresh.stateDict().get(name).toArray(), "after a step: " + name));
        }
    }

    /**
     * A training step keeps its activations in the model's buffers: once warm it allocates less
     * than a sixth of one of them (here the logits, 12 x 16 x 500 floats, 384 KB; what is left,
     * about 20 KB, is the carried states and a few small arrays; 2 MB before the buffers).
     */
    @Test
    void aTrainingStepAllocatesLessThanItsLogits() {
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        SplittableRandom random = new SplittableRandom(4);
        int steps = 12, batch = 16, vocabulary = 500;
        int[][] source = new int[steps][batch], target = new int[steps][batch];
        int[] sourceLengths = new int[batch], targetLengths = new int[batch];
        for (int n = 0; n < batch; n++) {
            sourceLengths[n] = 4 + random.nextInt(steps - 3);
            targetLengths[n] = 4 + random.nextInt(steps - 3);
            for (int t = 0; t < steps; t++) {
                source[t][n] = 3 + random.nextInt(vocabulary - 3);
                target[t][n] = t == targetLengths[n] - 1 ? 2 : 3 + random.nextInt(vocabulary - 3);
            }
        }
        try (Seq2Seq model = new Seq2Seq(CellKind.LSTM, vocabulary, vocabulary, 16, 32, 1, 1, 2, 3).dropout(0.2, 5).backend("simd")) {
            Optimizer adam = Optimizer.adam(model, 1e-3);
            long bytes = Long.MAX_VALUE;
            for (int round = 0; round < 12 && bytes >= 64_000; round++) { // while the JIT still compiles (~1,000 steps)
                for (int i = 0; i < 100; i++) {
                    model.trainStep(source, sourceLengths, target, targetLengths, adam, 5.0);
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 10; i++) {
                    model.trainStep(source, sourceLengths, target, targetLengths, adam, 5.0);
                }
                bytes = (threads.getCurrentThreadAllocatedBytes() - before) / 10;
            }
            assertTrue(bytes < 64_000, bytes + " bytes allocated per training step");
        }
    }

    @Test
    void learnsToReverseSequencesOfMixedLengths() {
        try (Seq2Seq model = new Seq2Seq(CellKind.GRU, VOCABULARY, VOCABULARY, 16, 48, 1, BOS, EOS, 4).backend("simd")) {
            Optimizer adam = Optimizer.adam(model, 0.01);
            SplittableRandom random = new SplittableRandom(5);
            for (int step = 0; step < 1000; step++) {
                Batch b = Batch.reversal(random, 32, 3, 7);
                model.trainStep(b.source(), b.sourceLengths(), b.target(), b.targetLengths(), adam, 5.0);
            }
            SplittableRandom fresh = new SplittableRandom(77);
            int exact = 0, trials = 100;
            for (int i = 0; i < trials; i++) {
                int[] source = new int[3 + fresh.nextInt(5)];
                for (int s = 0; s < source.length; s++) {
                    source[s] = fresh.nextInt(SYMBOLS);
                }
                int[] want = new int[source.length];
                for (int s = 0; s < source.length; s++) {
                    want[s] = source[source.length - 1 - s];
                }
                exact += Arrays.equals(want, model.translate(source, 12)) ? 1 : 0;
            }
            assertTrue(exact >= 90, exact + " of " + trials + " reversed exactly");

            // its attention: a row per emitted token and EOS, each a distribution over the source; a
            // reverser emitting target[t] = source[S-1-t] looks at source step S-1-t
            int aligned = 0, rows = 0;
            for (int i = 0; i < trials; i++) {
                int[] source = new int[3 + fresh.nextInt(5)];
                for (int s = 0; s < source.length; s++) {
                    source[s] = fresh.nextInt(SYMBOLS);
                }
                int[] target = new int[source.length];
                for (int s = 0; s < source.length; s++) {
                    target[s] = source[source.length - 1 - s];
                }
                float[][] a = model.attention(source, target);
                assertEquals(target.length + 1, a.length);
                for (int t = 0; t < a.length; t++) {
                    assertEquals(source.length, a[t].length);
                    double sum = 0;
                    int argmax = 0;
                    for (int s = 0; s < a[t].length; s++) {
                        assertTrue(a[t][s] >= 0, "a weight is a probability");
                        sum += a[t][s];
                        argmax = a[t][s] > a[t][argmax] ? s : argmax;
                    }
                    assertEquals(1, sum, 1e-5, "row " + t + " sums to 1");
                    if (t < target.length) {
                        aligned += argmax == source.length - 1 - t ? 1 : 0;
                        rows++;
                    }
                }
            }
            System.out.printf("attention of the reverser on the symbol it copies: %d of %d tokens%n", aligned, rows);
            assertTrue(aligned >= 0.5 * rows, aligned + " of " + rows + " tokens attend most to the symbol they copy");
        }
    }

    /**
     * A briefly trained (so still unsure) reverser: on every source, the target that beam search
     * finds scores at least the greedy one's log-probability, scored by a separate teacher-forced
     * pass; and on some sources strictly more, or the beam would be doing nothing.
     */
    @Test
    void beamSearchFindsTargetsAtLeastAsLikelyAsGreedy() {
        try (Seq2Seq model = new Seq2Seq(CellKind.GRU, VOCABULARY, VOCABULARY, 16, 32, 1, BOS, EOS, 4).backend("simd")) {
            Optimizer adam = Optimizer.adam(model, 0.01);
            SplittableRandom random = new SplittableRandom(5);
            for (int step = 0; step < 150; step++) {
                Batch b = Batch.reversal(random, 32, 3, 7);
                model.trainStep(b.source(), b.sourceLengths(), b.target(), b.targetLengths(), adam, 5.0);
            }
            SplittableRandom fresh = new SplittableRandom(78);
            int better = 0;
            for (int i = 0; i < 100; i++) {
                int[] source = new int[3 + fresh.nextInt(5)];
                for (int s = 0; s < source.length; s++) {
                    source[s] = fresh.nextInt(SYMBOLS);
                }
                int[] greedy = model.translate(source, 20), beam = model.translate(source, 20, 5);
                assertTrue(greedy.length < 20 && beam.length < 20, "both end with EOS, so both scores count it");
                assertTrue(Arrays.equals(greedy, model.translate(source, 20, 1)), "beam width 1 is greedy decoding");
                assertTrue(Arrays.equals(greedy, model.translate(source, 20, 1, true)), "so it is with length normalisation");
                double g = model.logProbability(source, greedy), b = model.logProbability(source, beam);
                assertTrue(b >= g - 1e-4, "source " + Arrays.toString(source) + ": beam " + Arrays.toString(beam) + " " + b
                        + " < greedy " + Arrays.toString(greedy) + " " + g);
                better += b > g + 1e-3 ? 1 : 0;
            }
            assertTrue(better > 0, "beam search never found a likelier target than greedy decoding");
        }
    }
}
