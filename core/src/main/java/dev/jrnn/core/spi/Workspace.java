package dev.jrnn.core.spi;

/**
 * The mutable memory of one caller of a {@link PreparedRnn}: scratch for every call, and after a
 * forward in training mode what backward needs (oneDNN's workspace). One workspace serves one
 * thread at a time; a prepared stack serves any number of workspaces at once.
 */
public abstract class Workspace implements AutoCloseable {

    private final PreparedRnn owner;
    private boolean holdsTrainingForward;
    private boolean closed;

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
