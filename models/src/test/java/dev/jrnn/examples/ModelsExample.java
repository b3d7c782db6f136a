package dev.jrnn.examples;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.train.LearningRate;
import dev.jrnn.models.train.Optimizer;
import dev.jrnn.models.train.Trainer;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** The README's models example: an LSTM learns to name the first symbol of sequences of mixed lengths. */
public final class ModelsExample {

    /** One-hot sequences of 4 symbols, [T, N, 4], sequence n being lengths[n] long; labels: the first symbol. */
    record Batch(FloatTensor x, int[] lengths, int[] labels) {
        static Batch random(SplittableRandom random, int n) {
            FloatTensor x = FloatTensor.zeros(10, n, 4);
            int[] lengths = new int[n], labels = new int[n];
            for (int i = 0; i < n; i++) {
                lengths[i] = 2 + random.nextInt(9);
                for (int t = 0; t < lengths[i]; t++) {
                    int symbol = random.nextInt(4);
                    x.set(t, i, symbol, 1f);
                    labels[i] = t == 0 ? symbol : labels[i];
                }
            }
            return new Batch(x, lengths, labels);
        }
    }

    public static double run(Path lossCurve) throws Exception {
        SplittableRandom random = new SplittableRandom(1);
        try (SequenceClassifier model = new SequenceClassifier(CellKind.LSTM, 4, 24, 1, Direction.UNIDIRECTIONAL, 4, 1)) {
            Optimizer adam = Optimizer.adam(model, 0.02);
            Trainer.History history = new Trainer(adam, LearningRate.warmupCosine(0.02, 20, 250), 250)
                    .progress(System.out, "sequences", 32)
                    .run(step -> {
                        Batch b = Batch.random(random, 32);
                        return model.trainStep(b.x(), b.lengths(), b.labels(), adam, 5.0);
                    });
            history.writeCsv(lossCurve); // any plotting tool draws it
            Batch test = Batch.random(new SplittableRandom(2), 500);
            int[] predicted = model.predict(test.x(), test.lengths());
            int right = 0;
            for (int i = 0; i < predicted.length; i++) {
                right += predicted[i] == test.labels()[i] ? 1 : 0;
            }
            double accuracy = right / (double) predicted.length;
            System.out.printf("accuracy on 500 new sequences: %.3f (chance: 0.25); backend %s; loss curve: %s%n",
                    accuracy, model.recurrent().backendName(), lossCurve);
            return accuracy;
        }
    }

    public static void main(String[] args) throws Exception {
        run(Path.of(args.length > 0 ? args[0] : "loss.csv"));
    }
}
