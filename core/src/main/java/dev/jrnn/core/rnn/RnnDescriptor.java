package dev.jrnn.core.rnn;

import dev.jrnn.core.tensor.Shape;
import java.util.Objects;

/**
 * An {@link RnnArchitecture} on one problem size, {@code T} steps by {@code N} sequences: what auto
 * selection times and benchmarks describe. Backends plan for the architecture alone
 * ({@link #architecture()}); a plan serves every {@code T} and {@code N}.
 */
public record RnnDescriptor(
        CellKind cell, int layers, Direction direction, int steps, int batch, int inputSize, int hiddenSize) {

    public RnnDescriptor {
        Objects.requireNonNull(cell, "cell");
        Objects.requireNonNull(direction, "direction");
        positive("layers", layers);
        positive("steps (T)", steps);
        positive("batch (N)", batch);
        positive("inputSize", inputSize);
        positive("hiddenSize", hiddenSize);
    }

    /** The architecture without the problem size: what weights have and backends plan for. */
    public RnnArchitecture architecture() {
        return new RnnArchitecture(cell, layers, direction, inputSize, hiddenSize);
    }

    static void positive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be >= 1, got " + value);
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
        return architecture().outputSize();
    }

    /** Channels read by layer {@code layer}: the input size for layer 0, {@code D * H} above. */
    public int layerInputSize(int layer) {
        return architecture().layerInputSize(layer);
    }

    /** {@code srcLayer}: {@code [T, N, I]}. */
    public Shape srcLayerShape() {
        return architecture().srcLayerShape(steps, batch);
    }

    /** {@code dstLayer}: {@code [T, N, D*H]}. */
    public Shape dstLayerShape() {
        return architecture().dstLayerShape(steps, batch);
    }

    /** Initial and final states, {@code h} and (LSTM) {@code c}: {@code [L*D, N, H]}, PyTorch's {@code h_0} layout. */
    public Shape iterShape() {
        return architecture().iterShape(batch);
    }

    public RnnDescriptor withSteps(int newSteps) {
        return new RnnDescriptor(cell, layers, direction, newSteps, batch, inputSize, hiddenSize);
    }

    public RnnDescriptor withBatch(int newBatch) {
        return new RnnDescriptor(cell, layers, direction, steps, newBatch, inputSize, hiddenSize);
    }

    /** True when the same weights fit both: everything but {@code T} and {@code N} is equal. */
    public boolean sameArchitecture(RnnDescriptor other) {
        return architecture().equals(other.architecture());
    }

    @Override
    public String toString() {
        return cell + "[L=" + layers + " D=" + directions() + " T=" + steps + " N=" + batch
                + " I=" + inputSize + " H=" + hiddenSize + "]";
    }
}
