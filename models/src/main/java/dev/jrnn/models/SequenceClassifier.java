package dev.jrnn.models;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Dropout;
import dev.jrnn.models.nn.Embedding;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;

/**
 * Many-to-one: a recurrent stack reads a whole sequence, and a linear head classifies it from the
 * last layer's final states (the forward direction's after the sequence's last valid step, the
 * reverse direction's after its first), e.g. sentiment from a review. Sequences of one batch may
 * differ in length. With {@code T = 1} it is also the one-to-one topology: a recurrent cell
 * classifying a single feature vector.
 *
 * <p><b>Threads.</b> One thread trains ({@link #trainStep}). {@link #logits} and {@link #predict} are
 * inference and keep nothing in the model: any number of threads may call them at once on one
 * shared model, while nothing trains it.
 */
public final class SequenceClassifier extends Module implements AutoCloseable {

    private final Embedding embedding;
    private final Recurrent rnn;
    private final Linear head;
    private FloatTensor lastInput;
    private int[] lastArgMax;
    private Dropout dropout = register("dropout", new Dropout(0, 0));
    private Pooling pooling = Pooling.LAST;

    /** What the head reads of the sequence. */
    public enum Pooling {
        /** The last layer's final states (forward after the last valid step, reverse after the first). */
        LAST,
        /**
         * The element-wise maximum of the last layer's outputs over the valid steps: each feature
         * fires wherever in the sequence its evidence sits, which suits sentences (Conneau et al., 2017).
         */
        MAX
    }

    /** A classifier of feature sequences {@code [T, N, inputSize]}. */
    public SequenceClassifier(CellKind cell, int inputSize, int hiddenSize, int layers, Direction direction,
                              int classes, long seed) {
        this(null, cell, inputSize, hiddenSize, layers, direction, classes, seed);
    }

    /** A classifier of token sequences ({@code [T][N]} ids below {@code vocabulary}), embedded first. */
    public SequenceClassifier(int vocabulary, int embeddingDim, CellKind cell, int hiddenSize, int layers,
                              Direction direction, int classes, long seed) {
        this(new Embedding(vocabulary, embeddingDim, seed + 2), cell, embeddingDim, hiddenSize, layers,
                direction, classes, seed);
    }

    private SequenceClassifier(Embedding embedding, CellKind cell, int inputSize, int hiddenSize, int layers,
                               Direction direction, int classes, long seed) {
        this.embedding = register("embedding", embedding);
        rnn = register("rnn", new Recurrent(cell, inputSize, hiddenSize, layers, direction, seed));
        head = register("head", new Linear(direction == Direction.BIDIRECTIONAL ? 2 * hiddenSize : hiddenSize, classes, seed + 1));
    }

    /**
     * Stores the recurrent weights in {@code precision} for inference (e.g. bf16 after training,
     * in {@code eval()} mode); training then needs {@code precision(Precision.FLOAT32)} again.
     * See {@link dev.jrnn.models.nn.Recurrent#precision(dev.jrnn.core.rnn.Precision)}.
     */
    public SequenceClassifier precision(dev.jrnn.core.rnn.Precision precision) {
        return precision(precision, null);
    }

    /**
     * {@link #precision(dev.jrnn.core.rnn.Precision)}, with the range of the features this model reads
     * ({@code Calibration.of(sample inputs)}), for a backend that stores its inputs in 8 bits too
     * (onednn's int8); {@code inputs} null: a model reading tokens takes its embedding table's range.
     */
    public SequenceClassifier precision(dev.jrnn.core.rnn.Precision precision, dev.jrnn.core.rnn.Calibration inputs) {
        rnn.precision(precision, inputs != null || embedding == null ? inputs : embedding.range());
        return this;
    }

    /** Runs the recurrent part on {@code name} ({@code auto} or a backend's name). */
    public SequenceClassifier backend(String name) {
        rnn.backend(name);
        return this;
    }

    public Recurrent recurrent() {
        return rnn;
    }

    private FloatTensor embed(int[][] tokens) {
        if (embedding == null) {
            throw new IllegalStateException("this classifier reads feature vectors, not tokens");
        }
        return embedding.forward(tokens);
    }

    /** Class scores {@code [N, classes]} of token sequences {@code [T][N]}. */
    public FloatTensor logits(int[][] tokens, int[] lengths) {
        return logits(embedForInference(tokens), lengths);
    }

    public int[] predict(int[][] tokens, int[] lengths) {
        return predict(embedForInference(tokens), lengths);
    }

    private FloatTensor embedForInference(int[][] tokens) {
        if (embedding == null) {
            throw new IllegalStateException("this classifier reads feature vectors, not tokens");
        }
        return embedding.infer(tokens);
    }

    /** {@link #trainStep(FloatTensor, int[], int[], Optimizer, double)} on token sequences, the embedding trained too. */
    public double trainStep(int[][] tokens, int[] lengths, int[] labels, Optimizer optimizer, double maxNorm) {
        return trainStep(embed(tokens), lengths, labels, optimizer, maxNorm);
    }

    /**
     * Class scores {@code [N, classes]} for {@code x [T, N, I]}; {@code lengths} may be null (all
     * {@code T}). Inference: no dropout whatever the model's mode, nothing kept, safe from many
     * threads at once while nothing trains.
     */
    public FloatTensor logits(FloatTensor x, int[] lengths) {
        return head.infer(features(rnn.infer(x, lengths, null, null), lengths, null));
    }

