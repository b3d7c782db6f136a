package dev.jrnn.apps;

import dev.jrnn.models.Seq2Seq;
import dev.jrnn.models.train.LearningRate;
import dev.jrnn.models.train.Optimizer;
import dev.jrnn.models.train.Trainer;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What {@code jrnn g2p} and {@code jrnn translate} share: token vocabularies, padded time-first
 * batches, the teacher-forced training loop and the edit distance between token sequences.
 */
final class Seq2SeqTraining {

    static final String UNKNOWN = "<unk>", BOS = "<s>", EOS = "</s>";

    private Seq2SeqTraining() {
    }

    /** One training example: token ids of the source and of the target (without {@code EOS}). */
    record Pair(int[] source, int[] target) {
    }

    /**
     * Tokens and their ids: {@link #UNKNOWN}, {@link #BOS}, {@link #EOS} first (ids 0, 1, 2), then
     * at most {@code cap} of the counted tokens, most frequent first (first seen first among equals).
     */
    static final class Vocabulary {
        private final List<String> tokens = new ArrayList<>(List.of(UNKNOWN, BOS, EOS));
        private final Map<String, Integer> ids = new HashMap<>();

        Vocabulary(List<List<String>> sequences, int cap) {
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (List<String> sequence : sequences) {
                for (String token : sequence) {
                    counts.merge(token, 1, Integer::sum);
                }
            }
            List<String> byCount = new ArrayList<>(counts.keySet());
            byCount.sort(Comparator.comparingInt(counts::get).reversed()); // stable: ties keep first-seen order
            tokens.addAll(byCount.subList(0, Math.min(cap, byCount.size())));
            for (int i = 0; i < tokens.size(); i++) {
                ids.put(tokens.get(i), i);
            }
        }

        int size() {
            return tokens.size();
        }

        int[] ids(List<String> sequence) {
            return sequence.stream().mapToInt(t -> ids.getOrDefault(t, 0)).toArray();
        }

        List<String> tokens(int[] ids) {
            List<String> out = new ArrayList<>(ids.length);
            for (int id : ids) {
                out.add(tokens.get(id));
            }
            return out;
        }

        /** The share of {@code sequences}' tokens that are in this vocabulary. */
        double coverage(List<List<String>> sequences) {
            long known = 0, all = 0;
            for (List<String> s : sequences) {
                for (String t : s) {
                    known += ids.containsKey(t) ? 1 : 0;
                    all++;
                }
            }
            return all == 0 ? 1 : known / (double) all;
        }
    }

    record Batch(int[][] source, int[] sourceLengths, int[][] target, int[] targetLengths) {
    }

    /** Time-first ids padded with 0 past each length; every target gets {@code EOS} appended. */
    static Batch batch(List<Pair> pairs) {
        int n = pairs.size();
        int sources = pairs.stream().mapToInt(p -> p.source().length).max().orElse(1);
        int targets = pairs.stream().mapToInt(p -> p.target().length + 1).max().orElse(1);
        int[][] source = new int[sources][n], target = new int[targets][n];
        int[] sourceLengths = new int[n], targetLengths = new int[n];
        for (int i = 0; i < n; i++) {
            Pair p = pairs.get(i);
            sourceLengths[i] = p.source().length;
            targetLengths[i] = p.target().length + 1;
            for (int s = 0; s < p.source().length; s++) {
                source[s][i] = p.source()[s];
            }
            for (int t = 0; t < p.target().length; t++) {
                target[t][i] = p.target()[t];
            }
            target[p.target().length][i] = 2; // EOS
        }
        return new Batch(source, sourceLengths, target, targetLengths);
    }

    /**
     * {@code steps} Adam steps (warm-up and cosine decay from {@code learningRate}) on batches of
     * {@code batchSize} pairs, drawn in a seeded shuffled order epoch after epoch; a progress line
     * about once a second. Returns the mean training loss per target token over the last 10% of the steps.
     */
    static double train(Seq2Seq model, List<Pair> pairs, int steps, int batchSize, double learningRate, PrintWriter say) {
        Optimizer adam = Optimizer.adam(model, learningRate);
        List<Pair> order = new ArrayList<>(pairs);
        Random random = new Random(3);
        int[] next = {order.size()};
        Trainer.History history = new Trainer(adam, LearningRate.warmupCosine(learningRate, Math.min(100, steps / 10), steps), steps)
                .progress(line -> {
                    say.println(line);
                    say.flush();
                }, "pairs", batchSize)
                .run(step -> {
                    if (next[0] + batchSize > order.size()) {
                        Collections.shuffle(order, random);
                        next[0] = 0;
                    }
                    Batch b = batch(order.subList(next[0], Math.min(order.size(), next[0] + batchSize)));
                    next[0] += batchSize;
                    return model.trainStep(b.source(), b.sourceLengths(), b.target(), b.targetLengths(), adam, 5.0);
                });
        List<double[]> losses = history.training();
        int from = losses.size() - Math.max(1, losses.size() / 10);
        return losses.subList(from, losses.size()).stream().mapToDouble(l -> l[1]).average().orElse(Double.NaN);
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
