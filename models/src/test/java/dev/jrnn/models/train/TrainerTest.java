package dev.jrnn.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.LanguageModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loop: schedule, progress, validation, checkpoints, history; and a stop when the loss blows up. */
class TrainerTest {

    @TempDir
    Path temp;

    @Test
    void runsTheStepsWithTheScheduleAndLeavesACheckpointThatResumes() throws IOException {
        int[][] in = {{0, 1}, {1, 2}, {2, 0}, {0, 1}}, out = {{1, 2}, {2, 0}, {0, 1}, {1, 2}};
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        Path ckpt = temp.resolve("lm.safetensors");
        try (LanguageModel lm = new LanguageModel(CellKind.GRU, 3, 4, 8, 1, 0.0, 1).backend("simd")) {
            Optimizer adam = Optimizer.adam(lm, 0.05);
            double[] rates = new double[40];
            Trainer.History h = new Trainer(adam, LearningRate.stepDecay(0.05, 10, 0.5), 40)
                    .progress(new PrintStream(printed, true, StandardCharsets.UTF_8), "tokens", 8)
                    .validation(20, () -> lm.loss(in, out))
                    .checkpoints(15, ckpt, lm)
                    .run(step -> {
                        rates[(int) step] = adam.learningRate();
                        return lm.trainStep(in, out, null, adam, 1.0).loss();
                    });
            assertEquals(40, h.training().size());
            assertEquals(2, h.validation().size());
            assertEquals(0.05 * 0.125, rates[39], 1e-12);
            assertTrue(h.lastTraining() < h.training().get(0)[1] / 2, "the loss falls");
            assertTrue(printed.toString(StandardCharsets.UTF_8).contains("step 40/40 (100%)"));
            h.writeCsv(temp.resolve("loss.csv"));
            List<String> csv = Files.readAllLines(temp.resolve("loss.csv"));
            assertEquals(1 + 40 + 2, csv.size(), "a header, 40 training points and 2 validation points");
            assertTrue(csv.get(41).startsWith("validation,20,"), csv.get(41));
        }
        try (LanguageModel again = new LanguageModel(CellKind.GRU, 3, 4, 8, 1, 0.0, 5).backend("simd")) {
            Optimizer adam = Optimizer.adam(again, 0.05);
            Checkpoint.load(ckpt, again, adam);
            assertEquals(40, adam.steps(), "the last checkpoint is the end");
            assertEquals(0, new Trainer(adam, LearningRate.constant(0.01), 40).run(s -> 1.0).training().size(),
                    "a finished run has nothing left to do");
        }
    }

    @Test
    void fitVisitsEveryExampleOnceAnEpochInANewOrderAndAveragesEachEpoch() {
        List<Integer> examples = java.util.stream.IntStream.range(0, 10).boxed().toList();
        Optimizer sgd = Optimizer.sgd(List.of(), 0.1, 0);
        List<List<Integer>> seen = new ArrayList<>();
        Trainer.History h = new Trainer(sgd, LearningRate.constant(0.1), Trainer.steps(3, 10, 4)).seed(5)
                .fit(examples, 4, batch -> batch, batch -> {
                    seen.add(batch);
                    sgd.step();
                    return batch.size();
                });
        assertEquals(9, seen.size(), "3 epochs of batches of 4, 4 and 2");
        for (int epoch = 0; epoch < 3; epoch++) {
            List<Integer> all = new ArrayList<>();
            seen.subList(3 * epoch, 3 * epoch + 3).forEach(all::addAll);
            assertEquals(2, seen.get(3 * epoch + 2).size());
            assertEquals(examples, all.stream().sorted().toList(), "epoch " + epoch);
        }
        assertNotEquals(seen.subList(0, 3), seen.subList(3, 6), "a new order each epoch");
        assertEquals(3, h.epochs().size());
        assertEquals((4 * 4 + 4 * 4 + 2 * 2) / 10.0, h.epochs().get(0)[1], 1e-12, "each epoch's mean loss per example");

        List<List<Integer>> kept = new ArrayList<>();
        Optimizer again = Optimizer.sgd(List.of(), 0.1, 0);
        new Trainer(again, LearningRate.constant(0.1), 4).shuffle(false).dropLast(true).fit(examples, 4, b -> b, b -> {
            kept.add(b);
            again.step();
            return 1;
        });
        assertEquals(List.of(List.of(0, 1, 2, 3), List.of(4, 5, 6, 7), List.of(0, 1, 2, 3), List.of(4, 5, 6, 7)), kept);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Trainer(again, LearningRate.constant(0.1), 4)
                .dropLast(true).fit(examples, 11, b -> b, b -> 1)).getMessage().contains("10 examples make no whole batch of 11"));
    }

    @Test
    void earlyStoppingEndsAfterThePatienceAndPutsTheBestWeightsBack() {
        dev.jrnn.models.nn.Linear layer = new dev.jrnn.models.nn.Linear(1, 1, 1);
        Optimizer sgd = Optimizer.sgd(layer, 0.1, 0);
        double[] validation = {5, 3, 2, 2.5, 2.1, 4, 1, 0}; // best at the 3rd epoch, then 3 worse ones
        int[] calls = {0};
        Trainer.History h = new Trainer(sgd, LearningRate.constant(0.1), 16)
                .validationEachEpoch(() -> validation[calls[0]++])
                .earlyStopping(3, layer)
                .fit(List.of(1, 2), 1, b -> b, b -> {
                    layer.bias().values()[0] = sgd.steps(); // the weights record when they were made
                    sgd.step();
                    return 1;
                });
        assertEquals(6, calls[0]);
        assertEquals(12, h.stoppedEarlyAt());
        assertEquals(6, h.bestStep());
        assertEquals(2.0, h.bestValidation());
        assertEquals(5f, layer.bias().values()[0], "the weights after step 6 are back");
    }

    @Test
    void aLossThatBecomesNaNStopsTheRunWithAdvice() {
        Optimizer sgd = Optimizer.sgd(java.util.List.of(), 0.1, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Trainer(sgd, LearningRate.constant(0.1), 5).run(s -> s == 2 ? Double.NaN : 1.0));
        assertTrue(e.getMessage().contains("the loss became NaN at step 3"), e.getMessage());
    }
}
