package dev.jrnn.models.train;

import dev.jrnn.core.runtime.DenseBackends;
import dev.jrnn.core.spi.DenseKernels;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Scratch;

/** Losses with their gradients, computed together (the fused softmax + cross-entropy is exact and stable). */
public final class Losses {

    private Losses() {
    }

    /** A loss value and the gradient of that value w.r.t. the prediction. */
    public record Loss(double value, FloatTensor gradient) {
    }

    /** The dense kernels of {@code -Djrnn.backend} (or auto), looked up once. */
    private static final class Kernels {
        static final DenseKernels DENSE = DenseBackends.kernels();
        /** Per thread, the arrays behind the last logits and gradient seen (see {@link Scratch#array(FloatTensor)}). */
        static final ThreadLocal<Scratch[]> ARRAYS = ThreadLocal.withInitial(() -> new Scratch[] {new Scratch(), new Scratch()});
    }

    /**
     * Mean cross-entropy of {@code softmax(logits)} against class indices, over the rows whose target
     * is not {@code ignore} (e.g. padding): {@code logits [M, C]}, {@code targets [M]}. The gradient
     * is {@code (softmax - onehot) / counted} on counted rows, zero elsewhere.
     */
    public static Loss softmaxCrossEntropy(FloatTensor logits, int[] targets, int ignore) {
        checkLogits(logits, targets);
        return softmaxCrossEntropy(logits, targets, ignore, FloatTensor.zeros(logits.shape()));
    }

    /**
     * {@link #softmaxCrossEntropy(FloatTensor, int[], int)} with the gradient written into
     * {@code gradient} (a contiguous heap tensor shaped like the logits, or the logits themselves:
     * then the gradient replaces them, and a training step needs no buffer of its own). With
     * {@code gradient} null only the loss is computed. Fused in one pass over each row by the
     * backend's {@link DenseKernels#softmaxCrossEntropy}; allocates nothing but the returned record
     * when the logits are a contiguous heap tensor.
     */
    public static Loss softmaxCrossEntropy(FloatTensor logits, int[] targets, int ignore, FloatTensor gradient) {
        checkLogits(logits, targets);
        int rows = logits.dim(0), classes = logits.dim(1);
        Scratch[] arrays = Kernels.ARRAYS.get();
        float[] z = arrays[0].array(logits);
        int zOff = z == null ? 0 : Scratch.offset(logits);
        if (z == null) {
            z = logits.toArray();
        }
        float[] g = null;
        int gOff = 0;
        if (gradient != null) {
            if (!gradient.shape().equals(logits.shape())) {
                throw new IllegalArgumentException("gradient " + gradient.shape() + " for logits " + logits.shape());
            }
            g = arrays[1].array(gradient);
            if (g == null) {
                throw new IllegalArgumentException("the gradient must be a contiguous heap tensor");
            }
            gOff = Scratch.offset(gradient);
            if (g == z && gOff != zOff) {
                throw new IllegalArgumentException("the gradient overlaps the logits at another offset");
            }
        }
        int counted = 0;
        for (int target : targets) {
            if (target != ignore) {
                counted++;
            }
        }
        float scale = counted == 0 ? 0f : (float) (1.0 / counted);
        double total = Kernels.DENSE.softmaxCrossEntropy(rows, classes, z, zOff, classes, targets, 0, ignore, scale,
                g, gOff, classes);
        return new Loss(counted == 0 ? 0 : total / counted, gradient);
    }

    private static void checkLogits(FloatTensor logits, int[] targets) {
        if (logits.rank() != 2 || logits.dim(0) != targets.length) {
            throw new IllegalArgumentException("logits " + logits.shape() + " for " + targets.length + " targets");
        }
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
