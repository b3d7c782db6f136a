package dev.jrnn.models;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Embedding;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;

/**
 * Many-to-many, aligned: one label per step (part-of-speech tagging, per-sample anomaly flags). A
 * recurrent stack (bidirectional sees the whole sequence) and a linear head applied at every step.
 * Steps past a sequence's length are neither predicted nor counted in the loss. It reads feature
 * vectors {@code [T, N, I]}, or token ids {@code [T][N]} through an embedding trained with it.
 *
 * <p><b>Threads.</b> One thread trains ({@link #trainStep}). {@link #logits} and {@link #predict} are
 * inference and keep nothing in the model: any number of threads may call them at once on one
 * shared model, while nothing trains it.
 */
public final class SequenceTagger extends Module implements AutoCloseable {

    /** Label of a step that does not count (padding). */
    public static final int IGNORE = -1;

    private final Embedding embedding;
    private final Recurrent rnn;
    private final Linear head;
    private final int classes;

    /** A tagger of feature sequences {@code [T, N, inputSize]}. */
    public SequenceTagger(CellKind cell, int inputSize, int hiddenSize, int layers, Direction direction,
                          int classes, long seed) {
        this(null, cell, inputSize, hiddenSize, layers, direction, classes, seed);
    }

    /** A tagger of token sequences ({@code [T][N]} ids below {@code vocabulary}), embedded first. */
    public SequenceTagger(int vocabulary, int embeddingDim, CellKind cell, int hiddenSize, int layers,
                          Direction direction, int classes, long seed) {
        this(new Embedding(vocabulary, embeddingDim, seed + 2), cell, embeddingDim, hiddenSize, layers,
                direction, classes, seed);
    }

    private SequenceTagger(Embedding embedding, CellKind cell, int inputSize, int hiddenSize, int layers,
                           Direction direction, int classes, long seed) {
        this.embedding = register("embedding", embedding);
        this.classes = classes;
        rnn = register("rnn", new Recurrent(cell, inputSize, hiddenSize, layers, direction, seed));
        head = register("head", new Linear(direction == Direction.BIDIRECTIONAL ? 2 * hiddenSize : hiddenSize, classes, seed + 1));
    }

    /**
     * Stores the recurrent weights in {@code precision} for inference (e.g. bf16 after training,
     * in {@code eval()} mode); training then needs {@code precision(Precision.FLOAT32)} again.
     * See {@link dev.jrnn.models.nn.Recurrent#precision(dev.jrnn.core.rnn.Precision)}.
     */
    public SequenceTagger precision(dev.jrnn.core.rnn.Precision precision) {
        return precision(precision, null);
    }

    /**
     * {@link #precision(dev.jrnn.core.rnn.Precision)}, with the range of the features this model reads
     * ({@code Calibration.of(sample inputs)}), for a backend that stores its inputs in 8 bits too
     * (onednn's int8); {@code inputs} null: a model reading tokens takes its embedding table's range.
     */
    public SequenceTagger precision(dev.jrnn.core.rnn.Precision precision, dev.jrnn.core.rnn.Calibration inputs) {
        rnn.precision(precision, inputs != null || embedding == null ? inputs : embedding.range());
        return this;
    }

    public SequenceTagger backend(String name) {
        rnn.backend(name);
        return this;
    }

    /** The embedding of a token tagger (its {@code weight} is parameter 0), or null for a feature tagger. */
    public Embedding embedding() {
        return embedding;
    }

    public String backendName() {
        return rnn.backendName();
    }

    private FloatTensor embed(int[][] tokens) {
        if (embedding == null) {
            throw new IllegalStateException("this tagger reads feature vectors, not tokens");
        }
        return embedding.forward(tokens);
    }

    /** {@link #predict(FloatTensor, int[])} of token sequences {@code [T][N]}. */
    public int[][] predict(int[][] tokens, int[] lengths) {
        if (embedding == null) {
            throw new IllegalStateException("this tagger reads feature vectors, not tokens");
        }
        return predict(embedding.infer(tokens), lengths);
    }

    /** {@link #trainStep(FloatTensor, int[], int[][], Optimizer, double)} on token sequences, the embedding trained too. */
    public double trainStep(int[][] tokens, int[] lengths, int[][] labels, Optimizer optimizer, double maxNorm) {
        return trainStep(embed(tokens), lengths, labels, optimizer, maxNorm, true);
    }

    /**
     * Scores {@code [T, N, classes]} for {@code x [T, N, I]}. Inference: nothing kept, safe from
     * many threads at once while nothing trains.
     */
    public FloatTensor logits(FloatTensor x, int[] lengths) {
        return head.infer(rnn.infer(x, lengths, null, null).y());
    }

    /** The most likely label of every step, {@code [T][N]}; {@link #IGNORE} past each sequence's end. */
    public int[][] predict(FloatTensor x, int[] lengths) {
        float[] z = logits(x, lengths).toArray();
        int steps = x.dim(0), batch = x.dim(1);
        int[][] out = new int[steps][batch];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                if (lengths != null && t >= lengths[n]) {
                    out[t][n] = IGNORE;
                    continue;
                }
                int base = (t * batch + n) * classes;
                for (int c = 1; c < classes; c++) {
                    if (z[base + c] > z[base + out[t][n]]) {
                        out[t][n] = c;
                    }
                }
            }
        }
        return out;
    }

    /** One step of training on labels {@code [T][N]} ({@link #IGNORE} for padding); returns the mean loss per counted step. */
    public double trainStep(FloatTensor x, int[] lengths, int[][] labels, Optimizer optimizer, double maxNorm) {
        return trainStep(x, lengths, labels, optimizer, maxNorm, false);
    }

    private double trainStep(FloatTensor x, int[] lengths, int[][] labels, Optimizer optimizer, double maxNorm,
                             boolean embedded) {
        optimizer.zeroGrad();
        int steps = x.dim(0), batch = x.dim(1);
        int[] flat = new int[steps * batch];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                flat[t * batch + n] = lengths != null && t >= lengths[n] ? IGNORE : labels[t][n];
            }
        }
        FloatTensor z = head.forward(rnn.forward(x, lengths, null, null).y());
        Losses.Loss loss = Losses.softmaxCrossEntropy(z.reshape(steps * batch, classes), flat, IGNORE);
        FloatTensor dy = head.backward(loss.gradient().reshape(steps, batch, classes));
        FloatTensor dx = rnn.backward(dy, null, null, null, null);
        if (embedded) { // x came from the embedding: its rows learn too
            embedding.backward(dx);
        }
        Optimizer.clipGradNorm(parameters(), maxNorm);
        optimizer.step();
        return loss.value();
    }

    Recurrent recurrent() {
        return rnn;
    }

    int vocabularyOrZero() {
        return embedding == null ? 0 : embedding.vocabulary();
    }

    int embeddingDimOrZero() {
        return embedding == null ? 0 : embedding.dim();
    }

    int classes() {
        return classes;
    }

    @Override
    public void close() {
        rnn.close();
    }
}
