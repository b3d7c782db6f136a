package dev.jrnn.apps;

import dev.jrnn.apps.charts.HeatMap;
import dev.jrnn.models.Seq2Seq;
import dev.jrnn.models.data.Batches;
import dev.jrnn.models.data.Vocabulary;
import dev.jrnn.models.train.LearningRate;
import dev.jrnn.models.train.Optimizer;
import dev.jrnn.models.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code jrnn g2p}, {@code jrnn translate} and {@code jrnn video}'s captions share: their
 * vocabularies' special tokens, batches of pairs, the teacher-forced training and the edit
 * distance between token sequences.
 */
final class Seq2SeqTraining {

    static final String UNKNOWN = "<unk>", BOS = "<s>", EOS = "</s>";

    private Seq2SeqTraining() {
    }

    /** One training example: token ids of the source and of the target (without {@code EOS}). */
    record Pair(int[] source, int[] target) {
    }

    /** Tokens and their ids: {@link #UNKNOWN}, {@link #BOS}, {@link #EOS} first (ids 0, 1, 2), then at most {@code cap} tokens, most frequent first. */
    static Vocabulary vocabulary(List<List<String>> sequences, int cap) {
        return Vocabulary.byFrequency(sequences, cap, UNKNOWN, BOS, EOS);
    }

    /** Time-first ids padded with 0 past each length; every target gets {@code EOS} appended. */
    static Batches.Pairs batch(List<Pair> pairs) {
        return Batches.pairs(pairs.stream().map(Pair::source).toList(), pairs.stream().map(Pair::target).toList(), 2);
    }

    /**
     * {@code steps} Adam steps (warm-up and cosine decay from {@code learningRate}) on batches of
     * {@code batchSize} pairs, whole batches of a seeded shuffled order epoch after epoch
     * ({@link Trainer#fit}); a progress line about once a second. Returns the mean training loss
     * per target token over the last 10% of the steps.
     */
    static double train(Seq2Seq model, List<Pair> pairs, int steps, int batchSize, double learningRate, PrintWriter say) {
        Optimizer adam = Optimizer.adam(model, learningRate);
        Trainer.History history = new Trainer(adam, LearningRate.warmupCosine(learningRate, Math.min(100, steps / 10), steps), steps)
                .seed(3).dropLast(true)
                .progress(line -> {
                    say.println(line);
                    say.flush();
                }, "pairs", batchSize)
                .fit(pairs, Math.min(batchSize, pairs.size()), Seq2SeqTraining::batch,
                        b -> model.trainStep(b.source(), b.sourceLengths(), b.target(), b.targetLengths(), adam, 5.0));
        return history.meanOfLast(0.1);
    }

    /**
     * The attention map of {@code model} emitting {@code target} after {@code source} (teacher
     * forced, {@link Seq2Seq#attention}) as PNG: a row per emitted token and {@link #EOS}, a column
     * per source token, each row's weights shaded.
     */
    static void attentionMap(Path file, String title, Seq2Seq model, int[] source, List<String> sourceTokens,
                             int[] target, List<String> targetTokens) throws IOException {
        float[][] weights = model.attention(source, target);
        double[][] values = new double[weights.length][source.length];
        for (int t = 0; t < weights.length; t++) {
            for (int s = 0; s < source.length; s++) {
                values[t][s] = weights[t][s];
            }
        }
        List<String> rows = new ArrayList<>(targetTokens);
        rows.add(EOS);
        int width = Math.min(1600, 360 + 36 * source.length), height = Math.min(1200, 260 + 28 * rows.size());
        new HeatMap(title, "source", sourceTokens, "emitted", rows, "attention weight", values).writePng(file, width, height);
    }

    /** Levenshtein distance: the fewest insertions, deletions and substitutions that turn {@code a} into {@code b}. */
    static int editDistance(List<String> a, List<String> b) {
        int[] previous = new int[b.size() + 1], current = new int[b.size() + 1];
        for (int j = 0; j <= b.size(); j++) {
            previous[j] = j;
        }
        for (int i = 1; i <= a.size(); i++) {
            current[0] = i;
            for (int j = 1; j <= b.size(); j++) {
                int substitute = previous[j - 1] + (a.get(i - 1).equals(b.get(j - 1)) ? 0 : 1);
                current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
            }
            int[] swap = previous;
            previous = current;
            current = swap;
        }
        return previous[b.size()];
    }

    /**
     * Nats per target token (with {@code EOS}) of the best model that ignores the source and the
     * context: each token by its frequency in {@code pairs}' targets. A trained encoder-decoder's
     * training loss must fall well below it.
     */
    static double unigramLoss(List<Pair> pairs) {
        Map<Integer, Integer> counts = new HashMap<>();
        long total = 0;
        for (Pair p : pairs) {
            for (int t : p.target()) {
                counts.merge(t, 1, Integer::sum);
            }
            counts.merge(2, 1, Integer::sum); // EOS
            total += p.target().length + 1;
        }
        double nats = 0;
        for (int c : counts.values()) {
            nats -= c * Math.log(c / (double) total);
        }
        return nats / total;
    }

    static void positive(String flag, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(flag + " must be positive, got " + value);
        }
    }
}
