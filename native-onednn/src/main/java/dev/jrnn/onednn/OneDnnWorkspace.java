package dev.jrnn.onednn;

import dev.jrnn.core.spi.Workspace;
import java.util.ArrayList;
import java.util.List;

/**
 * One caller's state for a {@link OneDnnRnn}: a stream and the executions ({@link OneDnnExecution}:
 * primitives and buffers) of the problem sizes it ran most recently. oneDNN's primitives are made
 * for one {@code T} and {@code N}; at most {@link #CAPACITY} sizes are kept besides those the
 * current call needs, least recently used dropped first, so memory stays bounded whatever sizes
 * arrive, and a size seen recently runs again without allocating.
 *
 * <p>With variable lengths a call runs its sequences in groups of equal length, one execution per
 * group (see {@link OneDnnRnn}); the groups of the last forward are kept here for its backward.
 */
final class OneDnnWorkspace extends Workspace {

    /** Problem sizes kept beyond those of the current call. */
    static final int CAPACITY = 4;

    final Guard guard = new Guard("the workspace");
    final DnnlHandle stream;
    private final OneDnnRnn rnn;
    private final List<OneDnnExecution> executions = new ArrayList<>();
    private long calls, clock;

    // groups of the last forward: sorted[groupStart[g] .. groupStart[g + 1]) are groupLength[g] long
    int groups;
    int[] sorted = new int[0], groupStart = new int[1], groupLength = new int[0];
    OneDnnExecution[] groupExecution = new OneDnnExecution[0];

    OneDnnWorkspace(OneDnnRnn rnn) {
        super(rnn);
        this.rnn = rnn;
        this.stream = Dnnl.stream();
    }

    /** Starts a call: executions used from here on belong to it and are not dropped before it ends. */
    void beginCall() {
        calls++;
    }

    /** The execution for {@code steps} by {@code batch}, made if new; may drop the least recently used of other calls. */
    OneDnnExecution execution(int steps, int batch) {
        for (int i = 0, n = executions.size(); i < n; i++) {
            OneDnnExecution e = executions.get(i);
            if (e.shape.steps == steps && e.shape.batch == batch) {
                e.call = calls;
                e.lastUse = ++clock;
                return e;
            }
        }
        OneDnnExecution made = new OneDnnExecution(rnn, steps, batch);
        made.call = calls;
        made.lastUse = ++clock;
        executions.add(made);
        while (executions.size() > CAPACITY) {
            int oldest = -1;
            for (int i = 0; i < executions.size(); i++) {
                OneDnnExecution e = executions.get(i);
                if (e.call != calls && (oldest < 0 || e.lastUse < executions.get(oldest).lastUse)) {
                    oldest = i;
                }
            }
            if (oldest < 0) {
                break; // every one is needed by this call
            }
            executions.remove(oldest).close();
        }
        return made;
    }

    /** How many problem sizes this workspace holds primitives and buffers for. */
    int executionsHeld() {
        return executions.size();
    }

    /** Groups the last forward's sequences by length, longest first (a stable counting sort). */
    void group() {
        int steps = steps(), batch = batch();
        if (sorted.length < batch) {
            sorted = new int[batch];
            groupStart = new int[batch + 1];
            groupLength = new int[batch];
            groupExecution = new OneDnnExecution[batch];
        }
        int[] count = new int[steps + 2]; // per call only with variable lengths, which allocate anyway
        for (int n = 0; n < batch; n++) {
            count[length(n)]++;
        }
        groups = 0;
        for (int len = steps, position = 0; len >= 1; len--) {
            int c = count[len];
            if (c > 0) {
                groupStart[groups] = position;
                groupLength[groups] = len;
                groups++;
            }
            count[len] = position;
            position += c;
        }
        groupStart[groups] = batch;
        for (int n = 0; n < batch; n++) {
            sorted[count[length(n)]++] = n;
        }
    }

    @Override
    protected void release() {
        guard.closeAndAwait();
        for (OneDnnExecution e : executions) {
            e.close();
        }
        executions.clear();
        java.util.Arrays.fill(groupExecution, null);
        stream.close();
    }
}
