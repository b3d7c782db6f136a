package dev.jrnn.core.scalar;

import dev.jrnn.core.spi.DenseKernels;

/**
 * The reference dense kernels: plain loops, sums in double, one rounding when a float is written.
 * Written to be read and to be right (the oracle of the other backends), not to be fast.
 */
public final class ReferenceDense extends DenseKernels {

    private static final ReferenceDense INSTANCE = new ReferenceDense();

    private ReferenceDense() {
    }

    public static ReferenceDense instance() {
        return INSTANCE;
    }

    @Override
    public String name() {
        return ReferenceBackend.NAME;
    }

    @Override
    protected void gemmUnchecked(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int aOff,
                                 int lda, float[] b, int bOff, int ldb, float beta, float[] c, int cOff, int ldc,
                                 float[] bias, int biasOff) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int p = 0; p < k; p++) {
                    float aip = transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p];
                    float bpj = transB ? b[bOff + j * ldb + p] : b[bOff + p * ldb + j];
                    sum += (double) aip * bpj;
                }
                int at = cOff + i * ldc + j;
                double value = alpha * sum + (beta == 0 ? 0 : (double) beta * c[at]); // beta 0: C is not read
                if (bias != null) {
                    value += bias[biasOff + j];
                }
                c[at] = (float) value;
            }
        }
    }

    @Override
    protected void addColumnSumsUnchecked(int m, int n, float[] a, int aOff, int lda, float[] y, int yOff) {
        for (int j = 0; j < n; j++) {
            double sum = y[yOff + j];
            for (int i = 0; i < m; i++) {
                sum += a[aOff + i * lda + j];
            }
            y[yOff + j] = (float) sum;
        }
    }

    @Override
    protected void gatherUnchecked(int count, int dim, int[] ids, int idsOff, float[] table, int tableOff, float[] out,
                                   int outOff, int ldo) {
        for (int r = 0; r < count; r++) {
            int from = tableOff + ids[idsOff + r] * dim;
            for (int k = 0; k < dim; k++) {
                out[outOff + r * ldo + k] = table[from + k];
            }
        }
    }

    @Override
    protected void scatterAddUnchecked(int count, int dim, int[] ids, int idsOff, float[] src, int srcOff, int lds,
                                       float[] table, int tableOff) {
        for (int r = 0; r < count; r++) {
            int to = tableOff + ids[idsOff + r] * dim;
            for (int k = 0; k < dim; k++) {
                table[to + k] += src[srcOff + r * lds + k];
            }
        }
    }

    @Override
    protected double softmaxCrossEntropyUnchecked(int rows, int classes, float[] logits, int lOff, int ldl,
                                                  int[] targets, int tOff, int ignoreIndex, float gradScale,
                                                  float[] grad, int gOff, int ldg) {
        double total = 0;
        for (int r = 0; r < rows; r++) {
            int z = lOff + r * ldl, target = targets[tOff + r];
            if (target == ignoreIndex) {
                if (grad != null) {
                    for (int c = 0; c < classes; c++) {
                        grad[gOff + r * ldg + c] = 0f;
                    }
                }
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, logits[z + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(logits[z + c] - max);
            }
            double logSum = max + Math.log(sum);
            total += logSum - logits[z + target];
            if (grad != null) {
                for (int c = 0; c < classes; c++) {
                    double p = Math.exp(logits[z + c] - logSum); // read before the write: grad may be logits
                    grad[gOff + r * ldg + c] = (float) (gradScale * (p - (c == target ? 1 : 0)));
                }
            }
        }
        return total;
    }

    @Override
    protected void softmaxRowsUnchecked(int rows, int n, float[] x, int off, int ld) {
        for (int r = 0; r < rows; r++) {
            int at = off + r * ld;
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int c = 0; c < n; c++) {
                max = Math.max(max, x[at + c]);
            }
            for (int c = 0; c < n; c++) {
                sum += Math.exp(x[at + c] - max);
            }
            for (int c = 0; c < n; c++) {
                x[at + c] = (float) (Math.exp(x[at + c] - max) / sum);
            }
        }
    }

    @Override
    protected void softmaxBackwardRowsUnchecked(int rows, int n, float[] p, int pOff, int ldp, float[] g, int gOff,
                                                int ldg) {
        for (int r = 0; r < rows; r++) {
            int pr = pOff + r * ldp, gr = gOff + r * ldg;
            double dot = 0;
            for (int c = 0; c < n; c++) {
                dot += (double) p[pr + c] * g[gr + c];
            }
            for (int c = 0; c < n; c++) {
                g[gr + c] = (float) (p[pr + c] * (g[gr + c] - dot));
            }
        }
    }

    @Override
    protected void sgdUnchecked(int n, double lr, double momentum, boolean firstStep, float[] w, int wOff, float[] g,
                                int gOff, float[] v, int vOff) {
        for (int i = 0; i < n; i++) {
            double step = g[gOff + i];
            if (momentum != 0) {
                float vi = firstStep ? g[gOff + i] : (float) (momentum * v[vOff + i] + g[gOff + i]);
                v[vOff + i] = vi;
                step = vi;
            }
            w[wOff + i] -= (float) (lr * step);
        }
    }

    @Override
    protected void adamUnchecked(int n, double lr, double beta1, double beta2, double epsilon, double weightDecay,
                                 boolean decoupled, long step, float[] w, int wOff, float[] g, int gOff, float[] m,
                                 int mOff, float[] v, int vOff) {
        double correction1 = 1 - Math.pow(beta1, step), correction2 = 1 - Math.pow(beta2, step);
        for (int i = 0; i < n; i++) {
            double grad = g[gOff + i];
            if (decoupled) {
                w[wOff + i] -= (float) (lr * weightDecay * w[wOff + i]);
            } else if (weightDecay != 0) {
                grad += weightDecay * w[wOff + i];
            }
            m[mOff + i] = (float) (beta1 * m[mOff + i] + (1 - beta1) * grad);
            v[vOff + i] = (float) (beta2 * v[vOff + i] + (1 - beta2) * grad * grad);
            double mHat = m[mOff + i] / correction1, vHat = v[vOff + i] / correction2;
            w[wOff + i] -= (float) (lr * mHat / (Math.sqrt(vHat) + epsilon));
        }
    }

    @Override
    protected double sumOfSquaresUnchecked(int n, float[] x, int off) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += (double) x[off + i] * x[off + i];
        }
        return sum;
    }

    @Override
    protected void scaleUnchecked(int n, float alpha, float[] x, int off) {
        for (int i = 0; i < n; i++) {
            x[off + i] *= alpha;
        }
    }
}
