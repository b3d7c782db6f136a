package dev.jrnn.core.rnn;

import dev.jrnn.core.tensor.Shape;
import java.util.Objects;

/**
 * What a recurrent stack is, independent of any problem size: the cell, {@code L} layers,
 * {@code D} directions, {@code inputSize} (SLC) input channels and {@code hiddenSize} (DHC)
 * channels of state. Layer {@code k > 0} reads the {@code D * H} outputs of layer {@code k - 1}.
 * This is what weights have and what a backend plans for; {@code T}, {@code N} and the
 * per-sequence lengths come with each call ({@link RnnForward}).
 */
public record RnnArchitecture(CellKind cell, int layers, Direction direction, int inputSize, int hiddenSize) {

    public RnnArchitecture {
        Objects.requireNonNull(cell, "cell");
        Objects.requireNonNull(direction, "direction");
        RnnDescriptor.positive("layers", layers);
        RnnDescriptor.positive("inputSize", inputSize);
        RnnDescriptor.positive("hiddenSize", hiddenSize);
        // every weight matrix must fit the int-indexed buffers backends pack it into
        long rows = (long) cell.gates() * hiddenSize, widest = Math.max(inputSize, (long) direction.count() * hiddenSize);
        if (rows * widest > RnnChecks.MAX_ELEMENTS) {
            throw new IllegalArgumentException("inputSize " + inputSize + " and hiddenSize " + hiddenSize + " make a "
                    + rows + " x " + widest + " weight matrix, past the " + RnnChecks.MAX_ELEMENTS + " elements a "
                    + "backend packs");
        }
    }

    /** D. */
    public int directions() {
        return direction.count();
    }

    /** G. */
    public int gates() {
        return cell.gates();
    }

    /** Channels of the output sequence: {@code D * H}. */
    public int outputSize() {
        return directions() * hiddenSize;
    }

    /** Channels read by layer {@code layer}: the input size for layer 0, {@code D * H} above. */
    public int layerInputSize(int layer) {
        return layer == 0 ? inputSize : outputSize();
    }

    /** {@code srcLayer}: {@code [T, N, I]}. */
    public Shape srcLayerShape(int steps, int batch) {
        return Shape.of(steps, batch, inputSize);
    }

    /** {@code dstLayer}: {@code [T, N, D*H]}. */
    public Shape dstLayerShape(int steps, int batch) {
        return Shape.of(steps, batch, outputSize());
    }

    /** States {@code [L*D, N, H]}, PyTorch's {@code h_0} layout. */
    public Shape iterShape(int batch) {
        return Shape.of(layers * directions(), batch, hiddenSize);
    }

    /** This architecture on a problem of {@code steps} by {@code batch}. */
    public RnnDescriptor withProblem(int steps, int batch) {
        return new RnnDescriptor(cell, layers, direction, steps, batch, inputSize, hiddenSize);
    }

    @Override
    public String toString() {
        return cell + "[L=" + layers + " D=" + directions() + " I=" + inputSize + " H=" + hiddenSize + "]";
    }
}
