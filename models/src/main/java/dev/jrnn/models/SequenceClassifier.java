package dev.jrnn.models;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Dropout;
import dev.jrnn.models.nn.Embedding;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Parameter;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import java.util.List;

/**
 * Many-to-one: a recurrent stack reads a whole sequence, and a linear head classifies it from the
 * last layer's final states (the forward direction's after the sequence's last valid step, the
 * reverse direction's after its first), e.g. sentiment from a review. Sequences of one batch may
 * differ in length. With {@code T = 1} it is also the one-to-one topology: a recurrent cell
 * classifying a single feature vector.
 */
public final class SequenceClassifier implements Module, AutoCloseable {

    private final Embedding embedding;
    private final Recurrent rnn;
    private final Linear head;
    private FloatTensor lastInput;
    private Dropout dropout = new Dropout(0, 0);
    private boolean training;

    /** A classifier of feature sequences {@code [T, N, inputSize]}. */
    public SequenceClassifier(CellKind cell, int inputSize, int hiddenSize, int layers, Direction direction,
                              int classes, long seed) {
        this(null, cell, inputSize, hiddenSize, layers, direction, classes, seed);
    }

    /** A classifier of token sequences ({@code [T][N]} ids below {@code vocabulary}), embedded first. */
    public SequenceClassifier(int vocabulary, int embeddingDim, CellKind cell, int hiddenSize, int layers,
                              Direction direction, int classes, long seed) {
        this(new Embedding("embedding.", vocabulary, embeddingDim, seed + 2), cell, embeddingDim, hiddenSize, layers,
                direction, classes, seed);
    }

    private SequenceClassifier(Embedding embedding, CellKind cell, int inputSize, int hiddenSize, int layers,
                               Direction direction, int classes, long seed) {
        this.embedding = embedding;
        rnn = new Recurrent(cell, inputSize, hiddenSize, layers, direction, seed);
        head = new Linear("head.", direction == Direction.BIDIRECTIONAL ? 2 * hiddenSize : hiddenSize, classes, seed + 1);
    }

    /** Runs the recurrent part on {@code name} ({@code auto} or a backend's name). */
    public SequenceClassifier backend(String name) {
        rnn.backend(name);
        return this;
    }

    public Recurrent recurrent() {
        return rnn;
    }

    @Override
    public List<Parameter> parameters() {
        return embedding == null ? Module.all(rnn, head) : Module.all(embedding, rnn, head);
    }

    private FloatTensor embed(int[][] tokens) {
        if (embedding == null) {
            throw new IllegalStateException("this classifier reads feature vectors, not tokens");
        }
        return embedding.forward(tokens);
    }

    /** Class scores {@code [N, classes]} of token sequences {@code [T][N]}. */
    public FloatTensor logits(int[][] tokens, int[] lengths) {
        return logits(embed(tokens), lengths);
    }

    public int[] predict(int[][] tokens, int[] lengths) {
        return predict(embed(tokens), lengths);
    }

    /** {@link #trainStep(FloatTensor, int[], int[], Optimizer, double)} on token sequences, the embedding trained too. */
    public double trainStep(int[][] tokens, int[] lengths, int[] labels, Optimizer optimizer, double maxNorm) {
        return trainStep(embed(tokens), lengths, labels, optimizer, maxNorm);
    }

    /** Class scores {@code [N, classes]} for {@code x [T, N, I]}; {@code lengths} may be null (all {@code T}). */
    public FloatTensor logits(FloatTensor x, int[] lengths) {
        lastInput = x;
        Recurrent.Output out = rnn.forward(x, lengths, null, null);
        RnnDescriptor a = rnn.architecture();
        int batch = x.dim(1), hidden = a.hiddenSize(), dirs = a.directions(), top = (a.layers() - 1) * dirs;
        FloatTensor features = FloatTensor.zeros(batch, dirs * hidden);
        for (int d = 0; d < dirs; d++) {
            features.slice(1, d * hidden, (d + 1) * hidden).copyFrom(out.hn().select(0, top + d));
        }
        return head.forward(dropout.forward(features, training));
    }

    /**
     * Dropout with probability {@code p} on what the head reads, while training (predictions use
     * all of it): a regularizer for small data sets.
     */
    public SequenceClassifier dropout(double p, long seed) {
        dropout = new Dropout(p, seed);
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
     */
    public double trainStep(FloatTensor x, int[] lengths, int[] labels, Optimizer optimizer, double maxNorm) {
        optimizer.zeroGrad();
        training = true;
        FloatTensor z;
        try {
            z = logits(x, lengths);
        } finally {
            training = false;
        }
        Losses.Loss loss = Losses.softmaxCrossEntropy(z, labels, -1);
        FloatTensor dFeatures = dropout.backward(head.backward(loss.gradient()));
        RnnDescriptor a = rnn.architecture();
        int batch = lastInput.dim(1), hidden = a.hiddenSize(), dirs = a.directions(), top = (a.layers() - 1) * dirs;
        FloatTensor dhn = FloatTensor.zeros(a.withBatch(batch).iterShape());
        FloatTensor dy = FloatTensor.zeros(lastInput.dim(0), batch, dirs * hidden);
        for (int d = 0; d < dirs; d++) {
            dhn.select(0, top + d).copyFrom(dFeatures.slice(1, d * hidden, (d + 1) * hidden));
        }
        FloatTensor dx = rnn.backward(dy, dhn, null, null, null);
        if (embedding != null) {
            embedding.backward(dx);
        }
        Optimizer.clipGradNorm(parameters(), maxNorm);
        optimizer.step();
        return loss.value();
    }

    @Override
    public void close() {
        rnn.close();
    }
}
