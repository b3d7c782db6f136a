package dev.jrnn.models.stream;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;

/**
 * One stream's state in a {@link StreamingRnn}: hidden (and LSTM cell) states of every layer, and
 * the memory a step needs. Owned by one caller at a time. States are double-buffered (a step reads
 * one pair and writes the other) and every call's arguments are built here once, so a step
 * allocates nothing. {@link #reset}, {@link #copyFrom} and {@link #hidden} let a service rewind,
 * fork and save a stream.
 */
public final class StreamState implements AutoCloseable {

    private final StreamingRnn model;
    private final Workspace workspace;
    private final FloatTensor input, output;
    private final FloatTensor[] h = new FloatTensor[2], c = new FloatTensor[2];
    private final RnnForward[] calls = new RnnForward[2];
    /** Which of the two state buffers holds the current state. */
    private int current;

    StreamState(StreamingRnn model, Workspace workspace, RnnDescriptor d) {
        this.model = model;
        this.workspace = workspace;
        this.input = FloatTensor.zeros(d.srcLayerShape());
        this.output = FloatTensor.zeros(d.dstLayerShape());
        boolean lstm = d.cell() == CellKind.LSTM;
        for (int i = 0; i < 2; i++) {
            h[i] = FloatTensor.zeros(d.iterShape());
            c[i] = lstm ? FloatTensor.zeros(d.iterShape()) : null;
        }
        for (int i = 0; i < 2; i++) { // call i reads buffer i and writes the other
            calls[i] = RnnForward.of(input, output).withInitialState(h[i], c[i]).withFinalState(h[1 - i], c[1 - i]);
        }
    }

    StreamingRnn model() {
        return model;
    }

    Workspace workspace() {
        return workspace;
    }

    FloatTensor input() {
        return input;
    }

    FloatTensor output() {
        return output;
    }

    RnnForward nextCall() {
        return calls[current];
    }

    void advance() {
        current = 1 - current;
    }

    /** The hidden states {@code [L, 1, H]} now (a live view: copy it to keep it). */
    public FloatTensor hidden() {
        return h[current];
    }

    /** The LSTM cell states {@code [L, 1, H]} now, or null for other cells (a live view). */
    public FloatTensor cell() {
        return c[current];
    }

    /** Back to zero states, as a new stream. */
    public void reset() {
        h[current].fill(0f);
        if (c[current] != null) {
            c[current].fill(0f);
        }
    }

    /** Makes this stream continue from where {@code other} (of the same model) is. */
    public void copyFrom(StreamState other) {
        if (other.model != model) {
            throw new IllegalArgumentException("the state belongs to another model");
        }
        h[current].copyFrom(other.h[other.current]);
        if (c[current] != null) {
            c[current].copyFrom(other.c[other.current]);
        }
    }

    /** Sets the states, e.g. saved earlier from {@link #hidden()} and {@link #cell()}. */
    public void set(FloatTensor hidden, FloatTensor cell) {
        h[current].copyFrom(hidden);
        if (c[current] != null) {
            if (cell == null) {
                throw new IllegalArgumentException("an LSTM stream needs its cell state too");
            }
            c[current].copyFrom(cell);
        }
    }

    @Override
    public void close() {
        workspace.close();
    }
}
