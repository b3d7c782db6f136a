package dev.jrnn.onednn;

import dev.jrnn.core.spi.Workspace;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One caller's state for a {@link OneDnnRnn}: a stream, the plan of the last forward
 * ({@link LengthPlan}, kept for its backward) with an execution per piece, and the executions
 * ({@link OneDnnExecution}: primitives and buffers) of the problem sizes it ran recently. oneDNN's
 * primitives are made for one {@code T} and {@code N}, at a cost of milliseconds; besides those
 * the current call needs, at most {@link #CAPACITY} executions and {@link #KEPT_BYTES} bytes of
 * them are kept, least recently used dropped first (closing one frees its buffers and
 * primitives), so memory stays bounded whatever sizes arrive (issue 15: a thousand distinct
 * lengths), and a size seen recently runs again without making or allocating anything. An
 * execution makes only the part a call needs (inference, or training with its backward), and in
 * inference the pieces of one size share one execution.
 */
final class OneDnnWorkspace extends Workspace {

    /** Executions kept beyond those of the current call. */
    static final int CAPACITY = 16;
    /**
     * Bytes of executions kept beyond those of the current call: the sizes of a few calls of a
     * small model, while a service that sees every length grows by well under issue 15's 50 MB.
     */
    static final long KEPT_BYTES = 16L << 20;

    final Guard guard = new Guard("the workspace");
    final DnnlHandle stream;
    /** The weight gradients' buffers; null in a reduced precision, which serves inference only. */
    final WeightGradients gradients;
    /** The last forward's plan, and the execution of each of its pieces. */
    final LengthPlan plan = new LengthPlan();
    OneDnnExecution[] pieceExecution = new OneDnnExecution[0];
    private final OneDnnRnn rnn;
    private final List<OneDnnExecution> executions = new ArrayList<>();
    private long calls, clock, made;

    OneDnnWorkspace(OneDnnRnn rnn) {
        super(rnn);
        this.rnn = rnn;
        this.stream = Dnnl.stream();
        try {
            this.gradients = rnn.precision == dev.jrnn.core.rnn.Precision.FLOAT32 ? new WeightGradients(rnn) : null;
        } catch (RuntimeException | Error e) {
            stream.close();
            throw e;
        }
    }

    /**
     * Finds or makes an execution for every piece of {@link #plan}, a new call's, prepared for
     * {@code part} ({@code INFERENCE}, or {@code TRAINING} with its backward).
     */
    void executionsForPlan(int part) {
        calls++;
        if (pieceExecution.length < plan.pieces) {
            pieceExecution = new OneDnnExecution[plan.pieces];
        }
        Arrays.fill(pieceExecution, null);
        for (int p = 0; p < plan.pieces; p++) {
            pieceExecution[p] = execution(plan.to[p] - plan.from[p], plan.batch[p], part);
        }
    }

    /**
     * An execution for {@code steps} by {@code batch}, prepared for {@code part}, made if there is
     * none; then drops the least recently used executions of other calls beyond the bounds. In
     * training it is one the current call does not use yet (a piece's forward state stays there
     * for its backward); in inference the pieces of one size share one (each piece is read out
     * before the next runs, and takes its initial states from the previous piece's final ones
     * before it overwrites them).
     */
    private OneDnnExecution execution(int steps, int batch, int part) {
        OneDnnExecution found = null;
        boolean fresh = false;
        for (int i = 0, n = executions.size(); i < n && found == null; i++) {
            OneDnnExecution e = executions.get(i);
            if (e.shape.steps == steps && e.shape.batch == batch && (e.call != calls || part == OneDnnRnn.INFERENCE)) {
                found = e;
            }
        }
        if (found == null) {
            found = new OneDnnExecution(rnn, steps, batch, gradients);
            made++;
            fresh = true;
            executions.add(found);
        }
        found.call = calls;
        found.lastUse = ++clock;
        try {
            found.prepare(part);
        } catch (RuntimeException | Error e) {
            executions.remove(found);
            found.close();
            throw e;
        }
        evict();
        if (fresh) {
            Pages.trimMalloc(); // making it freed blocks of oneDNN's (and evicting, ours): give the holes back
        }
        return found;
    }

    /** Closes the least recently used executions of earlier calls until at most {@link #CAPACITY} and {@link #KEPT_BYTES} remain. */
    private void evict() {
        while (true) {
            int kept = 0, oldest = -1;
            long bytes = 0;
            for (int i = 0; i < executions.size(); i++) {
                OneDnnExecution e = executions.get(i);
                if (e.call != calls) {
                    kept++;
                    bytes += e.bytes();
                    if (oldest < 0 || e.lastUse < executions.get(oldest).lastUse) {
                        oldest = i;
                    }
                }
            }
            if (kept <= CAPACITY && bytes <= KEPT_BYTES) {
                return;
            }
            executions.remove(oldest).close();
        }
    }

    /** The bytes of buffers the executions of this workspace hold. */
    long bytesHeld() {
        long bytes = 0;
        for (OneDnnExecution e : executions) {
            bytes += e.bytes();
        }
        return bytes;
    }

    /** How many executions (primitives and buffers for one problem size) this workspace holds. */
    int executionsHeld() {
        return executions.size();
    }

    /** How many executions this workspace has made. */
    long executionsMade() {
        return made;
    }

    @Override
    protected void release() {
        guard.closeAndAwait();
        for (OneDnnExecution e : executions) {
            e.close();
        }
        executions.clear();
        Arrays.fill(pieceExecution, null);
        if (gradients != null) {
            gradients.close();
        }
        stream.close();
    }
}
