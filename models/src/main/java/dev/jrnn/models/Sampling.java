package dev.jrnn.models;

import java.util.SplittableRandom;

/**
 * How a generator picks the next token from its scores: {@link #GREEDY} takes the best; otherwise
 * it samples from {@code softmax(logits / temperature)}, restricted to the {@code topK} best tokens
 * when {@code topK > 0}.
 */
public record Sampling(double temperature, int topK) {

    public static final Sampling GREEDY = new Sampling(0, 1);

    public Sampling {
        if (!(temperature >= 0) || topK < 0) {
            throw new IllegalArgumentException("temperature must be >= 0 and topK >= 0, got " + temperature + ", " + topK);
        }
    }

    public static Sampling temperature(double temperature) {
        return new Sampling(temperature, 0);
    }

    public static Sampling topK(int k, double temperature) {
        return new Sampling(temperature, k);
    }

    /** The index chosen from {@code logits}. */
    public int pick(float[] logits, SplittableRandom random) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        if (temperature == 0 || topK == 1) {
            return best;
        }
        double threshold = Double.NEGATIVE_INFINITY;
        if (topK > 0 && topK < logits.length) {
            float[] sorted = logits.clone();
            java.util.Arrays.sort(sorted);
            threshold = sorted[sorted.length - topK];
        }
        double[] weights = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            if (logits[i] >= threshold) {
                weights[i] = Math.exp((logits[i] - logits[best]) / temperature);
                total += weights[i];
            }
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < weights.length; i++) {
            u -= weights[i];
            if (u < 0 && weights[i] > 0) {
                return i;
            }
        }
        return best;
    }
}
