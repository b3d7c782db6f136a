package dev.jrnn.models.train;

import dev.jrnn.core.tensor.FloatTensor;

/** Losses with their gradients, computed together (the fused softmax + cross-entropy is exact and stable). */
public final class Losses {

    private Losses() {
    }

    /** A loss value and the gradient of that value w.r.t. the prediction. */
    public record Loss(double value, FloatTensor gradient) {
    }

    /**
     * Mean cross-entropy of {@code softmax(logits)} against class indices, over the rows whose target
     * is not {@code ignore} (e.g. padding): {@code logits [M, C]}, {@code targets [M]}. The gradient
     * is {@code (softmax - onehot) / counted} on counted rows, zero elsewhere.
     */
    public static Loss softmaxCrossEntropy(FloatTensor logits, int[] targets, int ignore) {
        if (logits.rank() != 2 || logits.dim(0) != targets.length) {
            throw new IllegalArgumentException("logits " + logits.shape() + " for " + targets.length + " targets");
        }
        int rows = logits.dim(0), classes = logits.dim(1);
        float[] z = logits.toArray(), grad = new float[z.length];
        int counted = 0;
        for (int target : targets) {
            if (target != ignore) {
                counted++;
            }
        }
        double total = 0;
        for (int r = 0; r < rows; r++) {
            if (targets[r] == ignore) {
                continue;
            }
            if (targets[r] < 0 || targets[r] >= classes) {
                throw new IllegalArgumentException("target " + targets[r] + " of row " + r + " is not a class in [0, " + classes + ")");
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, z[r * classes + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(z[r * classes + c] - max);
            }
            double logSum = max + Math.log(sum);
            total += logSum - z[r * classes + targets[r]];
            for (int c = 0; c < classes; c++) {
                double p = Math.exp(z[r * classes + c] - logSum);
                grad[r * classes + c] = (float) ((p - (c == targets[r] ? 1 : 0)) / counted);
            }
        }
        return new Loss(counted == 0 ? 0 : total / counted, FloatTensor.of(grad, rows, classes));
    }

    /** Mean squared error over every element; the gradient is {@code 2 (prediction - target) / size}. */
    public static Loss meanSquaredError(FloatTensor prediction, FloatTensor target) {
        if (!prediction.shape().equals(target.shape())) {
            throw new IllegalArgumentException("prediction " + prediction.shape() + " and target " + target.shape() + " differ");
        }
        float[] p = prediction.toArray(), t = target.toArray(), grad = new float[p.length];
        double total = 0;
        for (int i = 0; i < p.length; i++) {
            double diff = p[i] - t[i];
            total += diff * diff;
            grad[i] = (float) (2 * diff / p.length);
        }
        return new Loss(total / p.length, FloatTensor.of(grad, prediction.shape().dims()));
    }

    /** {@code log(softmax(logits))} of one row, computed stably. */
    public static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY, sum = 0;
        for (float z : logits) {
            max = Math.max(max, z);
        }
        for (float z : logits) {
            sum += Math.exp(z - max);
        }
        double log = max + Math.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - log;
        }
        return out;
    }

    /** Row-wise softmax of {@code logits [M, C]} (for predictions; training uses the fused loss). */
    public static float[] softmax(float[] logits, int classes) {
        float[] out = new float[logits.length];
        for (int r = 0; r < logits.length / classes; r++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, logits[r * classes + c]);
            }
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(logits[r * classes + c] - max);
            }
            for (int c = 0; c < classes; c++) {
                out[r * classes + c] = (float) (Math.exp(logits[r * classes + c] - max) / sum);
            }
        }
        return out;
    }
}
