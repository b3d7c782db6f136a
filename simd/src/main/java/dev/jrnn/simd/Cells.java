package dev.jrnn.simd;

import static dev.jrnn.simd.SimdSpecies.FLOAT;
import static dev.jrnn.simd.SimdSpecies.LANES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The fused pointwise passes of each cell, for one sequence (row) and hidden units
 * {@code [j0, j1)}: activations and the state update in one sweep, forward; the gate gradients
 * and the state gradients in one sweep, backward. Gate rows are gate-major, {@code G * H} wide,
 * where {@code H} is the padded hidden size: {@code j0} and {@code j1} are multiples of the vector
 * length, so every load and store is a whole vector. Forward writes the activated gates over their
 * pre-activations ({@code gx}), which is what backward reads. Equations:
 * {@link dev.jrnn.core.rnn.CellKind}.
 *
 * <p>Written out with the Vector API's own methods only, no helper of ours taking or returning a
 * vector (see {@link Gemm}): {@code sigmoid(a)} is {@code 1 / (1 + exp(-a))} in place, and the
 * activations are {@link VectorMath}'s (the JDK's {@code EXP} and {@code TANH}).
 */
final class Cells {

    private Cells() {
    }

    // ------------------------------------------------------------------ forward

    /** {@code h = act(gx + gh)}; the activation is kept in {@code gx}. */
    static void rnnForward(boolean relu, float[] gx, int gxRow, float[] gh, int ghRow, float[] h, int hOff,
                           int j0, int j1) {
        for (int j = j0; j < j1; j += LANES) {
            FloatVector a = FloatVector.fromArray(FLOAT, gx, gxRow + j).add(FloatVector.fromArray(FLOAT, gh, ghRow + j));
            a = relu ? a.max(0f) : a.lanewise(VectorOperators.TANH);
            a.intoArray(gx, gxRow + j);
            a.intoArray(h, hOff + j);
        }
    }

    /** LSTM: gates i, f, g, o; {@code c = f c' + i g}, {@code h = o tanh(c)}. */
    static void lstmForward(int hidden, float[] gx, int gxRow, float[] gh, int ghRow, float[] cPrev, int cPrevOff,
                            float[] c, int cOff, float[] h, int hOff, int j0, int j1) {
        FloatVector one = FloatVector.broadcast(FLOAT, 1f);
        for (int j = j0; j < j1; j += LANES) {
            int x = gxRow + j, y = ghRow + j;
            FloatVector i = FloatVector.fromArray(FLOAT, gx, x).add(FloatVector.fromArray(FLOAT, gh, y));
            FloatVector f = FloatVector.fromArray(FLOAT, gx, x + hidden).add(FloatVector.fromArray(FLOAT, gh, y + hidden));
            FloatVector g = FloatVector.fromArray(FLOAT, gx, x + 2 * hidden)
                    .add(FloatVector.fromArray(FLOAT, gh, y + 2 * hidden));
            FloatVector o = FloatVector.fromArray(FLOAT, gx, x + 3 * hidden)
                    .add(FloatVector.fromArray(FLOAT, gh, y + 3 * hidden));
            i = one.div(i.neg().lanewise(VectorOperators.EXP).add(1f));
            f = one.div(f.neg().lanewise(VectorOperators.EXP).add(1f));
            g = g.lanewise(VectorOperators.TANH);
            o = one.div(o.neg().lanewise(VectorOperators.EXP).add(1f));
            FloatVector cv = f.fma(FloatVector.fromArray(FLOAT, cPrev, cPrevOff + j), i.mul(g));
            i.intoArray(gx, x);
            f.intoArray(gx, x + hidden);
            g.intoArray(gx, x + 2 * hidden);
            o.intoArray(gx, x + 3 * hidden);
            cv.intoArray(c, cOff + j);
            o.mul(cv.lanewise(VectorOperators.TANH)).intoArray(h, hOff + j);
        }
    }

