package dev.jrnn.models;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Parameter;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import java.util.List;

/**
 * Many-to-many, aligned: one label per step (part-of-speech tagging, per-sample anomaly flags). A
 * recurrent stack (bidirectional sees the whole sequence) and a linear head applied at every step.
 * Steps past a sequence's length are neither predicted nor counted in the loss.
 */
public final class SequenceTagger implements Module, AutoCloseable {

    /** Label of a step that does not count (padding). */
    public static final int IGNORE = -1;

    private final Recurrent rnn;
    private final Linear head;
    private final int classes;

    public SequenceTagger(CellKind cell, int inputSize, int hiddenSize, int layers, Direction direction,
                          int classes, long seed) {
        this.classes = classes;
        rnn = new Recurrent(cell, inputSize, hiddenSize, layers, direction, seed);
        head = new Linear("head.", direction == Direction.BIDIRECTIONAL ? 2 * hiddenSize : hiddenSize, classes, seed + 1);
    }

    public SequenceTagger backend(String name) {
        rnn.backend(name);
        return this;
    }

    @Override
    public List<Parameter> parameters() {
        return Module.all(rnn, head);
    }

    /** Scores {@code [T, N, classes]} for {@code x [T, N, I]}. */
    public FloatTensor logits(FloatTensor x, int[] lengths) {
        return head.forward(rnn.forward(x, lengths, null, null).y());
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
        optimizer.zeroGrad();
        int steps = x.dim(0), batch = x.dim(1);
        int[] flat = new int[steps * batch];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                flat[t * batch + n] = lengths != null && t >= lengths[n] ? IGNORE : labels[t][n];
            }
        }
        FloatTensor z = logits(x, lengths);
        Losses.Loss loss = Losses.softmaxCrossEntropy(z.reshape(steps * batch, classes), flat, IGNORE);
        FloatTensor dy = head.backward(loss.gradient().reshape(steps, batch, classes));
        rnn.backward(dy, null, null, null, null);
        Optimizer.clipGradNorm(parameters(), maxNorm);
        optimizer.step();
        return loss.value();
    }

    @Override
    public void close() {
        rnn.close();
    }
}
