package dev.jrnn.apps;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Corpus BLEU-4 (Papineni et al., 2002) with one reference per sentence: for n = 1..4, the
 * n-grams of every hypothesis matched against its reference's, each n-gram's count clipped to its
 * count in the reference, summed over the corpus and divided by the hypotheses' n-gram count;
 * BLEU is the geometric mean of the four precisions times the brevity penalty
 * {@code exp(1 - r / c)} when the hypotheses' total length {@code c} is below the references'
 * {@code r} (else 1). No smoothing: a corpus without a single matching 4-gram scores 0.
 */
final class Bleu {

    private Bleu() {
    }

    /** BLEU in [0, 1], the four precisions, the brevity penalty and the two total lengths. */
    record Score(double bleu, double[] precisions, double brevityPenalty, long hypothesisLength, long referenceLength) {
    }

    static Score corpus(List<List<String>> hypotheses, List<List<String>> references) {
        if (hypotheses.size() != references.size()) {
            throw new IllegalArgumentException(hypotheses.size() + " hypotheses for " + references.size() + " references");
        }
        long[] matches = new long[4], totals = new long[4];
        long c = 0, r = 0;
        for (int s = 0; s < hypotheses.size(); s++) {
            List<String> h = hypotheses.get(s), ref = references.get(s);
            c += h.size();
            r += ref.size();
            for (int n = 1; n <= 4; n++) {
                Map<List<String>, Integer> available = counts(ref, n);
                for (Map.Entry<List<String>, Integer> e : counts(h, n).entrySet()) {
                    matches[n - 1] += Math.min(e.getValue(), available.getOrDefault(e.getKey(), 0)); // clipped
                }
                totals[n - 1] += Math.max(0, h.size() - n + 1);
            }
        }
        double[] precisions = new double[4];
        double logSum = 0;
        for (int n = 0; n < 4; n++) {
            precisions[n] = totals[n] == 0 ? 0 : matches[n] / (double) totals[n];
            logSum += Math.log(precisions[n]) / 4; // -infinity when a precision is 0: BLEU 0
        }
        double brevity = c == 0 ? 0 : c >= r ? 1 : Math.exp(1 - r / (double) c);
        double bleu = logSum == Double.NEGATIVE_INFINITY ? 0 : brevity * Math.exp(logSum);
        return new Score(bleu, precisions, brevity, c, r);
    }

    private static Map<List<String>, Integer> counts(List<String> tokens, int n) {
        Map<List<String>, Integer> out = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            out.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return out;
    }
}
