package dev.jrnn.core.spi;

import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnChecks;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.Objects;

/**
 * A recurrent stack planned by a backend for one {@link RnnArchitecture}: weights in the backend's
 * layout, ready to run on any {@code T}, any {@code N} and any mix of sequence lengths (each call
 * takes them from its tensors). Safe to share between threads; each thread brings its own
 * {@link Workspace}. {@code forward} and {@code backward} check every argument here, before any
 * backend code runs, then allocate nothing once the workspace has seen a problem as large.
 * {@link #update} packs new weights into the same memory.
 */
public abstract class PreparedRnn implements AutoCloseable {

    private final String backendName;
    private final RnnArchitecture architecture;
    private final Precision precision;
    private volatile boolean closed;
    /** The backend whose training self-test this plan must pass before its first training forward, or null once passed. */
    private volatile Backend trainingUnverified;

    protected PreparedRnn(String backendName, RnnArchitecture architecture) {
        this(backendName, architecture, Precision.FLOAT32);
    }

    /** A plan whose weights are stored in {@code precision}: other than float32, it serves inference only. */
    protected PreparedRnn(String backendName, RnnArchitecture architecture, Precision precision) {
        this.backendName = Objects.requireNonNull(backendName, "backendName");
        this.architecture = Objects.requireNonNull(architecture, "architecture");
        this.precision = Objects.requireNonNull(precision, "precision");
    }

    /** How this plan stores its weights ({@link Backend#prepare(RnnArchitecture, RnnWeights, Precision)}). */
    public final Precision precision() {
        return precision;
    }

    public final RnnArchitecture architecture() {
        return architecture;
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
        if (mode == Mode.TRAINING && precision != Precision.FLOAT32) {
            throw new UnsupportedOperationException("this " + this + " stores its weights in " + precision
                    + ", which serves inference only: train with float32 weights, then prepare in " + precision);
        }
        checkWorkspace(workspace);
        long problem = RnnChecks.forward(architecture, io);
        if (mode == Mode.TRAINING && trainingUnverified != null) { // once per kind and process; keyed on cell and direction
            SelfTest.require(trainingUnverified, architecture.withProblem(1, 1), Mode.TRAINING);
            trainingUnverified = null;
        }
        workspace.enter();
        try {
            workspace.holdsTrainingForward(false);
            workspace.problem(RnnChecks.steps(problem), RnnChecks.batch(problem), io.lengths());
            forwardChecked(mode, io, workspace);
            workspace.holdsTrainingForward(mode == Mode.TRAINING);
        } finally {
            workspace.exit();
        }
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
        workspace.enter();
        try {
            if (!workspace.holdsTrainingForward()) { // (checked again: another thread's forward may have run between)
                throw new IllegalStateException("backward needs a forward in TRAINING mode on the same workspace first");
            }
            RnnChecks.backward(architecture, workspace.steps(), workspace.batch(), gradients);
            backwardChecked(gradients, workspace);
        } finally {
            workspace.exit();
        }
    }

    /**
     * Packs {@code weights} (PyTorch layout, same architecture; not retained) into this plan's
     * memory, in place of the weights it had: an optimizer step costs a re-pack, not a new plan.
     * Workspaces stay valid; a forward held for backward by a workspace was computed with the old
     * weights and should be run again. Must not run while another thread runs this plan.
     */
    public final void update(RnnWeights weights) {
        Objects.requireNonNull(weights, "weights");
        checkOpen();
        weights.checkFits(architecture);
        updateChecked(weights);
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
        return forward(srcLayer, null, h0, c0);
    }

    /** {@link #forward(FloatTensor, FloatTensor, FloatTensor)} with per-sequence lengths (null: all {@code T}). */
    public Result forward(FloatTensor srcLayer, int[] lengths, FloatTensor h0, FloatTensor c0) {
        Objects.requireNonNull(srcLayer, "srcLayer");
        if (srcLayer.rank() != 3) {
            throw new IllegalArgumentException("srcLayer: expected [T, N, " + architecture.inputSize() + "] but was "
                    + srcLayer.shape());
        }
        int steps = srcLayer.dim(0), batch = srcLayer.dim(1);
        FloatTensor output = FloatTensor.zeros(architecture.dstLayerShape(steps, batch));
        FloatTensor hn = FloatTensor.zeros(architecture.iterShape(batch));
        FloatTensor cn = architecture.cell().hasCellState() ? FloatTensor.zeros(architecture.iterShape(batch)) : null;
        try (Workspace workspace = newWorkspace()) {
            forward(Mode.INFERENCE, new RnnForward(srcLayer, h0, c0, output, hn, cn, lengths), workspace);
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

    /** {@link #update} after the checks. */
    protected abstract void updateChecked(RnnWeights weights);

    /** Frees backend memory; called once. */
    protected void release() {
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this " + backendName + " " + architecture + " was closed");
        }
    }

    private void checkWorkspace(Workspace workspace) {
        Objects.requireNonNull(workspace, "workspace");
        if (workspace.owner() != this) {
            throw new IllegalArgumentException("the workspace belongs to another prepared stack ("
                    + workspace.owner().backendName() + " " + workspace.owner().architecture() + ")");
        }
        if (workspace.isClosed()) {
            throw new IllegalStateException("the workspace was closed");
        }
    }

    @Override
    public String toString() {
        return backendName + " " + architecture + (precision == Precision.FLOAT32 ? "" : " " + precision);
    }
}
