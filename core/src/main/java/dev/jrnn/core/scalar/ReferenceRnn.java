package dev.jrnn.core.scalar;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.rnn.RnnWeights.Param;
import dev.jrnn.core.tensor.FloatTensor;

/**
 * The reference algorithm: forward and backpropagation through time for every cell, layer count
 * and direction, in double precision, written for the reader. Plain loops, one accumulator per dot
 * product, the equations of {@link CellKind}. Every other backend is tested against it, and it is
 * tested against PyTorch and against central finite differences of itself.
 *
 * <p>Flat row-major arrays throughout: sequences {@code [T][N][C]}, states {@code [L*D][N][H]},
 * weights in PyTorch's layout. Sequence {@code n} is {@code len[n]} steps long (padded
 * sequences: PyTorch's packed sequences): layer {@code l}, direction {@code dir} processes its step
 * {@code t = dir == 0 ? s : len[n]-1-s} at its {@code s}-th step, for {@code s < len[n]}, and writes
 * {@code h} to channels {@code [dir*H, (dir+1)*H)} of its output; outputs past a sequence's end stay
 * zero and its final state is the one after its own last step.
 */
final class ReferenceRnn {

    static final int WIH = Param.WEIGHT_IH.ordinal();
    static final int WHH = Param.WEIGHT_HH.ordinal();
    static final int BIH = Param.BIAS_IH.ordinal();
    static final int BHH = Param.BIAS_HH.ordinal();

    final RnnArchitecture d;
    final CellKind cell;
    final int hidden, dirs, gateRows;
    /** [layer][direction][param]: flat PyTorch-layout parameters. */
    final double[][][][] weights;

    ReferenceRnn(RnnArchitecture d, double[][][][] weights) {
        this.d = d;
        this.cell = d.cell();
        this.hidden = d.hiddenSize();
        this.dirs = d.directions();
        this.gateRows = d.gates() * d.hiddenSize();
        this.weights = weights;
    }

    /** Replaces the weights by {@code w}'s, in place. */
    void update(RnnWeights w) {
        for (int l = 0; l < d.layers(); l++) {
            for (int dir = 0; dir < d.directions(); dir++) {
                for (Param p : Param.values()) {
                    read(w.get(p, l, dir), weights[l][dir][p.ordinal()], weights[l][dir][p.ordinal()].length);
                }
            }
        }
    }

    static ReferenceRnn of(RnnArchitecture d, RnnWeights w) {
        double[][][][] weights = new double[d.layers()][d.directions()][Param.values().length][];
        for (int l = 0; l < d.layers(); l++) {
            for (int dir = 0; dir < d.directions(); dir++) {
                for (Param p : Param.values()) {
                    weights[l][dir][p.ordinal()] = toDoubles(w.get(p, l, dir));
                }
            }
        }
        return new ReferenceRnn(d, weights);
    }

    static double[] toDoubles(FloatTensor t) {
        double[] out = new double[Math.toIntExact(t.size())];
        read(t, out, out.length);
        return out;
    }

    /** Copies the first {@code count} elements of {@code t} in row-major order into {@code out}. */
    static void read(FloatTensor t, double[] out, int count) {
        for (int i = 0; i < count; i++) {
            out[i] = t.getFlat(i);
        }
    }

    /** Copies {@code count} values in row-major order into {@code t}, rounding to float. */
    static void write(double[] values, FloatTensor t, int count) {
        for (int i = 0; i < count; i++) {
            t.setFlat(i, (float) values[i]);
        }
    }

    /** A trace for problems of up to {@code rows} = T * N rows and {@code batch} sequences. */
    Trace newTrace(int rows, int batch) {
        return new Trace(this, rows, batch);
    }

    /**
     * Everything one caller's forward and backward need: inputs, per-step activations, gradients.
     * Sized for a capacity; each call sets {@link #steps}, {@link #batch} and {@link #len}.
     */
    static final class Trace {
        final int rowCapacity, batchCapacity;
        int steps, batch;
        final int[] len;
        /** [layer] inputs: [0] is the input sequence, [l] aliases out[l-1]. */
        final double[][] layerIn;
        /** [layer] outputs [T][N][D*H]. */
        final double[][] out;
        /** [layer][dir] post-activation gates [T][N][G*H] (GRU: r, z, n). */
        final double[][][] gates;
        /** [layer][dir] LSTM cell states c_t [T][N][H]. */
        final double[][][] cells;
        /** [layer][dir] GRU W_hn h_{t-1} + b_hn [T][N][H], needed for the reset gate's gradient. */
        final double[][][] hnLinear;
        final double[] h0, c0, hn, cn;