    /**
     * GRU (linear before reset): gates r, z, n; {@code hn = gh_n + b_hn} is kept for backward;
     * {@code h = (1 - z) n + z h'}. {@code gx} holds {@code W_i x + b_i} plus {@code b_hr, b_hz}.
     */
    static void gruForward(int hidden, float[] gx, int gxRow, float[] gh, int ghRow, float[] bhn, float[] hPrev,
                           int hPrevOff, float[] hnl, int hnlOff, float[] h, int hOff, int j0, int j1) {
        FloatVector one = FloatVector.broadcast(FLOAT, 1f);
        for (int j = j0; j < j1; j += LANES) {
            int x = gxRow + j, y = ghRow + j;
            FloatVector r = FloatVector.fromArray(FLOAT, gx, x).add(FloatVector.fromArray(FLOAT, gh, y));
            FloatVector z = FloatVector.fromArray(FLOAT, gx, x + hidden).add(FloatVector.fromArray(FLOAT, gh, y + hidden));
            r = one.div(r.neg().lanewise(VectorOperators.EXP).add(1f));
            z = one.div(z.neg().lanewise(VectorOperators.EXP).add(1f));
            FloatVector hn = FloatVector.fromArray(FLOAT, gh, y + 2 * hidden).add(FloatVector.fromArray(FLOAT, bhn, j));
            FloatVector n = r.fma(hn, FloatVector.fromArray(FLOAT, gx, x + 2 * hidden)).lanewise(VectorOperators.TANH);
            FloatVector hp = FloatVector.fromArray(FLOAT, hPrev, hPrevOff + j);
            r.intoArray(gx, x);
            z.intoArray(gx, x + hidden);
            n.intoArray(gx, x + 2 * hidden);
            hn.intoArray(hnl, hnlOff + j);
            z.fma(hp.sub(n), n).intoArray(h, hOff + j); // n + z (h' - n)
        }
    }

    // ------------------------------------------------------------------ backward

    /**
     * Where backward writes gate {@code g}'s gradient of unit {@code j}: {@code dgRow + g * dgGate + at(j, dgPanel)}.
     * With {@code dgPanel = PANEL} and {@code dgGate = H} that is a row-major row; with
     * {@code dgPanel = rows * PANEL} (and {@code dgGate = H / PANEL * dgPanel}, {@code dgRow = row * PANEL})
     * the gate gradients of all rows are in {@link Gemm}'s panel layout, each column panel's rows contiguous.
     * Backward also writes them row-major into a step buffer at {@code stepRow + g * H + j}.
     */
    static int at(int j, int dgPanel) {
        return j / SimdSpecies.PANEL * dgPanel + j % SimdSpecies.PANEL;
    }

    /** {@code dG = dh act'}, {@code dh = dy + dhRun}. */
    static void rnnBackward(boolean relu, float[] dy, int dyOff, float[] dhRun, int dhOff, float[] gates, int gRow,
                            float[] dg, int dgRow, int dgPanel, float[] step, int stepRow, int j0, int j1) {
        for (int j = j0; j < j1; j += LANES) {
            FloatVector dh = FloatVector.fromArray(FLOAT, dy, dyOff + j).add(FloatVector.fromArray(FLOAT, dhRun, dhOff + j));
            FloatVector a = FloatVector.fromArray(FLOAT, gates, gRow + j);
            FloatVector d = relu ? dh.blend(0f, a.compare(VectorOperators.LE, 0f)) : dh.sub(dh.mul(a).mul(a));
            d.intoArray(dg, dgRow + at(j, dgPanel));
            d.intoArray(step, stepRow + j);
        }
    }

