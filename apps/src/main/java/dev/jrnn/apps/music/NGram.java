package dev.jrnn.apps.music;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The baseline: an n-gram model of token pieces with add-k smoothing,
 * {@code P(t | c) = (count(c, t) + k) / (count(c) + k V)} for the context c of the n-1 tokens
 * before (order 1: the unigram). Each piece starts after n-1 {@link MelodyTokens#BOUNDARY} tokens.
 */
public final class NGram {

    private final int order, vocabulary;
    private final double k;
    private final Map<Long, Integer> contexts = new HashMap<>(), grams = new HashMap<>();

    /** Counts the n-grams of {@code pieces}, tokens in [0, vocabulary). */
    public NGram(int order, int vocabulary, double k, List<int[]> pieces) {
        if (order < 1 || order > 4 || !(k > 0) || vocabulary > 1 << 12) {
            throw new IllegalArgumentException("order 1-4, k > 0 and at most 4096 tokens, got " + order + ", " + k + ", " + vocabulary);
        }
        this.order = order;
        this.vocabulary = vocabulary;
        this.k = k;
        for (int[] piece : pieces) {
            for (int i = 0; i < piece.length; i++) {
                long c = context(piece, i);
                contexts.merge(c, 1, Integer::sum);
                grams.merge((c << 12) | piece[i], 1, Integer::sum);
            }
        }
    }

    /** The n-1 tokens before {@code piece[i]} packed into a long (12 bits each; boundaries before the start). */
    private long context(int[] piece, int i) {
        long c = 0;
        for (int back = order - 1; back >= 1; back--) {
            c = (c << 12) | (i - back >= 0 ? piece[i - back] : MelodyTokens.BOUNDARY);
        }
        return c;
    }

    /** Mean bits per token of predicting every token of {@code pieces}. */
    public double bits(List<int[]> pieces) {
        double bits = 0;
        long count = 0;
        for (int[] piece : pieces) {
            for (int i = 0; i < piece.length; i++) {
                long c = context(piece, i);
                double p = (grams.getOrDefault((c << 12) | piece[i], 0) + k) / (contexts.getOrDefault(c, 0) + k * vocabulary);
                bits -= Math.log(p) / Math.log(2);
                count++;
            }
        }
        return bits / count;
    }
}
