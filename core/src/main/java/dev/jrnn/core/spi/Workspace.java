package dev.jrnn.core.spi;

/**
 * The mutable memory of one caller of a {@link PreparedRnn}: scratch for every call, and after a
 * forward in training mode what backward needs (oneDNN's workspace). One workspace serves one
 * thread at a time; a prepared stack serves any number of workspaces at once.
 *
 * <p>A workspace serves every {@code T} and {@code N}: a backend grows its buffers when a larger
 * problem than any before arrives, and allocates nothing for a problem no larger than one seen.
 * It records the problem of the last forward ({@link #steps()}, {@link #batch()},
 * {@link #length(int)}), which its backward is checked against.
 */
public abstract class Workspace implements AutoCloseable {

    private final PreparedRnn owner;
    private boolean holdsTrainingForward;
    private boolean closed;
    private int steps, batch;
    private boolean variableLengths;
    /** Lengths of the last forward, copied (the caller may reuse its array); grown, never shrunk. */
    private int[] lengths = new int[0];

    protected Workspace(PreparedRnn owner) {
        this.owner = owner;
    }

    public final PreparedRnn owner() {
        return owner;
    }

    /** True after a forward in training mode, until the next forward in inference mode. */
    public final boolean holdsTrainingForward() {
        return holdsTrainingForward;
    }

    final void holdsTrainingForward(boolean value) {
        holdsTrainingForward = value;
    }

    /** Records the problem of a forward about to run; called after its arguments were checked. */
    final void problem(int steps, int batch, int[] sequenceLengths) {
        this.steps = steps;
        this.batch = batch;
        if (lengths.length < batch) {
            lengths = new int[batch];
        }
        boolean variable = false;
        for (int n = 0; n < batch; n++) {
            int length = sequenceLengths == null ? steps : sequenceLengths[n];
            lengths[n] = length;
            variable |= length != steps;
        }
        variableLengths = variable;
    }

    /** {@code T} of the current or last forward. */
    public final int steps() {
        return steps;
    }

    /** {@code N} of the current or last forward. */
    public final int batch() {
        return batch;
    }

    /** Whether some sequence of the current or last forward is shorter than {@code T}. */
    public final boolean variableLengths() {
        return variableLengths;
    }

    /** The length of sequence {@code n} of the current or last forward ({@code T} when no lengths were given). */
    public final int length(int n) {
        return lengths[n];
    }

    public final boolean isClosed() {
        return closed;
    }

    /** Releases the memory; idempotent. */
    @Override
    public final void close() {
        if (!closed) {
            closed = true;
            holdsTrainingForward = false;
            release();
        }
    }

    /** Frees backend memory; called once. */
    protected void release() {
    }
}