    /** The scores, with dropout where this model's modules are in training mode; keeps what backward needs. */
    private FloatTensor forward(FloatTensor x, int[] lengths) {
        lastInput = x;
        Recurrent.Output out = rnn.forward(x, lengths, null, null);
        lastArgMax = pooling == Pooling.MAX ? new int[x.dim(1) * out.y().dim(2)] : null;
        return head.forward(dropout.forward(features(out, lengths, lastArgMax))).copy(); // the head's buffer is reused by its next call
    }

    /** What the head reads, {@code [N, D*H]}: pooled per {@link #pooling}; max pooling writes where each maximum was to {@code argMax} (or not, if null). */
    private FloatTensor features(Recurrent.Output out, int[] lengths, int[] argMax) {
        if (pooling == Pooling.MAX) {
            return maxOverTime(out.y(), lengths, argMax);
        }
        RnnDescriptor a = rnn.architecture();
        int batch = out.hn().dim(1), hidden = a.hiddenSize(), dirs = a.directions(), top = (a.layers() - 1) * dirs;
        FloatTensor features = FloatTensor.zeros(batch, dirs * hidden);
        for (int d = 0; d < dirs; d++) {
            features.slice(1, d * hidden, (d + 1) * hidden).copyFrom(out.hn().select(0, top + d));
        }
        return features;
    }

    /** {@code [N, F]}: the maximum of {@code y [T, N, F]} over each sequence's valid steps. */
    private static FloatTensor maxOverTime(FloatTensor y, int[] lengths, int[] argMax) {
        int steps = y.dim(0), batch = y.dim(1), width = y.dim(2);
        float[] v = y.toArray(), max = new float[batch * width];
        for (int n = 0; n < batch; n++) {
            int valid = lengths == null ? steps : lengths[n];
            for (int j = 0; j < width; j++) {
                int best = 0;
                for (int t = 1; t < valid; t++) {
                    if (v[(t * batch + n) * width + j] > v[(best * batch + n) * width + j]) {
                        best = t;
                    }
                }
                if (argMax != null) {
                    argMax[n * width + j] = best;
                }
                max[n * width + j] = v[(best * batch + n) * width + j];
            }
        }
        return FloatTensor.of(max, batch, width);
    }

    /** Reads the sequence through {@code pooling} (default {@link Pooling#LAST}). */
    public SequenceClassifier pooling(Pooling pooling) {
        this.pooling = java.util.Objects.requireNonNull(pooling, "pooling");
        return this;
    }

    /** What the head reads of the sequence. */
    public Pooling pooling() {
        return pooling;
    }

    /**
     * Dropout with probability {@code p} on what the head reads, while training (predictions use
     * all of it): a regularizer for small data sets.
     */
    public SequenceClassifier dropout(double p, long seed) {
        dropout = replace("dropout", new Dropout(p, seed));
        dropout.train(isTraining());
        return this;
    }

    /** The most likely class of each sequence. */
    public int[] predict(FloatTensor x, int[] lengths) {
        float[] z = logits(x, lengths).toArray();
        int classes = head.outputSize();
        int[] out = new int[z.length / classes];
        for (int n = 0; n < out.length; n++) {
            for (int c = 1; c < classes; c++) {
                if (z[n * classes + c] > z[n * classes + out[n]]) {
                    out[n] = c;
                }
            }
        }
        return out;
    }

    /**
     * One training step: cross-entropy of the logits against {@code labels}, backpropagation
     * through time, gradients clipped to global norm {@code maxNorm}, one optimizer step. Returns the loss.
     * Dropout (the head's, and the recurrent stack's between layers) is active in training mode (the default).
     */
    public double trainStep(FloatTensor x, int[] lengths, int[] labels, Optimizer optimizer, double maxNorm) {
        optimizer.zeroGrad();
        FloatTensor z = forward(x, lengths);
        Losses.Loss loss = Losses.softmaxCrossEntropy(z, labels, -1);
        FloatTensor dFeatures = dropout.backward(head.backward(loss.gradient()));
        RnnDescriptor a = rnn.architecture();
        int batch = lastInput.dim(1), hidden = a.hiddenSize(), dirs = a.directions(), top = (a.layers() - 1) * dirs;
        FloatTensor dhn = null;
        FloatTensor dy = FloatTensor.zeros(lastInput.dim(0), batch, dirs * hidden);
        if (pooling == Pooling.MAX) {
            float[] df = dFeatures.toArray(), d = new float[(int) dy.size()];
            int width = dirs * hidden;
            for (int i = 0; i < df.length; i++) {
                d[(lastArgMax[i] * batch + i / width) * width + i % width] = df[i];
            }
            dy = FloatTensor.of(d, dy.shape().dims());
        } else {
            dhn = FloatTensor.zeros(a.withBatch(batch).iterShape());
            for (int dir = 0; dir < dirs; dir++) {
                dhn.select(0, top + dir).copyFrom(dFeatures.slice(1, dir * hidden, (dir + 1) * hidden));
            }
        }
        FloatTensor dx = rnn.backward(dy, dhn, null, null, null);
        if (embedding != null) {
            embedding.backward(dx);
        }
        Optimizer.clipGradNorm(parameters(), maxNorm);
        optimizer.step();
        return loss.value();
    }

    int vocabularyOrZero() {
        return embedding == null ? 0 : embedding.vocabulary();
    }

    int embeddingDimOrZero() {
        return embedding == null ? 0 : embedding.dim();
    }

    int classes() {
        return head.outputSize();
    }

    @Override
    public void close() {
        rnn.close();
    }
}
