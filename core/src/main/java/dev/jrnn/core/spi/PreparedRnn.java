package dev.jrnn.core.spi;

import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnChecks;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.Objects;

/**
 * A recurrent stack planned by a backend for one {@link RnnDescriptor}: weights in the backend's
 * layout, ready to run. Immutable and safe to share between threads; each thread brings its own
 * {@link Workspace}. {@code forward} and {@code backward} check every argument here, before any
 * backend code runs, then allocate nothing.
 */
public abstract class PreparedRnn implements AutoCloseable {

    private final String backendName;
    private final RnnDescriptor descriptor;
    private volatile boolean closed;
    /** The backend whose training self-test this plan must pass before its first training forward, or null once passed. */
    private volatile Backend trainingUnverified;

    protected PreparedRnn(String backendName, RnnDescriptor descriptor) {
        this.backendName = Objects.requireNonNull(backendName, "backendName");
        this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
    }

    public final RnnDescriptor descriptor() {
        return descriptor;
    }

    public final String backendName() {
        return backendName;
    }

    /** A workspace for one thread's calls to this stack. */
    public final Workspace newWorkspace() {
        checkOpen();
        return createWorkspace();
    }

    /**
     * Runs the stack over {@code io.srcLayer()}. In {@link Mode#TRAINING} the workspace keeps what
     * {@link #backward} needs.
     */
    public final void forward(Mode mode, RnnForward io, Workspace workspace) {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(io, "io");
        checkOpen();
        checkWorkspace(workspace);
        RnnChecks.forward(descriptor, io);
        if (mode == Mode.TRAINING && trainingUnverified != null) {
            SelfTest.require(trainingUnverified, descriptor, Mode.TRAINING); // once per kind and process
            trainingUnverified = null;
        }
        workspace.holdsTrainingForward(false);
        forwardChecked(mode, io, workspace);
        workspace.holdsTrainingForward(mode == Mode.TRAINING);
    }

    /**
     * Backpropagation through time for the last training-mode forward on {@code workspace}:
     * overwrites the {@code diffSrc*} tensors, accumulates into {@code diffWeights}.
     */
    public final void backward(RnnBackward gradients, Workspace workspace) {
        Objects.requireNonNull(gradients, "gradients");
        checkOpen();
        checkWorkspace(workspace);
        if (!workspace.holdsTrainingForward()) {
            throw new IllegalStateException(
                    "backward needs a forward in TRAINING mode on the same workspace first");
        }
        RnnChecks.backward(descriptor, gradients);
        backwardChecked(gradients, workspace);
    }

    /** The outputs of {@link #forward(FloatTensor, FloatTensor, FloatTensor)}. */
    public record Result(FloatTensor output, FloatTensor hn, FloatTensor cn) {
    }

    /**
     * Convenience inference call that allocates its outputs and a workspace: output
     * {@code [T, N, D*H]}, {@code h_n} and (LSTM) {@code c_n} {@code [L*D, N, H]}. {@code h0} and
     * {@code c0} may be null (zeros). Services should use {@link #forward(Mode, RnnForward, Workspace)}.
     */
    public Result forward(FloatTensor srcLayer, FloatTensor h0, FloatTensor c0) {
        FloatTensor output = FloatTensor.zeros(descriptor.dstLayerShape());
        FloatTensor hn = FloatTensor.zeros(descriptor.iterShape());
        FloatTensor cn = descriptor.cell().hasCellState() ? FloatTensor.zeros(descriptor.iterShape()) : null;
        try (Workspace workspace = newWorkspace()) {
            forward(Mode.INFERENCE, new RnnForward(srcLayer, h0, c0, output, hn, cn), workspace);
        }
        return new Result(output, hn, cn);
    }

    /** Called by {@link Backend#prepare}: training forwards wait for {@code backend}'s training self-test. */
    final void trainingVerifiedBy(Backend backend) {
        trainingUnverified = backend;
    }

    public final boolean isClosed() {
        return closed;
    }

    /** Releases the backend's memory; idempotent. Calls after close throw {@link IllegalStateException}. */
    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    protected abstract Workspace createWorkspace();

    /** {@link #forward(Mode, RnnForward, Workspace)} after the checks. */
    protected abstract void forwardChecked(Mode mode, RnnForward io, Workspace workspace);

    /** {@link #backward} after the checks. */
    protected abstract void backwardChecked(RnnBackward gradients, Workspace workspace);

    /** Frees backend memory; called once. */
    protected void release() {
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this " + backendName + " " + descriptor + " was closed");
        }
    }

    private void checkWorkspace(Workspace workspace) {
        Objects.requireNonNull(workspace, "workspace");
        if (workspace.owner() != this) {
            throw new IllegalArgumentException("the workspace belongs to another prepared stack ("
                    + workspace.owner().backendName() + " " + workspace.owner().descriptor() + ")");
        }
        if (workspace.isClosed()) {
            throw new IllegalStateException("the workspace was closed");
        }
    }

    @Override
    public String toString() {
        return backendName + " " + descriptor;
    }
}