        /** Gradients in: w.r.t. the output sequence and the final states. */
        final double[] dOutTop, dhn, dcn;
        /** Gradients out: input sequence, initial states, and [layer][dir][param] weights. */
        final double[] dx, dh0, dc0;
        final double[][][][] dWeights;
        /** [layer] gradient w.r.t. that layer's input (dx for layer 0). */
        final double[][] dLayerIn;

        // scratch
        final double[] preX, preH, dPreX, dPreH, dhNext, dcNext, dhPrev;

        Trace(ReferenceRnn r, int tn, int batch) {
            RnnArchitecture d = r.d;
            rowCapacity = tn;
            batchCapacity = batch;
            len = new int[batch];
            int layers = d.layers(), h = r.hidden;
            int states = layers * r.dirs * batch * h;
            layerIn = new double[layers][];
            out = new double[layers][];
            gates = new double[layers][r.dirs][];
            cells = new double[layers][r.dirs][];
            hnLinear = new double[layers][r.dirs][];
            dLayerIn = new double[layers][];
            dWeights = new double[layers][r.dirs][][];
            for (int l = 0; l < layers; l++) {
                out[l] = new double[tn * d.outputSize()];
                layerIn[l] = l == 0 ? new double[tn * d.inputSize()] : out[l - 1];
                dLayerIn[l] = new double[tn * d.layerInputSize(l)];
                for (int dir = 0; dir < r.dirs; dir++) {
                    gates[l][dir] = new double[tn * r.gateRows];
                    cells[l][dir] = r.cell == CellKind.LSTM ? new double[tn * h] : null;
                    hnLinear[l][dir] = r.cell == CellKind.GRU ? new double[tn * h] : null;
                    dWeights[l][dir] = new double[4][];
                    for (int p = 0; p < 4; p++) {
                        dWeights[l][dir][p] = new double[r.weights[l][dir][p].length];
                    }
                }
            }
            h0 = new double[states];
            c0 = new double[states];
            hn = new double[states];
            cn = new double[states];
            dx = dLayerIn[0];
            dh0 = new double[states];
            dhn = new double[states];
            dcn = new double[states];
            dc0 = new double[states];
            dOutTop = new double[tn * d.outputSize()];
            preX = new double[r.gateRows];
            preH = new double[r.gateRows];
            dPreX = new double[r.gateRows];
            dPreH = new double[r.gateRows];
            dhNext = new double[batch * h];
            dcNext = new double[batch * h];
            dhPrev = new double[h];
        }
    }

    // ---------------------------------------------------------------- forward

    /** Runs the stack on {@code tr.layerIn[0]}, {@code tr.h0}, {@code tr.c0}; fills the rest of the forward part of {@code tr}. */
    void forward(Trace tr) {
        for (int l = 0; l < d.layers(); l++) {
            java.util.Arrays.fill(tr.out[l], 0, tr.steps * tr.batch * d.outputSize(), 0); // zero past each end
            for (int dir = 0; dir < dirs; dir++) {
                forwardLayer(tr, l, dir);
            }
        }
    }

