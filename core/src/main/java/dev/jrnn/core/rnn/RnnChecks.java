package dev.jrnn.core.rnn;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import java.util.Arrays;

/**
 * Argument checks shared by every backend, run before any backend code (and so before any native
 * call). Each failure is an {@link IllegalArgumentException} naming the tensor, the expected and
 * the actual shape. Allocation-free unless they fail: they run on every call.
 */
public final class RnnChecks {

    private RnnChecks() {
    }

    /**
     * The largest {@code T * N * channels} a call may have: backends index their buffers with
     * {@code int}s.
     */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE / 8;

    /** The three kinds of tensor: sequences in, sequences out, states; each knows its expected dims. */
    private enum Kind {
        SOURCE("T, N, inputSize"), DESTINATION("T, N, D*H"), STATE("L*D, N, H");

        final String dims;

        Kind(String dims) {
            this.dims = dims;
        }

        int dim(RnnArchitecture a, int steps, int batch, int axis) {
            return switch (this) {
                case SOURCE -> axis == 0 ? steps : axis == 1 ? batch : a.inputSize();
                case DESTINATION -> axis == 0 ? steps : axis == 1 ? batch : a.outputSize();
                case STATE -> axis == 0 ? a.layers() * a.directions() : axis == 1 ? batch : a.hiddenSize();
            };
        }
    }

    /**
     * Checks a forward of {@code a}: {@code T} and {@code N} come from {@code srcLayer}'s shape,
     * every other tensor must agree, inputs must be finite, and the lengths (if any) must be
     * {@code N} values in {@code [1, T]}. Returns {@code T} and {@code N} as one {@link #problem}.
     */
    public static long forward(RnnArchitecture a, RnnForward io) {
        FloatTensor src = io.srcLayer();
        if (src.rank() != 3 || src.dim(2) != a.inputSize()) {
            String want = src.rank() == 3 ? "[" + src.dim(0) + ", " + src.dim(1) + ", " + a.inputSize() + "]"
                    : "[T, N, " + a.inputSize() + "]";
            throw new IllegalArgumentException("srcLayer: expected shape " + want + " (T, N, inputSize) but was "
                    + src.shape());
        }
        int steps = src.dim(0), batch = src.dim(1);
        long widest = Math.max(Math.max(a.inputSize(), a.gates() * a.outputSize()), a.layers() * a.outputSize());
        if (steps < 1 || batch < 1 || (long) steps * batch * widest > MAX_ELEMENTS) {
            throw new IllegalArgumentException("srcLayer: T and N must be >= 1 and T * N * " + widest + " at most "
                    + MAX_ELEMENTS + ", the shape is " + src.shape());
        }
        lengths(io.lengths(), steps, batch);
        input(a, steps, batch, "srcLayer", io.srcLayer(), Kind.SOURCE);
        optionalInput(a, steps, batch, "srcIter (h0)", io.srcIter(), Kind.STATE);
        cellStateOnly(a, "srcIterC (c0)", io.srcIterC());
        optionalInput(a, steps, batch, "srcIterC (c0)", io.srcIterC(), Kind.STATE);
        output(a, steps, batch, "dstLayer", io.dstLayer(), Kind.DESTINATION);
        optionalOutput(a, steps, batch, "dstIter (hn)", io.dstIter(), Kind.STATE);
        cellStateOnly(a, "dstIterC (cn)", io.dstIterC());
        optionalOutput(a, steps, batch, "dstIterC (cn)", io.dstIterC(), Kind.STATE);
        return problem(steps, batch);
    }

    /** Checks a forward of {@code d}'s architecture whose tensors must have {@code d}'s {@code T} and {@code N}. */
    public static void forward(RnnDescriptor d, RnnForward io) {
        long problem = forward(d.architecture(), io);
        if (steps(problem) != d.steps() || batch(problem) != d.batch()) {
            throw new IllegalArgumentException("srcLayer: expected shape " + d.srcLayerShape() + " but was "
                    + io.srcLayer().shape());
        }
    }

