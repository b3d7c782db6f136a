package dev.jrnn.models.data;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Rng;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * Padded, time-first batches of sequences of different lengths, as the models read them: step
 * {@code t} of sequence {@code n} at {@code [t][n]}, the batch as long as its longest sequence,
 * padding past each sequence's end, and the lengths alongside (the models ignore the padding).
 */
public final class Batches {

    private Batches() {
    }

    /** Token ids {@code [T][N]}, padding past each length. */
    public record Tokens(int[][] ids, int[] lengths) {
        public int batch() {
            return lengths.length;
        }
    }

    /** Feature frames {@code [T, N, F]}, zero past each length. */
    public record Features(FloatTensor x, int[] lengths) {
    }

    /** An encoder-decoder batch: sources and targets (each target ending with {@code EOS}), with their lengths. */
    public record Pairs(int[][] source, int[] sourceLengths, int[][] target, int[] targetLengths) {
    }

    private static void nonEmpty(List<?> sequences) {
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("a batch needs at least one sequence");
        }
    }

    /** {@code sequences} of token ids, padded with {@code pad}. An empty sequence is refused (a model reads at least one step). */
    public static Tokens tokens(List<int[]> sequences, int pad) {
        nonEmpty(sequences);
        int[] lengths = new int[sequences.size()];
        for (int n = 0; n < lengths.length; n++) {
            lengths[n] = sequences.get(n).length;
            if (lengths[n] == 0) {
                throw new IllegalArgumentException("sequence " + n + " of the batch is empty");
            }
        }
        return new Tokens(padded(sequences, pad), lengths);
    }

    /** Per-step labels {@code [T][N]}, {@code ignore} past each sequence's end (losses skip it). */
    public static int[][] labels(List<int[]> sequences, int ignore) {
        nonEmpty(sequences);
        return padded(sequences, ignore);
    }

    private static int[][] padded(List<int[]> sequences, int pad) {
        int longest = sequences.stream().mapToInt(s -> s.length).max().orElse(0);
        int[][] out = new int[longest][sequences.size()];
        for (int t = 0; t < longest; t++) {
            for (int n = 0; n < sequences.size(); n++) {
                int[] s = sequences.get(n);
                out[t][n] = t < s.length ? s[t] : pad;
            }
        }
        return out;
    }

    /** {@code sequences.get(n)[t]} is frame {@code t} of sequence {@code n}; every frame has the same size. */
    public static Features features(List<float[][]> sequences) {
        nonEmpty(sequences);
        int batch = sequences.size(), size = -1;
        int[] lengths = new int[batch];
        for (int n = 0; n < batch; n++) {
            float[][] s = sequences.get(n);
            lengths[n] = s.length;
            if (s.length == 0) {
                throw new IllegalArgumentException("sequence " + n + " of the batch is empty");
            }
            for (float[] frame : s) {
                size = size < 0 ? frame.length : size;
                if (frame.length != size) {
                    throw new IllegalArgumentException("sequence " + n + " has a frame of " + frame.length + " features, not " + size);
                }
            }
        }
        int longest = java.util.Arrays.stream(lengths).max().orElse(1);
        float[] x = new float[longest * batch * size];
        for (int n = 0; n < batch; n++) {
            for (int t = 0; t < lengths[n]; t++) {
                System.arraycopy(sequences.get(n)[t], 0, x, (t * batch + n) * size, size);
            }
        }
        return new Features(FloatTensor.of(x, longest, batch, size), lengths);
    }

    /** Sources and targets of token ids, padded with 0; every target gets {@code eos} appended. */
    public static Pairs pairs(List<int[]> sources, List<int[]> targets, int eos) {
        if (sources.size() != targets.size()) {
            throw new IllegalArgumentException(sources.size() + " sources for " + targets.size() + " targets");
        }
        Tokens s = tokens(sources, 0), t = targets(targets, eos);
        return new Pairs(s.ids(), s.lengths(), t.ids(), t.lengths());
    }

    /** A decoder's targets: each sequence with {@code eos} appended, padded with 0. */
    public static Tokens targets(List<int[]> sequences, int eos) {
        List<int[]> ended = new ArrayList<>(sequences.size());
        for (int[] t : sequences) {
            int[] e = java.util.Arrays.copyOf(t, t.length + 1);
            e[t.length] = eos;
            ended.add(e);
        }
        return tokens(ended, 0);
    }

    /**
     * {@code items} cut into batches of at most {@code size} of similar lengths (so a batch holds
     * little padding), in random order; items of equal length in random order too.
     */
    public static <E> List<List<E>> bySimilarLength(List<E> items, ToIntFunction<E> length, int size, Rng random) {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + size);
        }
        List<E> order = new ArrayList<>(items);
        random.shuffle(order);
        order.sort(Comparator.comparingInt(length)); // stable: random order among equal lengths
        List<List<E>> batches = new ArrayList<>();
        for (int from = 0; from < order.size(); from += size) {
            batches.add(order.subList(from, Math.min(order.size(), from + size)));
        }
        random.shuffle(batches);
        return batches;
    }
}
