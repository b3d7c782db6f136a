package dev.jrnn.models.stream;

import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.BackendSelector;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.runtime.RacingRnn;
import dev.jrnn.core.runtime.Use;
import dev.jrnn.core.spi.PreparedRnn;
import java.util.Objects;

/**
 * A recurrent stack for services that see one time step at a time: an immutable, thread-safe
 * model, and a {@link StreamState} per stream (a sensor, a user, a connection) that the caller
 * owns. {@link #step} advances one stream by one step and allocates nothing; any number of threads
 * may step their own states through one model at once.
 *
 * <pre>{@code
 * try (StreamingRnn model = StreamingRnn.prepare(architecture, weights);
 *      StreamState state = model.newState()) {
 *     for (float[] x : samples) {
 *         model.step(x, state, y);        // y: the last layer's h for this step
 *     }
 * }
 * }</pre>
 *
 * Only unidirectional stacks stream: a reverse direction needs the future.
 */
public final class StreamingRnn implements AutoCloseable {

    private final RnnDescriptor descriptor;
    private final PreparedRnn prepared;

    private StreamingRnn(RnnDescriptor descriptor, PreparedRnn prepared) {
        this.descriptor = descriptor;
        this.prepared = prepared;
    }

    /** Plans the stack for single steps on {@code -Djrnn.backend}, else the fastest backend here for single steps (see {@link BackendSelector}). */
    public static StreamingRnn prepare(RnnDescriptor architecture, RnnWeights weights) {
        return prepare(architecture, weights, System.getProperty(BackendSelector.BACKEND_PROPERTY, BackendSelector.AUTO));
    }

    /** Plans the stack for single steps on {@code backend} ({@code auto} or a backend's name). */
    public static StreamingRnn prepare(RnnDescriptor architecture, RnnWeights weights, String backend) {
        return prepare(architecture, weights, backend, Precision.FLOAT32);
    }

    /** {@link #prepare(RnnDescriptor, RnnWeights, String)} with the weights stored in {@code precision} (a backend that runs it). */
    public static StreamingRnn prepare(RnnDescriptor architecture, RnnWeights weights, String backend,
                                       Precision precision) {
        Objects.requireNonNull(architecture, "architecture");
        if (architecture.direction() != Direction.UNIDIRECTIONAL) {
            throw new IllegalArgumentException("a bidirectional stack cannot stream: its reverse direction reads the "
                    + "sequence from the end; use forward() on whole sequences");
        }
        RnnDescriptor step = architecture.withSteps(1).withBatch(1);
        return new StreamingRnn(step, Backends.selector().prepare(backend, step, weights, Use.STREAMING, precision));
    }

    /** The single-step descriptor ({@code T = N = 1}). */
    public RnnDescriptor descriptor() {
        return descriptor;
    }

    public String backendName() {
        return RacingRnn.runningOn(prepared);
    }

    /** A fresh stream, its states zero. */
    public StreamState newState() {
        return new StreamState(this, prepared.newWorkspace(), descriptor);
    }

    /**
     * A stream that continues from {@code bytes}, a state of a stack of this shape written by
     * {@link StreamState#toBytes}; bytes that are not one are an {@link IllegalArgumentException}
     * saying why (see {@link StreamState#readFrom(byte[], int, int)}).
     */
    public StreamState restore(byte[] bytes) {
        StreamState state = newState();
        try {
            state.readFrom(bytes);
            return state;
        } catch (RuntimeException e) {
            state.close();
            throw e;
        }
    }

    /**
     * Advances {@code state} by one step with input {@code x} ({@code inputSize} values) and
     * writes the last layer's hidden state to {@code y} ({@code hiddenSize} values). Allocates nothing.
     */
    public void step(float[] x, StreamState state, float[] y) {
        if (x.length != descriptor.inputSize() || y.length != descriptor.hiddenSize()) {
            throw new IllegalArgumentException("step takes " + descriptor.inputSize() + " inputs and writes "
                    + descriptor.hiddenSize() + " outputs, got arrays of " + x.length + " and " + y.length);
        }
        if (state.model() != this) {
            throw new IllegalArgumentException("the state belongs to another model");
        }
        state.input().copyFrom(x, 0);
        prepared.forward(Mode.INFERENCE, state.nextCall(), state.workspace());
        state.advance();
        state.output().copyTo(y, 0);
    }

    @Override
    public void close() {
        prepared.close();
    }
}