    /** LSTM: gate gradients into {@code dg}; {@code dcRun} becomes the gradient w.r.t. {@code c_{t-1}}. */
    static void lstmBackward(int hidden, float[] dy, int dyOff, float[] dhRun, int dhOff, float[] dcRun, int dcOff,
                             float[] gates, int gRow, float[] c, int cOff, float[] cPrev, int cPrevOff, float[] dg,
                             int dgRow, int dgGate, int dgPanel, float[] step, int stepRow, int j0, int j1) {
        FloatVector one = FloatVector.broadcast(FLOAT, 1f);
        for (int j = j0; j < j1; j += LANES) {
            int x = gRow + j, y = dgRow + at(j, dgPanel), z = stepRow + j;
            FloatVector dh = FloatVector.fromArray(FLOAT, dy, dyOff + j).add(FloatVector.fromArray(FLOAT, dhRun, dhOff + j));
            FloatVector i = FloatVector.fromArray(FLOAT, gates, x);
            FloatVector f = FloatVector.fromArray(FLOAT, gates, x + hidden);
            FloatVector g = FloatVector.fromArray(FLOAT, gates, x + 2 * hidden);
            FloatVector o = FloatVector.fromArray(FLOAT, gates, x + 3 * hidden);
            FloatVector tc = FloatVector.fromArray(FLOAT, c, cOff + j).lanewise(VectorOperators.TANH);
            FloatVector dc = dh.mul(o).mul(one.sub(tc.mul(tc))).add(FloatVector.fromArray(FLOAT, dcRun, dcOff + j));
            FloatVector di = dc.mul(g).mul(i.mul(one.sub(i)));
            FloatVector df = dc.mul(FloatVector.fromArray(FLOAT, cPrev, cPrevOff + j)).mul(f.mul(one.sub(f)));
            FloatVector dgg = dc.mul(i).mul(one.sub(g.mul(g)));
            FloatVector dout = dh.mul(tc).mul(o.mul(one.sub(o)));
            di.intoArray(dg, y);
            df.intoArray(dg, y + dgGate);
            dgg.intoArray(dg, y + 2 * dgGate);
            dout.intoArray(dg, y + 3 * dgGate);
            di.intoArray(step, z);
            df.intoArray(step, z + hidden);
            dgg.intoArray(step, z + 2 * hidden);
            dout.intoArray(step, z + 3 * hidden);
            dc.mul(f).intoArray(dcRun, dcOff + j);
        }
    }

    /**
     * GRU: input-side gate gradients into {@code dgx}, hidden-side into {@code dgh} (they differ in
     * the n gate by the factor r); {@code dhRun} becomes {@code dh z}, the direct part of the
     * gradient w.r.t. {@code h_{t-1}} (the matrix part is added by the caller).
     */
    static void gruBackward(int hidden, float[] dy, int dyOff, float[] dhRun, int dhOff, float[] gates, int gRow,
                            float[] hnl, int hnlOff, float[] hPrev, int hPrevOff, float[] dgx, float[] dgh, int dgRow,
                            int dgGate, int dgPanel, float[] stepX, float[] stepH, int stepRow, int j0, int j1) {
        FloatVector one = FloatVector.broadcast(FLOAT, 1f);
        for (int j = j0; j < j1; j += LANES) {
            int x = gRow + j, y = dgRow + at(j, dgPanel), q = stepRow + j;
            FloatVector dh = FloatVector.fromArray(FLOAT, dy, dyOff + j).add(FloatVector.fromArray(FLOAT, dhRun, dhOff + j));
            FloatVector r = FloatVector.fromArray(FLOAT, gates, x);
            FloatVector z = FloatVector.fromArray(FLOAT, gates, x + hidden);
            FloatVector n = FloatVector.fromArray(FLOAT, gates, x + 2 * hidden);
            FloatVector dan = dh.mul(one.sub(z)).mul(one.sub(n.mul(n)));
            FloatVector dr = dan.mul(FloatVector.fromArray(FLOAT, hnl, hnlOff + j)).mul(r.mul(one.sub(r)));
            FloatVector dz = dh.mul(FloatVector.fromArray(FLOAT, hPrev, hPrevOff + j).sub(n)).mul(z.mul(one.sub(z)));
            FloatVector danr = dan.mul(r);
            dr.intoArray(dgx, y);
            dr.intoArray(dgh, y);
            dz.intoArray(dgx, y + dgGate);
            dz.intoArray(dgh, y + dgGate);
            dan.intoArray(dgx, y + 2 * dgGate);
            danr.intoArray(dgh, y + 2 * dgGate);
            dr.intoArray(stepX, q);
            dr.intoArray(stepH, q);
            dz.intoArray(stepX, q + hidden);
            dz.intoArray(stepH, q + hidden);
            dan.intoArray(stepX, q + 2 * hidden);
            danr.intoArray(stepH, q + 2 * hidden);
            dh.mul(z).intoArray(dhRun, dhOff + j);
        }
    }
}
