package dev.jrnn.core.scalar;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Backpropagation through time of the reference algorithm against central finite differences, in
 * double precision, for every cell, 1-3 layers, both directions and odd sizes. The loss is
 * {@code sum(y * dy) + sum(h_n * dh_n) + sum(c_n * dc_n)}; each gradient (input, h_0, c_0, every
 * weight and bias of every layer and direction) is checked on its own along random directions
 * {@code v}: {@code <grad, v> = (L(p + eps v) - L(p - eps v)) / (2 eps)}. Batches of several
 * sequences run once with equal lengths and once with unsorted lengths including 1 and {@code T}.
 */
class ReferenceRnnGradientTest {

    private static final double EPS = 1e-6;
    private static final double TOLERANCE = 1e-6;

    /** {T, N, I, H} */
    private static final int[][] SHAPES = {{1, 1, 1, 1}, {3, 2, 7, 3}, {17, 3, 3, 7}, {2, 1, 17, 17}};

    record Case(RnnDescriptor d, int[] lengths) {
        @Override
        public String toString() {
            return d + (lengths == null ? "" : " lengths " + java.util.Arrays.toString(lengths));
        }
    }

    /** Unsorted lengths with 1 and {@code T} among them (for {@code N >= 2}). */
    static int[] mixedLengths(int steps, int batch) {
        int[] lengths = new int[batch];
        for (int n = 0; n < batch; n++) {
            lengths[n] = n == batch - 2 ? steps : 1 + (n * 5 + 1) % steps;
        }
        lengths[batch - 1] = 1;
        if (batch > 2) {
            lengths[0] = Math.max(1, steps - 1);
        }
        return lengths;
    }

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (CellKind cell : CellKind.values()) {
            for (Direction direction : Direction.values()) {
                for (int layers = 1; layers <= 3; layers++) {
                    for (int[] s : SHAPES) {
                        RnnDescriptor d = new RnnDescriptor(cell, layers, direction, s[0], s[1], s[2], s[3]);
                        cases.add(new Case(d, null));
                        if (s[1] > 1) {
                            cases.add(new Case(d, mixedLengths(s[0], s[1])));
                        }
                    }
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void gradientsMatchCentralDifferences(Case c) {
        RnnDescriptor d = c.d();
        SplittableRandom random = new SplittableRandom(c.toString().hashCode());
        double[][][][] weights = new double[d.layers()][d.directions()][4][];
        for (int l = 0; l < d.layers(); l++) {
            for (int dir = 0; dir < d.directions(); dir++) {
                int rows = d.gates() * d.hiddenSize();
                weights[l][dir][ReferenceRnn.WIH] = uniform(random, rows * d.layerInputSize(l), 0.7);
                weights[l][dir][ReferenceRnn.WHH] = uniform(random, rows * d.hiddenSize(), 0.7);
                weights[l][dir][ReferenceRnn.BIH] = uniform(random, rows, 0.7);
                weights[l][dir][ReferenceRnn.BHH] = uniform(random, rows, 0.7);
            }
        }
        ReferenceRnn rnn = new ReferenceRnn(d.architecture(), weights);
        ReferenceRnn.Trace tr = trace(rnn, d, c.lengths());
        fill(random, tr.layerIn[0]);
        fill(random, tr.h0);
        if (d.cell().hasCellState()) {
            fill(random, tr.c0);
        }
        double[] dy = uniform(random, tr.dOutTop.length, 1);
        double[] dhn = uniform(random, tr.hn.length, 1);
        double[] dcn = d.cell().hasCellState() ? uniform(random, tr.cn.length, 1) : null;

        rnn.forward(tr);
        System.arraycopy(dy, 0, tr.dOutTop, 0, dy.length);
        rnn.backward(tr, dhn, dcn);

        ReferenceRnn.Trace probe = trace(rnn, d, c.lengths()); // finite differences run here, leaving tr's gradients intact
        System.arraycopy(tr.layerIn[0], 0, probe.layerIn[0], 0, tr.layerIn[0].length);
        System.arraycopy(tr.h0, 0, probe.h0, 0, tr.h0.length);
        System.arraycopy(tr.c0, 0, probe.c0, 0, tr.c0.length);
        Loss loss = () -> {
            rnn.forward(probe);
            double sum = dot(probe.out[d.layers() - 1], dy) + dot(probe.hn, dhn);
            return dcn == null ? sum : sum + dot(probe.cn, dcn);
        };

        check("input", probe.layerIn[0], tr.dx, loss, random);
        check("h0", probe.h0, tr.dh0, loss, random);
        if (d.cell().hasCellState()) {
            check("c0", probe.c0, tr.dc0, loss, random);
        }
        String[] names = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
        for (int l = 0; l < d.layers(); l++) {
            for (int dir = 0; dir < d.directions(); dir++) {
                for (int p = 0; p < 4; p++) {
                    check(names[p] + "_l" + l + (dir == 1 ? "_reverse" : ""), weights[l][dir][p],
                            tr.dWeights[l][dir][p], loss, random);
                }
            }
        }
    }

    private static ReferenceRnn.Trace trace(ReferenceRnn rnn, RnnDescriptor d, int[] lengths) {
        ReferenceRnn.Trace tr = rnn.newTrace(d.steps() * d.batch(), d.batch());
        tr.steps = d.steps();
        tr.batch = d.batch();
        for (int n = 0; n < d.batch(); n++) {
            tr.len[n] = lengths == null ? d.steps() : lengths[n];
        }
        return tr;
    }

    private interface Loss {
        double value();
    }

    /** Checks {@code gradient} of {@code loss} w.r.t. {@code parameter} (perturbed in place, then restored). */
    private static void check(String what, double[] parameter, double[] gradient, Loss loss, SplittableRandom random) {
        for (int trial = 0; trial < 2; trial++) {
            double[] v = uniform(random, parameter.length, 1);
            double[] saved = parameter.clone();
            for (int i = 0; i < v.length; i++) {
                parameter[i] = saved[i] + EPS * v[i];
            }
            double plus = loss.value();
            for (int i = 0; i < v.length; i++) {
                parameter[i] = saved[i] - EPS * v[i];
            }
            double minus = loss.value();
            System.arraycopy(saved, 0, parameter, 0, saved.length);
            double numeric = (plus - minus) / (2 * EPS);
            double analytic = dot(gradient, v);
            assertEquals(numeric, analytic, TOLERANCE * Math.max(1, Math.abs(numeric)),
                    what + ": directional derivative");
        }
    }

    private static double[] uniform(SplittableRandom random, int n, double bound) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            a[i] = random.nextDouble(-bound, bound);
        }
        return a;
    }

    private static void fill(SplittableRandom random, double[] a) {
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextDouble(-1, 1);
        }
    }

    private static double dot(double[] a, double[] b) {
        return ReferenceRnn.dot(a, 0, b, 0, a.length);
    }
}
