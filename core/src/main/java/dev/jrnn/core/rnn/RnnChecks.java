package dev.jrnn.core.rnn;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import java.util.Arrays;

/**
 * Argument checks shared by every backend, run before any backend code (and so before any native
 * call). Each failure is an {@link IllegalArgumentException} naming the tensor, the expected and
 * the actual shape.
 */
public final class RnnChecks {

    private RnnChecks() {
    }

    /** The three kinds of tensor: sequences in, sequences out, states; each knows its expected dims. */
    private enum Kind {
        SOURCE("T, N, inputSize"), DESTINATION("T, N, D*H"), STATE("L*D, N, H");

        final String dims;

        Kind(String dims) {
            this.dims = dims;
        }

        int dim(RnnDescriptor d, int axis) {
            return switch (this) {
                case SOURCE -> axis == 0 ? d.steps() : axis == 1 ? d.batch() : d.inputSize();
                case DESTINATION -> axis == 0 ? d.steps() : axis == 1 ? d.batch() : d.outputSize();
                case STATE -> axis == 0 ? d.layers() * d.directions() : axis == 1 ? d.batch() : d.hiddenSize();
            };
        }
    }

    public static void forward(RnnDescriptor d, RnnForward io) {
        input(d, "srcLayer", io.srcLayer(), Kind.SOURCE);
        optionalInput(d, "srcIter (h0)", io.srcIter(), Kind.STATE);
        cellStateOnly(d, "srcIterC (c0)", io.srcIterC());
        optionalInput(d, "srcIterC (c0)", io.srcIterC(), Kind.STATE);
        output(d, "dstLayer", io.dstLayer(), Kind.DESTINATION);
        optionalOutput(d, "dstIter (hn)", io.dstIter(), Kind.STATE);
        cellStateOnly(d, "dstIterC (cn)", io.dstIterC());
        optionalOutput(d, "dstIterC (cn)", io.dstIterC(), Kind.STATE);
    }

    public static void backward(RnnDescriptor d, RnnBackward g) {
        input(d, "diffDstLayer", g.diffDstLayer(), Kind.DESTINATION);
        optionalInput(d, "diffDstIter", g.diffDstIter(), Kind.STATE);
        cellStateOnly(d, "diffDstIterC", g.diffDstIterC());
        optionalInput(d, "diffDstIterC", g.diffDstIterC(), Kind.STATE);
        optionalOutput(d, "diffSrcLayer", g.diffSrcLayer(), Kind.SOURCE);
        optionalOutput(d, "diffSrcIter", g.diffSrcIter(), Kind.STATE);
        cellStateOnly(d, "diffSrcIterC", g.diffSrcIterC());
        optionalOutput(d, "diffSrcIterC", g.diffSrcIterC(), Kind.STATE);
        if (g.diffWeights() != null) {
            g.diffWeights().checkFits(d);
        }
    }

    private static void cellStateOnly(RnnDescriptor d, String name, FloatTensor t) {
        if (t != null && !d.cell().hasCellState()) {
            throw new IllegalArgumentException(name + " is only for LSTM, the cell is " + d.cell());
        }
    }

    private static void optionalInput(RnnDescriptor d, String name, FloatTensor t, Kind kind) {
        if (t != null) {
            input(d, name, t, kind);
        }
    }

    private static void input(RnnDescriptor d, String name, FloatTensor t, Kind kind) {
        output(d, name, t, kind);
        long bad = t.firstNonFinite();
        if (bad >= 0) {
            throw new IllegalArgumentException(name + ": value " + t.getFlat(bad) + " at "
                    + Arrays.toString(t.coordinates(bad)) + "; inputs must be finite");
        }
    }

    private static void optionalOutput(RnnDescriptor d, String name, FloatTensor t, Kind kind) {
        if (t != null) {
            output(d, name, t, kind);
        }
    }

    private static void output(RnnDescriptor d, String name, FloatTensor t, Kind kind) {
        if (t == null) {
            throw new IllegalArgumentException(name + ": missing, expected shape " + expected(d, kind) + " (" + kind.dims + ")");
        }
        Shape actual = t.shape();
        if (actual.rank() != 3 || actual.dim(0) != kind.dim(d, 0) || actual.dim(1) != kind.dim(d, 1)
                || actual.dim(2) != kind.dim(d, 2)) {
            throw new IllegalArgumentException(
                    name + ": expected shape " + expected(d, kind) + " (" + kind.dims + ") but was " + actual);
        }
        if (t.stride(2) != 1) {
            throw new IllegalArgumentException(name + ": the last axis must be contiguous (stride 1), its stride is "
                    + t.stride(2));
        }
    }

    private static Shape expected(RnnDescriptor d, Kind kind) {
        return Shape.of(kind.dim(d, 0), kind.dim(d, 1), kind.dim(d, 2));
    }
}
