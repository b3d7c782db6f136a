package dev.jrnn.models.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
            h.writeSvg(temp.resolve("loss.svg"), "test");
            assertTrue(Files.readString(temp.resolve("loss.svg")).contains("validation"));
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
    void aLossThatBecomesNaNStopsTheRunWithAdvice() {
        Optimizer sgd = Optimizer.sgd(java.util.List.of(), 0.1, 0);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> new Trainer(sgd, LearningRate.constant(0.1), 5).run(s -> s == 2 ? Double.NaN : 1.0));
        assertTrue(e.getMessage().contains("the loss became NaN at step 3"), e.getMessage());
    }
}
