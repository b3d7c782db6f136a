package dev.jrnn.core.spi;

import java.util.Objects;

/**
 * The dense work of a model's step, as a backend capability: matrix products (a linear layer,
 * attention), embedding gather and scatter-add, the fused softmax + cross-entropy, softmax rows
 * and the optimizers' update loops. Row-major {@code float[]} operands with BLAS-style offsets
 * and leading dimensions, so a caller passes views into its own preallocated buffers.
 *
 * <p>Each public method checks its arguments once and then calls an unchecked kernel, which a
 * backend implements and which must not allocate per call (scratch memory is kept and grown).
 * Results must not depend on the number of threads a backend uses. Implementations are
 * thread-safe: concurrent calls on distinct outputs are allowed. The abstract class can grow new
 * kernels without breaking implementations.
 */
public abstract class DenseKernels {

    /** The backend's name, as in {@code -Djrnn.backend}. */
    public abstract String name();

    @Override
    public String toString() {
        return name() + " dense kernels";
    }

    // ------------------------------------------------------------------ matrix product

    /**
     * {@code C = alpha * op(A) op(B) + beta * C (+ bias)}, all row-major: {@code op(A)} is
     * {@code m x k} ({@code transA}: {@code A} is stored {@code k x m}), {@code op(B)} is
     * {@code k x n} ({@code transB}: stored {@code n x k}), {@code C} is {@code m x n}. With
     * {@code beta == 0} the old {@code C} is not read (NaN in it does not leak). {@code bias}
     * (may be null) adds {@code bias[biasOff + j]} to column {@code j} of every row.
     */
    public final void gemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
                           float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                           float beta, float[] c, int cOff, int ldc, float[] bias, int biasOff) {
        if (m < 0 || n < 0 || k < 0) {
            throw new IllegalArgumentException("gemm: dimensions must be >= 0, got m=" + m + " n=" + n + " k=" + k);
        }
        if (k > 0) {
            checkMatrix("gemm: A", transA ? k : m, transA ? m : k, a, aOff, lda);
            checkMatrix("gemm: B", transB ? n : k, transB ? k : n, b, bOff, ldb);
        }
        checkMatrix("gemm: C", m, n, c, cOff, ldc);
        if (bias != null) {
            checkVector("gemm: bias", n, bias, biasOff);
        }
        if (m == 0 || n == 0) {
            return;
        }
        gemmUnchecked(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, bias, biasOff);
    }

    /** {@link #gemm} after its checks: {@code m, n >= 1}, {@code k >= 0} ({@code a}, {@code b} unread when 0). */
    protected abstract void gemmUnchecked(boolean transA, boolean transB, int m, int n, int k, float alpha,
                                          float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
                                          float beta, float[] c, int cOff, int ldc, float[] bias, int biasOff);

    /** {@code y[j] += sum_i A[i][j]} over the {@code m x n} matrix {@code A}: a bias gradient. */
    public final void addColumnSums(int m, int n, float[] a, int aOff, int lda, float[] y, int yOff) {
        checkDims("addColumnSums", m, n);
        checkMatrix("addColumnSums: A", m, n, a, aOff, lda);
        checkVector("addColumnSums: y", n, y, yOff);
        if (m > 0 && n > 0) {
            addColumnSumsUnchecked(m, n, a, aOff, lda, y, yOff);
        }
    }

    protected abstract void addColumnSumsUnchecked(int m, int n, float[] a, int aOff, int lda, float[] y, int yOff);

    // ------------------------------------------------------------------ embedding

    /**
     * Row {@code r} of {@code out} ({@code out[outOff + r * ldo ...]}, {@code dim} floats) becomes
     * row {@code ids[idsOff + r]} of {@code table} ({@code rows x dim}, contiguous from
     * {@code tableOff}), for {@code r < count}. Every id must be in {@code [0, rows)}.
     */
    public final void gather(int count, int dim, int[] ids, int idsOff, float[] table, int tableOff, int rows,
                             float[] out, int outOff, int ldo) {
        checkDims("gather", count, dim);
        checkIds("gather", count, ids, idsOff, rows);
        checkMatrix("gather: table", rows, dim, table, tableOff, dim);
        checkMatrix("gather: out", count, dim, out, outOff, ldo);
        if (count > 0 && dim > 0) {
            gatherUnchecked(count, dim, ids, idsOff, table, tableOff, out, outOff, ldo);
        }
    }

    protected abstract void gatherUnchecked(int count, int dim, int[] ids, int idsOff, float[] table, int tableOff,
                                            float[] out, int outOff, int ldo);

    /**
     * The gradient of {@link #gather}: row {@code ids[idsOff + r]} of {@code table} gets row
     * {@code r} of {@code src} added, for {@code r < count}, in order of {@code r} (so repeated
     * ids sum deterministically).
     */
    public final void scatterAdd(int count, int dim, int[] ids, int idsOff, float[] src, int srcOff, int lds,
                                 float[] table, int tableOff, int rows) {
        checkDims("scatterAdd", count, dim);
        checkIds("scatterAdd", count, ids, idsOff, rows);
        checkMatrix("scatterAdd: src", count, dim, src, srcOff, lds);
        checkMatrix("scatterAdd: table", rows, dim, table, tableOff, dim);
        if (count > 0 && dim > 0) {
            scatterAddUnchecked(count, dim, ids, idsOff, src, srcOff, lds, table, tableOff);
        }
    }

    protected abstract void scatterAddUnchecked(int count, int dim, int[] ids, int idsOff, float[] src, int srcOff,
                                                int lds, float[] table, int tableOff);

    // ------------------------------------------------------------------ softmax and losses

    /**
     * Fused softmax + cross-entropy over {@code rows x classes} logits, in one pass per row:
     * returns the sum over counted rows of {@code -log softmax(z)[target]} (rows whose target is
     * {@code ignoreIndex} are not counted: padding, a mask). When {@code grad} is not null, a
     * counted row's gradient is {@code gradScale * (softmax(z) - onehot(target))} and an ignored
     * row's is zero. Targets of counted rows must be in {@code [0, classes)}. {@code grad} may be
     * {@code logits} itself (same offset and leading dimension): the gradient then replaces them.
     */
    public final double softmaxCrossEntropy(int rows, int classes, float[] logits, int lOff, int ldl,
                                            int[] targets, int tOff, int ignoreIndex, float gradScale,
                                            float[] grad, int gOff, int ldg) {
        checkDims("softmaxCrossEntropy", rows, classes);
        if (classes == 0 && rows > 0) {
            throw new IllegalArgumentException("softmaxCrossEntropy: no classes");
        }
        checkMatrix("softmaxCrossEntropy: logits", rows, classes, logits, lOff, ldl);
        Objects.requireNonNull(targets, "softmaxCrossEntropy: targets");
        Objects.checkFromIndexSize(tOff, rows, targets.length);
        for (int r = 0; r < rows; r++) {
            int t = targets[tOff + r];
            if (t != ignoreIndex && (t < 0 || t >= classes)) {
                throw new IllegalArgumentException("softmaxCrossEntropy: target " + t + " of row " + r
                        + " is not a class in [0, " + classes + ") nor the ignore index " + ignoreIndex);
            }
        }
        if (grad != null) {
            checkMatrix("softmaxCrossEntropy: grad", rows, classes, grad, gOff, ldg);
            if (grad == logits && (gOff != lOff || ldg != ldl)) {
                throw new IllegalArgumentException("softmaxCrossEntropy: grad overlaps logits at another offset or stride");
            }
        }
        return rows == 0 ? 0 : softmaxCrossEntropyUnchecked(rows, classes, logits, lOff, ldl, targets, tOff,
                ignoreIndex, gradScale, grad, gOff, ldg);
    }

    protected abstract double softmaxCrossEntropyUnchecked(int rows, int classes, float[] logits, int lOff, int ldl,
                                                           int[] targets, int tOff, int ignoreIndex, float gradScale,
                                                           float[] grad, int gOff, int ldg);

    /** Softmax of each of {@code rows} rows of {@code n} values, in place (attention weights). */
    public final void softmaxRows(int rows, int n, float[] x, int off, int ld) {
        checkDims("softmaxRows", rows, n);
        checkMatrix("softmaxRows: x", rows, n, x, off, ld);
        if (rows > 0 && n > 0) {
            softmaxRowsUnchecked(rows, n, x, off, ld);
        }
    }

    protected abstract void softmaxRowsUnchecked(int rows, int n, float[] x, int off, int ld);

    /**
     * The gradient through {@link #softmaxRows}, in place: for softmax outputs {@code p} and the
     * gradient {@code g} w.r.t. them, {@code g = p * (g - sum(p * g))} per row.
     */
    public final void softmaxBackwardRows(int rows, int n, float[] p, int pOff, int ldp, float[] g, int gOff, int ldg) {
        checkDims("softmaxBackwardRows", rows, n);
        checkMatrix("softmaxBackwardRows: p", rows, n, p, pOff, ldp);
        checkMatrix("softmaxBackwardRows: g", rows, n, g, gOff, ldg);
        if (rows > 0 && n > 0) {
            softmaxBackwardRowsUnchecked(rows, n, p, pOff, ldp, g, gOff, ldg);
        }
    }

    protected abstract void softmaxBackwardRowsUnchecked(int rows, int n, float[] p, int pOff, int ldp, float[] g,
                                                         int gOff, int ldg);

    // ------------------------------------------------------------------ optimizers and gradients

    /**
     * One SGD step over {@code n} parameters, as {@code torch.optim.SGD}: without momentum
     * {@code w -= lr * g} ({@code v} unused, may be null); with momentum
     * {@code v = momentum * v + g} ({@code firstStep}: {@code v = g}) and {@code w -= lr * v}.
     */
    public final void sgd(int n, double lr, double momentum, boolean firstStep, float[] w, int wOff, float[] g,
                          int gOff, float[] v, int vOff) {
        checkVector("sgd: w", n, w, wOff);
        checkVector("sgd: g", n, g, gOff);
        if (momentum != 0) {
            checkVector("sgd: v", n, v, vOff);
        }
        if (n > 0) {
            sgdUnchecked(n, lr, momentum, firstStep, w, wOff, g, gOff, v, vOff);
        }
    }

    protected abstract void sgdUnchecked(int n, double lr, double momentum, boolean firstStep, float[] w, int wOff,
                                         float[] g, int gOff, float[] v, int vOff);

    /**
     * One Adam step ({@code step} counts from 1) over {@code n} parameters with first and second
     * moments {@code m}, {@code v}, as {@code torch.optim.Adam}; {@code decoupled} is AdamW (the
     * weight decay shrinks {@code w} directly rather than adding to the gradient).
     */
    public final void adam(int n, double lr, double beta1, double beta2, double epsilon, double weightDecay,
                           boolean decoupled, long step, float[] w, int wOff, float[] g, int gOff, float[] m, int mOff,
                           float[] v, int vOff) {
        if (step < 1) {
            throw new IllegalArgumentException("adam: step counts from 1, got " + step);
        }
        checkVector("adam: w", n, w, wOff);
        checkVector("adam: g", n, g, gOff);
        checkVector("adam: m", n, m, mOff);
        checkVector("adam: v", n, v, vOff);
        if (n > 0) {
            adamUnchecked(n, lr, beta1, beta2, epsilon, weightDecay, decoupled, step, w, wOff, g, gOff, m, mOff, v, vOff);
        }
    }

    protected abstract void adamUnchecked(int n, double lr, double beta1, double beta2, double epsilon,
                                          double weightDecay, boolean decoupled, long step, float[] w, int wOff,
                                          float[] g, int gOff, float[] m, int mOff, float[] v, int vOff);

    /** {@code sum x[i]^2} over {@code n} values, accumulated in double (a gradient norm). */
    public final double sumOfSquares(int n, float[] x, int off) {
        checkVector("sumOfSquares: x", n, x, off);
        return n == 0 ? 0 : sumOfSquaresUnchecked(n, x, off);
    }

    protected abstract double sumOfSquaresUnchecked(int n, float[] x, int off);

    /** {@code x *= alpha} over {@code n} values (gradient clipping). */
    public final void scale(int n, float alpha, float[] x, int off) {
        checkVector("scale: x", n, x, off);
        if (n > 0) {
            scaleUnchecked(n, alpha, x, off);
        }
    }

    protected abstract void scaleUnchecked(int n, float alpha, float[] x, int off);

    // ------------------------------------------------------------------ checks

    private static void checkDims(String what, int rows, int cols) {
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException(what + ": dimensions must be >= 0, got " + rows + " x " + cols);
        }
    }

    /** A row-major {@code rows x cols} matrix from {@code off} with leading dimension {@code ld} fits in {@code data}. */
    private static void checkMatrix(String name, int rows, int cols, float[] data, int off, int ld) {
        Objects.requireNonNull(data, name);
        if (ld < cols || ld < 1) {
            throw new IllegalArgumentException(name + ": leading dimension " + ld + " < " + Math.max(1, cols)
                    + " (columns " + cols + ")");
        }
        if (off < 0) {
            throw new IndexOutOfBoundsException(name + ": negative offset " + off);
        }
        if (rows == 0 || cols == 0) {
            return;
        }
        long end = off + (long) (rows - 1) * ld + cols;
        if (end > data.length) {
            throw new IndexOutOfBoundsException(name + ": " + rows + " x " + cols + " with leading dimension " + ld
                    + " from offset " + off + " needs " + end + " floats, the array has " + data.length);
        }
    }

    private static void checkVector(String name, int n, float[] data, int off) {
        Objects.requireNonNull(data, name);
        if (n < 0) {
            throw new IllegalArgumentException(name + ": length must be >= 0, got " + n);
        }
        if (off < 0 || (long) off + n > data.length) {
            throw new IndexOutOfBoundsException(name + ": " + n + " floats from offset " + off + " do not fit in "
                    + data.length);
        }
    }

    private static void checkIds(String what, int count, int[] ids, int idsOff, int rows) {
        if (ids == null) { // not requireNonNull(ids, what + ...): that would build the message on every call
            throw new NullPointerException(what + ": ids");
        }
        Objects.checkFromIndexSize(idsOff, count, ids.length);
        for (int r = 0; r < count; r++) {
            int id = ids[idsOff + r];
            if (id < 0 || id >= rows) {
                throw new IllegalArgumentException(what + ": id " + id + " at position " + r + " is not in [0, " + rows + ")");
            }
        }
    }
}