    private void forwardLayer(Trace tr, int l, int dir) {
        int in = d.layerInputSize(l), outC = d.outputSize(), h = hidden, steps = tr.steps, batch = tr.batch;
        double[] x = tr.layerIn[l], y = tr.out[l], gates = tr.gates[l][dir];
        double[] cells = tr.cells[l][dir], hnLin = tr.hnLinear[l][dir];
        double[][] w = weights[l][dir];
        int state = (l * dirs + dir) * batch * h;
        for (int s = 0; s < steps; s++) {
            for (int n = 0; n < batch; n++) {
                int len = tr.len[n];
                if (s >= len) {
                    continue; // past this sequence's end
                }
                int t = dir == 0 ? s : len - 1 - s;
                int tPrev = dir == 0 ? t - 1 : t + 1;
                // h_{t-1} and c_{t-1}: the initial state or the previous step's
                double[] hSrc = s == 0 ? tr.h0 : y;
                int hOff = s == 0 ? state + n * h : (tPrev * batch + n) * outC + dir * h;
                double[] cSrc = s == 0 ? tr.c0 : cells;
                int cOff = s == 0 ? state + n * h : (tPrev * batch + n) * h;
                int xOff = (t * batch + n) * in;
                for (int r = 0; r < gateRows; r++) {
                    tr.preX[r] = w[BIH][r] + dot(w[WIH], r * in, x, xOff, in);
                    tr.preH[r] = w[BHH][r] + dot(w[WHH], r * h, hSrc, hOff, h);
                }
                int g = (t * batch + n) * gateRows;
                int yOff = (t * batch + n) * outC + dir * h;
                int cell1 = (t * batch + n) * h;
                for (int j = 0; j < h; j++) {
                    double hNew;
                    switch (cell) {
                        case RNN_TANH -> hNew = gates[g + j] = Math.tanh(tr.preX[j] + tr.preH[j]);
                        case RNN_RELU -> hNew = gates[g + j] = Math.max(0.0, tr.preX[j] + tr.preH[j]);
                        case LSTM -> {
                            double i = sigmoid(tr.preX[j] + tr.preH[j]);
                            double f = sigmoid(tr.preX[h + j] + tr.preH[h + j]);
                            double gg = Math.tanh(tr.preX[2 * h + j] + tr.preH[2 * h + j]);
                            double o = sigmoid(tr.preX[3 * h + j] + tr.preH[3 * h + j]);
                            double c = f * cSrc[cOff + j] + i * gg;
                            gates[g + j] = i;
                            gates[g + h + j] = f;
                            gates[g + 2 * h + j] = gg;
                            gates[g + 3 * h + j] = o;
                            cells[cell1 + j] = c;
                            hNew = o * Math.tanh(c);
                        }
                        case GRU -> {
                            double r = sigmoid(tr.preX[j] + tr.preH[j]);
                            double z = sigmoid(tr.preX[h + j] + tr.preH[h + j]);
                            double nn = Math.tanh(tr.preX[2 * h + j] + r * tr.preH[2 * h + j]);
                            gates[g + j] = r;
                            gates[g + h + j] = z;
                            gates[g + 2 * h + j] = nn;
                            hnLin[cell1 + j] = tr.preH[2 * h + j];
                            hNew = (1 - z) * nn + z * hSrc[hOff + j];
                        }
                        default -> throw new AssertionError(cell);
                    }
                    y[yOff + j] = hNew;
                }
            }
        }
        // final states: the state after each sequence's last step in this direction
        for (int n = 0; n < batch; n++) {
            int tLast = dir == 0 ? tr.len[n] - 1 : 0;
            for (int j = 0; j < h; j++) {
                tr.hn[state + n * h + j] = y[(tLast * batch + n) * outC + dir * h + j];
                tr.cn[state + n * h + j] = cells == null ? 0 : cells[(tLast * batch + n) * h + j];
            }
        }
    }

    // ---------------------------------------------------------------- backward

    /**
     * Backpropagation through time for the forward recorded in {@code tr}, given the gradients of
     * the loss w.r.t. the output sequence ({@code tr.dOutTop}) and the final states (the
     * arguments; null for zeros). Overwrites {@code tr.dx}, {@code tr.dh0}, {@code tr.dc0} and
     * {@code tr.dWeights}.
     */
    void backward(Trace tr, double[] dhn, double[] dcn) {
        double[] dOut = tr.dOutTop;
        for (int l = d.layers() - 1; l >= 0; l--) {
            java.util.Arrays.fill(tr.dLayerIn[l], 0); // zero past each end
            for (int dir = 0; dir < dirs; dir++) {
                for (double[] dw : tr.dWeights[l][dir]) {
                    java.util.Arrays.fill(dw, 0);
                }
                backwardLayer(tr, l, dir, dOut, dhn, dcn);
            }
            dOut = tr.dLayerIn[l];
        }
    }

