package dev.jrnn.models;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;

/**
 * Many-to-one regression: a left-to-right recurrent stack reads equal-length sequences
 * {@code [T, N, I]} and a linear head maps the top layer's final state to {@code outputs} real
 * values per sequence, trained by mean squared error. A forecaster reading a window of the past
 * and writing the next {@code H} values at once (direct multi-step) is one.
 *
 * <p><b>Threads.</b> One thread trains ({@link #trainStep}). {@link #predict} is inference and keeps
 * nothing in the model: any number of threads may call it at once on one shared model, while
 * nothing trains it.
 */
public final class SequenceRegressor extends Module implements AutoCloseable {

    private final Recurrent rnn;
    private final Linear head;

    public SequenceRegressor(CellKind cell, int inputSize, int hiddenSize, int layers, int outputs, long seed) {
        rnn = register("rnn", new Recurrent(cell, inputSize, hiddenSize, layers, Direction.UNIDIRECTIONAL, seed));
        head = register("head", new Linear(hiddenSize, outputs, seed + 1));
    }

    /**
     * Stores the recurrent weights in {@code precision} for inference (e.g. bf16 after training,
     * in {@code eval()} mode); training then needs {@code precision(Precision.FLOAT32)} again.
     * See {@link dev.jrnn.models.nn.Recurrent#precision(dev.jrnn.core.rnn.Precision)}.
     */
    public SequenceRegressor precision(dev.jrnn.core.rnn.Precision precision) {
        return precision(precision, null);
    }

    /**
     * {@link #precision(dev.jrnn.core.rnn.Precision)}, with the range of the features this model reads
     * ({@code Calibration.of(sample inputs)}), for a backend that stores its inputs in 8 bits too
     * (onednn's int8); {@code inputs} null: a model reading tokens takes its embedding table's range.
     */
    public SequenceRegressor precision(dev.jrnn.core.rnn.Precision precision, dev.jrnn.core.rnn.Calibration inputs) {
        rnn.precision(precision, inputs);
        return this;
    }

    public SequenceRegressor backend(String name) {
        rnn.backend(name);
        return this;
    }

    public String backendName() {
        return rnn.backendName();
    }

    /**
     * Predictions {@code [N, outputs]} for {@code x [T, N, I]}. Inference: nothing kept, safe from
     * many threads at once while nothing trains.
     */
    public FloatTensor predict(FloatTensor x) {
        Recurrent.Output out = rnn.infer(x, null, null, null);
        return head.infer(out.hn().select(0, rnn.architecture().layers() - 1));
    }

    /** The predictions, keeping what backward needs. */
    private FloatTensor forward(FloatTensor x) {
        Recurrent.Output out = rnn.forward(x, null, null);
        return head.forward(out.hn().select(0, rnn.architecture().layers() - 1)).copy(); // the head's buffer is reused by its next call
    }

    /**
     * One training step: mean squared error of the predictions against {@code targets [N, outputs]},
     * backpropagation through time, gradients clipped to global norm {@code maxNorm}, one optimizer
     * step. Returns the loss.
     */
    public double trainStep(FloatTensor x, FloatTensor targets, Optimizer optimizer, double maxNorm) {
        optimizer.zeroGrad();
        Losses.Loss loss = Losses.meanSquaredError(forward(x), targets);
        FloatTensor dTop = head.backward(loss.gradient());
        RnnDescriptor a = rnn.architecture().withBatch(x.dim(1));
        FloatTensor dhn = FloatTensor.zeros(a.iterShape()); // only the top layer's final state reaches the head
        dhn.select(0, a.layers() - 1).copyFrom(dTop);
        rnn.backward(FloatTensor.zeros(x.dim(0), x.dim(1), a.hiddenSize()), dhn, null, null, null);
        Optimizer.clipGradNorm(parameters(), maxNorm);
        optimizer.step();
        return loss.value();
    }

    Recurrent recurrent() {
        return rnn;
    }

    int outputs() {
        return head.outputSize();
    }

    @Override
    public void close() {
        rnn.close();
    }
}
