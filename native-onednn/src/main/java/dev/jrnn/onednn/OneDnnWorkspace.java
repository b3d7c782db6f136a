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
 * them are kept, least recently used dropped first, so memory stays bounded whatever sizes arrive,
 * and a size seen recently runs again without making or allocating anything.
 */
final class OneDnnWorkspace extends Workspace {

    /** Executions kept beyond those of the current call. */
    static final int CAPACITY = 16;
    /** Bytes of executions kept beyond those of the current call. */
    static final long KEPT_BYTES = 64L << 20;

    final Guard guard = new Guard("the workspace");
    final DnnlHandle stream;
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
            this.gradients = new WeightGradients(rnn);
        } catch (RuntimeException | Error e) {
            stream.close();
            throw e;
        }
    }

    /** Finds or makes an execution for every piece of {@link #plan}: a new call's. */
    void executionsForPlan() {
        calls++;
        if (pieceExecution.length < plan.pieces) {
            pieceExecution = new OneDnnExecution[plan.pieces];
        }
        for (int p = 0; p < plan.pieces; p++) {
            pieceExecution[p] = execution(plan.to[p] - plan.from[p], plan.batch[p]);
        }
        Arrays.fill(pieceExecution, plan.pieces, pieceExecution.length, null);
    }

    /**
     * An execution for {@code steps} by {@code batch} that the current call does not use yet (a
     * piece's forward state stays there for its backward), made if there is none; may drop the
     * least recently used of other calls.
     */
    private OneDnnExecution execution(int steps, int batch) {
        for (int i = 0, n = executions.size(); i < n; i++) {
            OneDnnExecution e = executions.get(i);
            if (e.shape.steps == steps && e.shape.batch == batch && e.call != calls) {
                e.call = calls;
                e.lastUse = ++clock;
                return e;
            }
        }
        OneDnnExecution made = new OneDnnExecution(rnn, steps, batch, gradients);
        this.made++;
        made.call = calls;
        made.lastUse = ++clock;
        executions.add(made);
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
                return made;
            }
            executions.remove(oldest).close();
        }
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
        gradients.close();
        stream.close();
    }
}
