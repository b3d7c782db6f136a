package dev.jrnn.models.train;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.data.Batches;
import dev.jrnn.models.io.SafeTensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Run in a child JVM by {@link KillNineTest}: trains a small classifier (dropout, shuffled
 * batches, word dropout from the loop's generator) to {@code STEPS}, checkpointing after every
 * step, resuming from the checkpoint when one exists; at the end writes the weights to
 * {@code final.safetensors}. {@code KillNineTraining DIR STEPS}.
 */
public final class KillNineTraining {

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]), checkpoint = dir.resolve("run.safetensors");
        long steps = Long.parseLong(args[1]);
        try (SequenceClassifier model = new SequenceClassifier(6, 4, CellKind.GRU, 8, 2, Direction.UNIDIRECTIONAL, 2, 1)
                .dropout(0.5, 2).backend("reference")) {
            model.recurrent().dropout(0.3, 3);
            Optimizer adam = Optimizer.adam(model, 0.01);
            Trainer trainer = new Trainer(adam, LearningRate.warmupCosine(0.01, 5, steps), steps).seed(17)
                    .checkpoints(1, checkpoint, model);
            if (Files.exists(checkpoint)) {
                trainer.resume(checkpoint);
                System.out.println("RESUMED " + adam.steps());
            }
            System.out.println("START");
            System.out.flush();
            long start = System.nanoTime();
            if (adam.steps() < steps) {
                trainer.fit(CheckpointTest.sequences(45), 10, batch -> batch, batch -> {
                    List<int[]> tokens = batch.stream().map(s -> Arrays.copyOf(s, s.length - 1)).toList();
                    Batches.Tokens b = Batches.tokens(tokens, 0);
                    for (int[] row : b.ids()) {
                        for (int i = 0; i < row.length; i++) {
                            row[i] = trainer.random().nextDouble() < 0.1 ? 0 : row[i];
                        }
                    }
                    int[] labels = batch.stream().mapToInt(s -> s[s.length - 1]).toArray();
                    return model.trainStep(b.ids(), b.lengths(), labels, adam, 1.0);
                });
            }
            SafeTensors.write(dir.resolve("final.safetensors"), model.stateDict());
            System.out.println("DONE " + (System.nanoTime() - start) / 1_000_000);
        }
    }
}