    private void backwardLayer(Trace tr, int l, int dir, double[] dOut, double[] dhn, double[] dcn) {
        int in = d.layerInputSize(l), outC = d.outputSize(), h = hidden, steps = tr.steps, batch = tr.batch;
        double[] x = tr.layerIn[l], y = tr.out[l], gates = tr.gates[l][dir];
        double[] cells = tr.cells[l][dir], hnLin = tr.hnLinear[l][dir];
        double[][] w = weights[l][dir], dw = tr.dWeights[l][dir];
        double[] dxl = tr.dLayerIn[l], dhNext = tr.dhNext, dcNext = tr.dcNext;
        int state = (l * dirs + dir) * batch * h;
        for (int i = 0; i < batch * h; i++) {
            dhNext[i] = dhn == null ? 0 : dhn[state + i];
            dcNext[i] = dcn == null ? 0 : dcn[state + i];
        }
        for (int s = steps - 1; s >= 0; s--) {
            for (int n = 0; n < batch; n++) {
                int len = tr.len[n];
                if (s >= len) {
                    continue; // past this sequence's end: its output gradients there are ignored
                }
                int t = dir == 0 ? s : len - 1 - s;
                int tPrev = dir == 0 ? t - 1 : t + 1;
                double[] hSrc = s == 0 ? tr.h0 : y;
                int hOff = s == 0 ? state + n * h : (tPrev * batch + n) * outC + dir * h;
                double[] cSrc = s == 0 ? tr.c0 : cells;
                int cOff = s == 0 ? state + n * h : (tPrev * batch + n) * h;
                int xOff = (t * batch + n) * in;
                int g = (t * batch + n) * gateRows;
                int cell1 = (t * batch + n) * h;
                int yOff = (t * batch + n) * outC + dir * h;
                double[] dPreX = tr.dPreX, dPreH = tr.dPreH, dhPrev = tr.dhPrev;
                for (int j = 0; j < h; j++) {
                    double dh = dOut[yOff + j] + dhNext[n * h + j];
                    dhPrev[j] = 0;
                    switch (cell) {
                        case RNN_TANH -> {
                            double a = gates[g + j];
                            dPreX[j] = dPreH[j] = dh * (1 - a * a);
                        }
                        case RNN_RELU -> dPreX[j] = dPreH[j] = gates[g + j] > 0 ? dh : 0;
                        case LSTM -> {
                            double i = gates[g + j], f = gates[g + h + j];
                            double gg = gates[g + 2 * h + j], o = gates[g + 3 * h + j];
                            double tc = Math.tanh(cells[cell1 + j]);
                            double dc = dcNext[n * h + j] + dh * o * (1 - tc * tc);
                            dPreX[j] = dc * gg * i * (1 - i);
                            dPreX[h + j] = dc * cSrc[cOff + j] * f * (1 - f);
                            dPreX[2 * h + j] = dc * i * (1 - gg * gg);
                            dPreX[3 * h + j] = dh * tc * o * (1 - o);
                            for (int k = 0; k < 4; k++) {
                                dPreH[k * h + j] = dPreX[k * h + j];
                            }
                            dcNext[n * h + j] = dc * f; // becomes dc_{t-1}
                        }
                        case GRU -> {
                            double r = gates[g + j], z = gates[g + h + j], nn = gates[g + 2 * h + j];
                            double dan = dh * (1 - z) * (1 - nn * nn);
                            dPreX[j] = dPreH[j] = dan * hnLin[cell1 + j] * r * (1 - r);
                            dPreX[h + j] = dPreH[h + j] = dh * (hSrc[hOff + j] - nn) * z * (1 - z);
                            dPreX[2 * h + j] = dan;
                            dPreH[2 * h + j] = dan * r;
                            dhPrev[j] = dh * z;
                        }
                        default -> throw new AssertionError(cell);
                    }
                }
                for (int r = 0; r < gateRows; r++) {
                    double gx = dPreX[r], gh = dPreH[r];
                    dw[BIH][r] += gx;
                    dw[BHH][r] += gh;
                    for (int k = 0; k < in; k++) {
                        dw[WIH][r * in + k] += gx * x[xOff + k];
                        dxl[xOff + k] += w[WIH][r * in + k] * gx;
                    }
                    for (int k = 0; k < h; k++) {
                        dw[WHH][r * h + k] += gh * hSrc[hOff + k];
                        dhPrev[k] += w[WHH][r * h + k] * gh;
                    }
                }
                System.arraycopy(dhPrev, 0, dhNext, n * h, h);
            }
        }
        System.arraycopy(dhNext, 0, tr.dh0, state, batch * h);
        System.arraycopy(dcNext, 0, tr.dc0, state, batch * h);
    }

    // ---------------------------------------------------------------- helpers

    static double dot(double[] a, int aOff, double[] b, int bOff, int n) {
        double sum = 0;
        for (int k = 0; k < n; k++) {
            sum += a[aOff + k] * b[bOff + k];
        }
        return sum;
    }

    static double sigmoid(double x) {
        return 1 / (1 + Math.exp(-x));
    }
}
