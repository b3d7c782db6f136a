package dev.jrnn.onednn;

/**
 * How one call runs as oneDNN executions, whose primitives each have one {@code T} and one
 * {@code N}: a list of pieces. Piece {@code p} runs the sequences {@code sorted[rowFrom[p] ..
 * rowFrom[p] + rows[p])} (longest first) over the steps {@code [from[p], to[p])} in an execution
 * of {@code batch[p] >= rows[p]} rows; the rows past {@code rows[p]} are padding (zero inputs, never
 * read back). A piece with {@code from > 0} starts from the final states of the piece before it.
 * A sequence is active in a piece for its steps before its own end; where it ends inside a piece
 * (when {@code mayEndInside}) its row runs on, on zero inputs, to the piece's end, and its final
 * states are read at its last step from the layer outputs.
 *
 * <ul>
 *   <li>Every sequence {@code T} long: one piece, the exact size, the caller's order.</li>
 *   <li>Unidirectional: time segments over the length-sorted batch, each running the sequences
 *       still active at its start ({@code N} shrinking), {@code N} rounded up to a few sizes
 *       ({@link #roundUp}) and split into pieces whose {@code T} is a power of two: the sizes a
 *       workspace needs come from a small set, so repeated and similar batches find their
 *       primitives made. A segment ends where the rounded count of active sequences drops, or
 *       (when sequences may not end inside a piece) at the next distinct length.</li>
 *   <li>Bidirectional: the reverse direction starts at each sequence's own last step, so time
 *       cannot be cut: one piece per distinct length (its sequences only, {@code T} = the length).</li>
 * </ul>
 *
 * Pure arithmetic on the lengths; grows its arrays when needed and otherwise allocates nothing.
 */
final class LengthPlan {

    /** Sequence indices, longest first (stable), and their lengths in that order. */
    int[] sorted = new int[0], sortedLength = new int[0];
    int pieces;
    int[] rowFrom = new int[0], rows = new int[0], from = new int[0], to = new int[0], batch = new int[0];
    private int[] count = new int[0];

    /**
     * Plans {@code n} sequences of the given lengths (each in {@code [1, steps]}; null: all {@code steps}).
     *
     * @param bidirectional whether the stack has a reverse direction
     * @param pad           whether rows may be padded (rounded-up {@code N}): the padding rows run on
     *                      zero inputs, so only when their values cannot overflow in training
     * @param mayEndInside  whether a sequence may end inside a piece (implies {@code pad})
     */
    void plan(int[] lengths, int n, int steps, boolean bidirectional, boolean pad, boolean mayEndInside) {
        sort(lengths, n, steps);
        pieces = 0;
        if (sortedLength[n - 1] == steps) { // every sequence T long (the stable sort kept the caller's order)
            add(0, n, 0, steps, n);
        } else if (bidirectional) {
            for (int k = 0; k < n; ) {
                int end = k;
                while (end < n && sortedLength[end] == sortedLength[k]) {
                    end++;
                }
                add(k, end - k, 0, sortedLength[k], end - k); // T is exact anyway: no padding
                k = end;
            }
        } else {
            for (int t = 0, active = n; t < sortedLength[0]; ) {
                int rowsRun = pad ? Math.min(roundUp(active), n) : active;
                int least = active; // the fewest active rows this segment runs with
                while (mayEndInside && least > 1 && Math.min(roundUp(least - 1), n) == rowsRun) {
                    least--;
                }
                int end = sortedLength[least - 1];
                while (t < end) { // powers of two, longest first
                    int length = Integer.highestOneBit(end - t);
                    add(0, active, t, t + length, rowsRun);
                    t += length;
                    while (active > 0 && sortedLength[active - 1] <= t) {
                        active--;
                    }
                }
            }
        }
    }

    /**
     * {@code n} rounded up to a multiple of 4 up to 64, and above that to a multiple of an eighth of
     * the power of two below {@code n}: eight sizes per doubling, wasting at most three rows or an
     * eighth of them.
     */
    static int roundUp(int n) {
        int grain = Math.max(4, Integer.highestOneBit(Math.max(n - 1, 1)) / 8);
        return (n + grain - 1) / grain * grain;
    }

    /** The length of row {@code k} of piece {@code p}. */
    int length(int p, int k) {
        return sortedLength[rowFrom[p] + k];
    }

    /** The caller's index of row {@code k} of piece {@code p}. */
    int sequence(int p, int k) {
        return sorted[rowFrom[p] + k];
    }

    /**
     * How many rows of piece {@code p} are still active at step {@code t} (a prefix: longest first),
     * counting down from {@code upTo} (the count at an earlier step, or {@code rows[p]}).
     */
    int activeAt(int p, int t, int upTo) {
        int active = upTo;
        while (active > 0 && length(p, active - 1) <= t) {
            active--;
        }
        return active;
    }

    /** Whether piece {@code p} continues the one before it (starts from its final states). */
    boolean continues(int p) {
        return from[p] > 0;
    }

    private void add(int rowStart, int rowCount, int stepFrom, int stepTo, int rowsRun) {
        if (pieces == from.length) {
            int size = Math.max(8, 2 * pieces);
            rowFrom = java.util.Arrays.copyOf(rowFrom, size);
            rows = java.util.Arrays.copyOf(rows, size);
            from = java.util.Arrays.copyOf(from, size);
            to = java.util.Arrays.copyOf(to, size);
            batch = java.util.Arrays.copyOf(batch, size);
        }
        rowFrom[pieces] = rowStart;
        rows[pieces] = rowCount;
        from[pieces] = stepFrom;
        to[pieces] = stepTo;
        batch[pieces] = rowsRun;
        pieces++;
    }

    /** A stable counting sort by length, longest first. */
    private void sort(int[] lengths, int n, int steps) {
        if (sorted.length < n) {
            sorted = new int[n];
            sortedLength = new int[n];
        }
        if (count.length < steps + 2) {
            count = new int[steps + 2];
        }
        java.util.Arrays.fill(count, 0, steps + 2, 0);
        for (int k = 0; k < n; k++) {
            count[lengths == null ? steps : lengths[k]]++;
        }
        for (int len = steps, position = 0; len >= 1; len--) {
            int c = count[len];
            count[len] = position;
            position += c;
        }
        for (int k = 0; k < n; k++) {
            int length = lengths == null ? steps : lengths[k];
            int at = count[length]++;
            sorted[at] = k;
            sortedLength[at] = length;
        }
    }
}
