package dev.jrnn.simd;

import static dev.jrnn.simd.SimdSpecies.FLOAT;
import static dev.jrnn.simd.SimdSpecies.LANES;
import static dev.jrnn.simd.VectorMath.sigmoid;
import static dev.jrnn.simd.VectorMath.tanh;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * The fused pointwise passes of each cell, for one sequence (row) and hidden units
 * {@code [j0, j1)}: activations and the state update in one sweep, forward; the gate gradients
 * and the state gradients in one sweep, backward. Gate rows are gate-major, {@code G * H} wide.
 * Forward writes the activated gates over their pre-activations ({@code gx}), which is what
 * backward reads. Equations: {@link dev.jrnn.core.rnn.CellKind}.
 */
final class Cells {

    private Cells() {
    }

    private static FloatVector load(float[] a, int off, VectorMask<Float> m) {
        return FloatVector.fromArray(FLOAT, a, off, m);
    }

    private static FloatVector one() {
        return FloatVector.broadcast(FLOAT, 1f);
    }

    // ------------------------------------------------------------------ forward

    /** {@code h = act(gx + gh)}; the activation is kept in {@code gx}. */
    static void rnnForward(boolean relu, float[] gx, int gxRow, float[] gh, int ghRow, float[] h, int hOff,
                           int j0, int j1) {
        for (int j = j0; j < j1; j += LANES) {
            VectorMask<Float> m = FLOAT.indexInRange(j, j1);
            FloatVector a = load(gx, gxRow + j, m).add(load(gh, ghRow + j, m));
            a = relu ? a.max(0f) : tanh(a);
            a.intoArray(gx, gxRow + j, m);
            a.intoArray(h, hOff + j, m);
        }
    }

    /** LSTM: gates i, f, g, o; {@code c = f c' + i g}, {@code h = o tanh(c)}. */
    static void lstmForward(int hidden, float[] gx, int gxRow, float[] gh, int ghRow, float[] cPrev, int cPrevOff,
                            float[] c, int cOff, float[] h, int hOff, int j0, int j1) {
        for (int j = j0; j < j1; j += LANES) {
            VectorMask<Float> m = FLOAT.indexInRange(j, j1);
            int x = gxRow + j, y = ghRow + j;
            FloatVector i = sigmoid(load(gx, x, m).add(load(gh, y, m)));
            FloatVector f = sigmoid(load(gx, x + hidden, m).add(load(gh, y + hidden, m)));
            FloatVector g = tanh(load(gx, x + 2 * hidden, m).add(load(gh, y + 2 * hidden, m)));
            FloatVector o = sigmoid(load(gx, x + 3 * hidden, m).add(load(gh, y + 3 * hidden, m)));
            FloatVector cv = f.fma(load(cPrev, cPrevOff + j, m), i.mul(g));
            i.intoArray(gx, x, m);
            f.intoArray(gx, x + hidden, m);
            g.intoArray(gx, x + 2 * hidden, m);
            o.intoArray(gx, x + 3 * hidden, m);
            cv.intoArray(c, cOff + j, m);
            o.mul(tanh(cv)).intoArray(h, hOff + j, m);
        }
    }

    /**
     * GRU (linear before reset): gates r, z, n; {@code hn = gh_n + b_hn} is kept for backward;
     * {@code h = (1 - z) n + z h'}. {@code gx} holds {@code W_i x + b_i} plus {@code b_hr, b_hz}.
     */
    static void gruForward(int hidden, float[] gx, int gxRow, float[] gh, int ghRow, float[] bhn, float[] hPrev,
                           int hPrevOff, float[] hnl, int hnlOff, float[] h, int hOff, int j0, int j1) {
        for (int j = j0; j < j1; j += LANES) {
            VectorMask<Float> m = FLOAT.indexInRange(j, j1);
            int x = gxRow + j, y = ghRow + j;
            FloatVector r = sigmoid(load(gx, x, m).add(load(gh, y, m)));
            FloatVector z = sigmoid(load(gx, x + hidden, m).add(load(gh, y + hidden, m)));
            FloatVector hn = load(gh, y + 2 * hidden, m).add(load(bhn, j, m));
            FloatVector n = tanh(r.fma(hn, load(gx, x + 2 * hidden, m)));
            FloatVector hp = load(hPrev, hPrevOff + j, m);
            r.intoArray(gx, x, m);
            z.intoArray(gx, x + hidden, m);
            n.intoArray(gx, x + 2 * hidden, m);
            hn.intoArray(hnl, hnlOff + j, m);
            z.fma(hp.sub(n), n).intoArray(h, hOff + j, m); // n + z (h' - n)
        }
    }

