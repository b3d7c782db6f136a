package dev.jrnn.core.scalar;

import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.rnn.RnnWeights.Param;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;

/**
 * The scalar reference backend: {@link ReferenceRnn} behind the SPI. It computes in double
 * precision and rounds once, when it writes its float outputs, so it is the most accurate backend
 * and the oracle for the others, not a fast one. Always available.
 */
public final class ReferenceBackend extends Backend {

    public static final String NAME = "reference";

    private static final Param[] PARAMS = Param.values(); // values() copies the array on every call

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public boolean fallbackOnly() {
        return true;
    }

    @Override
    public java.util.Optional<dev.jrnn.core.spi.DenseKernels> dense() {
        return java.util.Optional.of(ReferenceDense.instance());
    }

    @Override
    protected PreparedRnn prepareChecked(RnnDescriptor d, RnnWeights weights) {
        return new Prepared(d, ReferenceRnn.of(d, weights));
    }

    private static final class Prepared extends PreparedRnn {
        private final ReferenceRnn rnn;

        Prepared(RnnDescriptor d, ReferenceRnn rnn) {
            super(NAME, d);
            this.rnn = rnn;
        }

        @Override
        protected Workspace createWorkspace() {
            return new TraceWorkspace(this, rnn.newTrace());
        }

        @Override
        protected void forwardChecked(Mode mode, RnnForward io, Workspace workspace) {
            ReferenceRnn.Trace tr = ((TraceWorkspace) workspace).trace;
            ReferenceRnn.read(io.srcLayer(), tr.layerIn[0]);
            readOrZero(io.srcIter(), tr.h0);
            readOrZero(io.srcIterC(), tr.c0);
            rnn.forward(tr);
            ReferenceRnn.write(tr.out[rnn.d.layers() - 1], io.dstLayer());
            if (io.dstIter() != null) {
                ReferenceRnn.write(tr.hn, io.dstIter());
            }
            if (io.dstIterC() != null) {
                ReferenceRnn.write(tr.cn, io.dstIterC());
            }
        }

        @Override
        protected void backwardChecked(RnnBackward g, Workspace workspace) {
            ReferenceRnn.Trace tr = ((TraceWorkspace) workspace).trace;
            ReferenceRnn.read(g.diffDstLayer(), tr.dOutTop);
            double[] dhn = null, dcn = null;
            if (g.diffDstIter() != null) {
                ReferenceRnn.read(g.diffDstIter(), tr.dhn);
                dhn = tr.dhn;
            }
            if (g.diffDstIterC() != null) {
                ReferenceRnn.read(g.diffDstIterC(), tr.dcn);
                dcn = tr.dcn;
            }
            rnn.backward(tr, dhn, dcn);
            if (g.diffSrcLayer() != null) {
                ReferenceRnn.write(tr.dx, g.diffSrcLayer());
            }
            if (g.diffSrcIter() != null) {
                ReferenceRnn.write(tr.dh0, g.diffSrcIter());
            }
            if (g.diffSrcIterC() != null) {
                ReferenceRnn.write(tr.dc0, g.diffSrcIterC());
            }
            if (g.diffWeights() != null) {
                accumulate(tr.dWeights, g.diffWeights());
            }
        }

        private void accumulate(double[][][][] dWeights, RnnWeights into) {
            for (int l = 0; l < dWeights.length; l++) {
                for (int dir = 0; dir < dWeights[l].length; dir++) {
                    for (Param p : PARAMS) {
                        FloatTensor t = into.get(p, l, dir);
                        double[] dw = dWeights[l][dir][p.ordinal()];
                        for (int i = 0; i < dw.length; i++) {
                            t.setFlat(i, (float) (t.getFlat(i) + dw[i]));
                        }
                    }
                }
            }
        }

        private static void readOrZero(FloatTensor t, double[] into) {
            if (t == null) {
                java.util.Arrays.fill(into, 0);
            } else {
                ReferenceRnn.read(t, into);
            }
        }
    }

    private static final class TraceWorkspace extends Workspace {
        final ReferenceRnn.Trace trace;

        TraceWorkspace(PreparedRnn owner, ReferenceRnn.Trace trace) {
            super(owner);
            this.trace = trace;
        }
    }
}
