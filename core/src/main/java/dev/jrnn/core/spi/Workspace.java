package dev.jrnn.core.spi;

/**
 * The mutable memory of one caller of a {@link PreparedRnn}: scratch for every call, and after a
 * forward in training mode what backward needs (oneDNN's workspace). One workspace serves one
 * call at a time: a call that finds it in use by another thread's call (or closing it while one
 * runs) throws {@link IllegalStateException} rather than let two calls write the same memory (or
 * one grow it under the other: native memory freed under a running oneDNN call). A prepared stack
 * serves any number of workspaces at once.
 *
 * <p>A workspace serves every {@code T} and {@code N}: a backend grows its buffers when a larger
 * problem than any before arrives, and allocates nothing for a problem no larger than one seen.
 * It records the problem of the last forward ({@link #steps()}, {@link #batch()},
 * {@link #length(int)}), which its backward is checked against.
 */
public abstract class Workspace implements AutoCloseable {

    private final PreparedRnn owner;
    private boolean holdsTrainingForward;
    private volatile boolean closed;
    /** 1 while a call runs on this workspace (or it is being closed). */
    private volatile int busy;

    private static final java.lang.invoke.VarHandle BUSY;

    static {
        try {
            BUSY = java.lang.invoke.MethodHandles.lookup().findVarHandle(Workspace.class, "busy", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
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

    /** Marks the start of a call on this workspace; throws when another call holds it. */
    final void enter() {
        if (!BUSY.compareAndSet(this, 0, 1)) {
            throw new IllegalStateException("the workspace is in use by a call in another thread: a workspace serves "
                    + "one call at a time (give each thread its own, PreparedRnn.newWorkspace())");
        }
        if (closed) { // closed between the caller's check and here
            busy = 0;
            throw new IllegalStateException("the workspace was closed");
        }
    }

    final void exit() {
        busy = 0;
    }

    /**
     * Releases the memory; idempotent. Throws {@link IllegalStateException} while a call on it runs
     * in another thread (close it once that call has returned).
     */
    @Override
    public final void close() {
        if (closed) {
            return;
        }
        if (!BUSY.compareAndSet(this, 0, 1)) {
            throw new IllegalStateException("the workspace is in use by a call in another thread: close it once "
                    + "that call has returned");
        }
        try {
            if (!closed) {
                closed = true;
                holdsTrainingForward = false;
                release();
            }
        } finally {
            busy = 0;
        }
    }

    /** Frees backend memory; called once. */
    protected void release() {
    }
}
