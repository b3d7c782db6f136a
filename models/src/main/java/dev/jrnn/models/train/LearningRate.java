package dev.jrnn.models.train;

/** A learning-rate schedule: the rate for step {@code step} (from 0). */
@FunctionalInterface
public interface LearningRate {

    double at(long step);

    static LearningRate constant(double rate) {
        return step -> rate;
    }

    /** {@code rate * factor^(step / every)} (torch's StepLR). */
    static LearningRate stepDecay(double rate, long every, double factor) {
        return step -> rate * Math.pow(factor, step / every);
    }

    /** Linear warm-up over {@code warmup} steps, then cosine decay to 0 at {@code total} steps. */
    static LearningRate warmupCosine(double rate, long warmup, long total) {
        return step -> {
            if (step < warmup) {
                return rate * (step + 1) / warmup;
            }
            double progress = Math.min(1, (step - warmup) / (double) Math.max(1, total - warmup));
            return rate * 0.5 * (1 + Math.cos(Math.PI * progress));
        };
    }
}
