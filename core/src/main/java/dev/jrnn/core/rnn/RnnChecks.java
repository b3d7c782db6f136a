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

    public static void forward(RnnDescriptor d, RnnForward io) {
        input("srcLayer", io.srcLayer(), d.srcLayerShape(), "T, N, inputSize");
        optionalInput("srcIter (h0)", io.srcIter(), d.iterShape(), "L*D, N, H");
        cellStateOnly(d, "srcIterC (c0)", io.srcIterC());
        optionalInput("srcIterC (c0)", io.srcIterC(), d.iterShape(), "L*D, N, H");
        output("dstLayer", io.dstLayer(), d.dstLayerShape(), "T, N, D*H");
        optionalOutput("dstIter (hn)", io.dstIter(), d.iterShape(), "L*D, N, H");
        cellStateOnly(d, "dstIterC (cn)", io.dstIterC());
        optionalOutput("dstIterC (cn)", io.dstIterC(), d.iterShape(), "L*D, N, H");
    }

    public static void backward(RnnDescriptor d, RnnBackward g) {
        input("diffDstLayer", g.diffDstLayer(), d.dstLayerShape(), "T, N, D*H");
        optionalInput("diffDstIter", g.diffDstIter(), d.iterShape(), "L*D, N, H");
        cellStateOnly(d, "diffDstIterC", g.diffDstIterC());
        optionalInput("diffDstIterC", g.diffDstIterC(), d.iterShape(), "L*D, N, H");
        optionalOutput("diffSrcLayer", g.diffSrcLayer(), d.srcLayerShape(), "T, N, inputSize");
        optionalOutput("diffSrcIter", g.diffSrcIter(), d.iterShape(), "L*D, N, H");
        cellStateOnly(d, "diffSrcIterC", g.diffSrcIterC());
        optionalOutput("diffSrcIterC", g.diffSrcIterC(), d.iterShape(), "L*D, N, H");
        if (g.diffWeights() != null) {
            g.diffWeights().checkFits(d);
        }
    }

    private static void cellStateOnly(RnnDescriptor d, String name, FloatTensor t) {
        if (t != null && !d.cell().hasCellState()) {
            throw new IllegalArgumentException(name + " is only for LSTM, the cell is " + d.cell());
        }
    }

    private static void optionalInput(String name, FloatTensor t, Shape expected, String dims) {
        if (t != null) {
            input(name, t, expected, dims);
        }
    }

    private static void input(String name, FloatTensor t, Shape expected, String dims) {
        output(name, t, expected, dims);
        long bad = t.firstNonFinite();
        if (bad >= 0) {
            throw new IllegalArgumentException(name + ": value " + t.getFlat(bad) + " at "
                    + Arrays.toString(t.coordinates(bad)) + "; inputs must be finite");
        }
    }

    private static void optionalOutput(String name, FloatTensor t, Shape expected, String dims) {
        if (t != null) {
            output(name, t, expected, dims);
        }
    }

    private static void output(String name, FloatTensor t, Shape expected, String dims) {
        if (t == null) {
            throw new IllegalArgumentException(name + ": missing, expected shape " + expected + " (" + dims + ")");
        }
        if (!t.shape().equals(expected)) {
            throw new IllegalArgumentException(
                    name + ": expected shape " + expected + " (" + dims + ") but was " + t.shape());
        }
        if (t.stride(t.rank() - 1) != 1) {
            throw new IllegalArgumentException(name + ": the last axis must be contiguous (stride 1), its stride is "
                    + t.stride(t.rank() - 1));
        }
    }
}