    /** Checks a backward of {@code a} after a forward of {@code steps} by {@code batch}. */
    public static void backward(RnnArchitecture a, int steps, int batch, RnnBackward g) {
        input(a, steps, batch, "diffDstLayer", g.diffDstLayer(), Kind.DESTINATION);
        optionalInput(a, steps, batch, "diffDstIter", g.diffDstIter(), Kind.STATE);
        cellStateOnly(a, "diffDstIterC", g.diffDstIterC());
        optionalInput(a, steps, batch, "diffDstIterC", g.diffDstIterC(), Kind.STATE);
        optionalOutput(a, steps, batch, "diffSrcLayer", g.diffSrcLayer(), Kind.SOURCE);
        optionalOutput(a, steps, batch, "diffSrcIter", g.diffSrcIter(), Kind.STATE);
        cellStateOnly(a, "diffSrcIterC", g.diffSrcIterC());
        optionalOutput(a, steps, batch, "diffSrcIterC", g.diffSrcIterC(), Kind.STATE);
        if (g.diffWeights() != null) {
            g.diffWeights().checkFits(a);
        }
    }

    public static void backward(RnnDescriptor d, RnnBackward g) {
        backward(d.architecture(), d.steps(), d.batch(), g);
    }

    /** {@code steps} and {@code batch} in one long, so that a check returns both without allocating. */
    public static long problem(int steps, int batch) {
        return ((long) steps << 32) | (batch & 0xffffffffL);
    }

    public static int steps(long problem) {
        return (int) (problem >>> 32);
    }

    public static int batch(long problem) {
        return (int) problem;
    }

    /** Null, or {@code batch} lengths each in {@code [1, steps]}. */
    public static void lengths(int[] lengths, int steps, int batch) {
        if (lengths == null) {
            return;
        }
        if (lengths.length != batch) {
            throw new IllegalArgumentException("lengths: " + lengths.length + " values for a batch (N) of " + batch);
        }
        for (int n = 0; n < batch; n++) {
            if (lengths[n] < 1 || lengths[n] > steps) {
                throw new IllegalArgumentException("lengths[" + n + "] = " + lengths[n] + " is not in [1, T = " + steps + "]");
            }
        }
    }

    private static void cellStateOnly(RnnArchitecture a, String name, FloatTensor t) {
        if (t != null && !a.cell().hasCellState()) {
            throw new IllegalArgumentException(name + " is only for LSTM, the cell is " + a.cell());
        }
    }

    private static void optionalInput(RnnArchitecture a, int steps, int batch, String name, FloatTensor t, Kind kind) {
        if (t != null) {
            input(a, steps, batch, name, t, kind);
        }
    }

    private static void input(RnnArchitecture a, int steps, int batch, String name, FloatTensor t, Kind kind) {
        output(a, steps, batch, name, t, kind);
        long bad = t.firstNonFinite();
        if (bad >= 0) {
            throw new IllegalArgumentException(name + ": value " + t.getFlat(bad) + " at "
                    + Arrays.toString(t.coordinates(bad)) + "; inputs must be finite");
        }
    }

    private static void optionalOutput(RnnArchitecture a, int steps, int batch, String name, FloatTensor t, Kind kind) {
        if (t != null) {
            output(a, steps, batch, name, t, kind);
        }
    }

    private static void output(RnnArchitecture a, int steps, int batch, String name, FloatTensor t, Kind kind) {
        if (t == null) {
            throw new IllegalArgumentException(name + ": missing, expected shape " + expected(a, steps, batch, kind)
                    + " (" + kind.dims + ")");
        }
        Shape actual = t.shape();
        if (actual.rank() != 3 || actual.dim(0) != kind.dim(a, steps, batch, 0)
                || actual.dim(1) != kind.dim(a, steps, batch, 1) || actual.dim(2) != kind.dim(a, steps, batch, 2)) {
            throw new IllegalArgumentException(name + ": expected shape " + expected(a, steps, batch, kind) + " ("
                    + kind.dims + ") but was " + actual);
        }
        if (t.stride(2) != 1) {
            throw new IllegalArgumentException(name + ": the last axis must be contiguous (stride 1), its stride is "
                    + t.stride(2));
        }
    }

    private static Shape expected(RnnArchitecture a, int steps, int batch, Kind kind) {
        return Shape.of(kind.dim(a, steps, batch, 0), kind.dim(a, steps, batch, 1), kind.dim(a, steps, batch, 2));
    }
}
