package dev.jrnn.core.scalar;

import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnArchitecture;
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
    protected PreparedRnn prepareChecked(RnnArchitecture a, RnnWeights weights) {
        return new Prepared(a, ReferenceRnn.of(a, weights));
    }

    private static final class Prepared extends PreparedRnn {
        private final ReferenceRnn rnn;

        Prepared(RnnArchitecture a, ReferenceRnn rnn) {
            super(NAME, a);
            this.rnn = rnn;
        }

        @Override
        protected Workspace createWorkspace() {
            return new TraceWorkspace(this);
        }

        @Override
        protected void updateChecked(RnnWeights weights) {
            rnn.update(weights);
        }

        @Override
        protected void forwardChecked(Mode mode, RnnForward io, Workspace workspace) {
            TraceWorkspace ws = (TraceWorkspace) workspace;
            int steps = ws.steps(), batch = ws.batch();
            ReferenceRnn.Trace tr = ws.trace(rnn, steps, batch);
            for (int n = 0; n < batch; n++) {
                tr.len[n] = ws.length(n);
            }
            int rows = steps * batch, states = rnn.d.layers() * rnn.dirs * batch * rnn.hidden;
            ReferenceRnn.read(io.srcLayer(), tr.layerIn[0], rows * rnn.d.inputSize());
            readOrZero(io.srcIter(), tr.h0, states);
            readOrZero(io.srcIterC(), tr.c0, states);
            rnn.forward(tr);
            ReferenceRnn.write(tr.out[rnn.d.layers() - 1], io.dstLayer(), rows * rnn.d.outputSize());
            if (io.dstIter() != null) {
                ReferenceRnn.write(tr.hn, io.dstIter(), states);
            }
            if (io.dstIterC() != null) {
                ReferenceRnn.write(tr.cn, io.dstIterC(), states);
            }
        }

        @Override
        protected void backwardChecked(RnnBackward g, Workspace workspace) {
            TraceWorkspace ws = (TraceWorkspace) workspace;
            ReferenceRnn.Trace tr = ws.trace;
            int rows = tr.steps * tr.batch, states = rnn.d.layers() * rnn.dirs * tr.batch * rnn.hidden;
            ReferenceRnn.read(g.diffDstLayer(), tr.dOutTop, rows * rnn.d.outputSize());
            double[] dhn = null, dcn = null;
            if (g.diffDstIter() != null) {
                ReferenceRnn.read(g.diffDstIter(), tr.dhn, states);
                dhn = tr.dhn;
            }
            if (g.diffDstIterC() != null) {
                ReferenceRnn.read(g.diffDstIterC(), tr.dcn, states);
                dcn = tr.dcn;
            }
            rnn.backward(tr, dhn, dcn);
            if (g.diffSrcLayer() != null) {
                ReferenceRnn.write(tr.dx, g.diffSrcLayer(), rows * rnn.d.inputSize());
            }
            if (g.diffSrcIter() != null) {
                ReferenceRnn.write(tr.dh0, g.diffSrcIter(), states);
            }
            if (g.diffSrcIterC() != null) {
                ReferenceRnn.write(tr.dc0, g.diffSrcIterC(), states);
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

        private static void readOrZero(FloatTensor t, double[] into, int count) {
            if (t == null) {
                java.util.Arrays.fill(into, 0, count, 0);
            } else {
                ReferenceRnn.read(t, into, count);
            }
        }
    }

    private static final class TraceWorkspace extends Workspace {
        ReferenceRnn.Trace trace;

        TraceWorkspace(PreparedRnn owner) {
            super(owner);
        }

        /** The trace, grown when this problem is larger than any before; set to {@code steps} by {@code batch}. */
        ReferenceRnn.Trace trace(ReferenceRnn rnn, int steps, int batch) {
            if (trace == null || trace.rowCapacity < steps * batch || trace.batchCapacity < batch) {
                int rows = Math.max(steps * batch, trace == null ? 0 : trace.rowCapacity);
                trace = rnn.newTrace(rows, Math.max(batch, trace == null ? 0 : trace.batchCapacity));
            }
            trace.steps = steps;
            trace.batch = batch;
            return trace;
        }
    }
}