    // ------------------------------------------------------------------ backward

    /** {@code dG = dh act'}, {@code dh = dy + dhRun}. */
    static void rnnBackward(boolean relu, float[] dy, int dyOff, float[] dhRun, int dhOff, float[] gates, int gRow,
                            float[] dg, int dgRow, int j0, int j1) {
        for (int j = j0; j < j1; j += LANES) {
            VectorMask<Float> m = FLOAT.indexInRange(j, j1);
            FloatVector dh = load(dy, dyOff + j, m).add(load(dhRun, dhOff + j, m));
            FloatVector a = load(gates, gRow + j, m);
            FloatVector d = relu ? dh.blend(0f, a.compare(VectorOperators.LE, 0f)) : dh.mul(one().sub(a.mul(a)));
            d.intoArray(dg, dgRow + j, m);
        }
    }

    /** LSTM: gate gradients into {@code dg}; {@code dcRun} becomes the gradient w.r.t. {@code c_{t-1}}. */
    static void lstmBackward(int hidden, float[] dy, int dyOff, float[] dhRun, int dhOff, float[] dcRun, int dcOff,
                             float[] gates, int gRow, float[] c, int cOff, float[] cPrev, int cPrevOff, float[] dg,
                             int dgRow, int j0, int j1) {
        for (int j = j0; j < j1; j += LANES) {
            VectorMask<Float> m = FLOAT.indexInRange(j, j1);
            int x = gRow + j, y = dgRow + j;
            FloatVector dh = load(dy, dyOff + j, m).add(load(dhRun, dhOff + j, m));
            FloatVector i = load(gates, x, m), f = load(gates, x + hidden, m);
            FloatVector g = load(gates, x + 2 * hidden, m), o = load(gates, x + 3 * hidden, m);
            FloatVector tc = tanh(load(c, cOff + j, m));
            FloatVector dc = dh.mul(o).mul(one().sub(tc.mul(tc))).add(load(dcRun, dcOff + j, m));
            dc.mul(g).mul(i.mul(one().sub(i))).intoArray(dg, y, m);
            dc.mul(load(cPrev, cPrevOff + j, m)).mul(f.mul(one().sub(f))).intoArray(dg, y + hidden, m);
            dc.mul(i).mul(one().sub(g.mul(g))).intoArray(dg, y + 2 * hidden, m);
            dh.mul(tc).mul(o.mul(one().sub(o))).intoArray(dg, y + 3 * hidden, m);
            dc.mul(f).intoArray(dcRun, dcOff + j, m);
        }
    }

    /**
     * GRU: input-side gate gradients into {@code dgx}, hidden-side into {@code dgh} (they differ in
     * the n gate by the factor r); {@code dhRun} becomes {@code dh z}, the direct part of the
     * gradient w.r.t. {@code h_{t-1}} (the matrix part is added by the caller).
     */
    static void gruBackward(int hidden, float[] dy, int dyOff, float[] dhRun, int dhOff, float[] gates, int gRow,
                            float[] hnl, int hnlOff, float[] hPrev, int hPrevOff, float[] dgx, float[] dgh, int dgRow,
                            int j0, int j1) {
        for (int j = j0; j < j1; j += LANES) {
            VectorMask<Float> m = FLOAT.indexInRange(j, j1);
            int x = gRow + j, y = dgRow + j;
            FloatVector dh = load(dy, dyOff + j, m).add(load(dhRun, dhOff + j, m));
            FloatVector r = load(gates, x, m), z = load(gates, x + hidden, m), n = load(gates, x + 2 * hidden, m);
            FloatVector dan = dh.mul(one().sub(z)).mul(one().sub(n.mul(n)));
            FloatVector dr = dan.mul(load(hnl, hnlOff + j, m)).mul(r.mul(one().sub(r)));
            FloatVector dz = dh.mul(load(hPrev, hPrevOff + j, m).sub(n)).mul(z.mul(one().sub(z)));
            dr.intoArray(dgx, y, m);
            dr.intoArray(dgh, y, m);
            dz.intoArray(dgx, y + hidden, m);
            dz.intoArray(dgh, y + hidden, m);
            dan.intoArray(dgx, y + 2 * hidden, m);
            dan.mul(r).intoArray(dgh, y + 2 * hidden, m);
            dh.mul(z).intoArray(dhRun, dhOff + j, m);
        }
    }
}
