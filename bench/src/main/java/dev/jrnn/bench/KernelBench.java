package dev.jrnn.bench;

import dev.jrnn.simd.Gemm;
import dev.jrnn.simd.VectorMath;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Kernels, plain Java ("scalar": one accumulator, the loop a reader would write) against the
 * Vector API ("simd"): GEMM on the recurrent shapes, GEMV at batch 1, and the activations.
 * Microseconds per call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class KernelBench {

    /** m x n x k: W3's recurrent step, W3's input projection, W5's weight gradient. */
    @Param({"64x2048x512", "3200x2048x256", "1024x256x1120"})
    public String gemm;

    /** rows x columns of the batch-1 recurrent product: W1 and W2. */
    @Param({"512x128", "1024x256"})
    public String gemv;

    private int m, n, k, rows, cols;
    private float[] a, b, c, w, x, y, act, out;
    private Gemm.PackedB packed, packedW;

    @Setup
    public void setUp() {
        SplittableRandom random = new SplittableRandom(1);
        String[] s = gemm.split("x");
        m = Integer.parseInt(s[0]);
        n = Integer.parseInt(s[1]);
        k = Integer.parseInt(s[2]);
        a = random(random, m * k);
        b = random(random, k * n);
        c = new float[m * n];
        packed = Gemm.pack(k, n, b, 0, n);
        String[] g = gemv.split("x");
        rows = Integer.parseInt(g[0]);
        cols = Integer.parseInt(g[1]);
        w = random(random, rows * cols);
        x = random(random, cols);
        y = new float[rows];
        float[] wt = new float[cols * rows];
        for (int r = 0; r < rows; r++) {
            for (int col = 0; col < cols; col++) {
                wt[col * rows + r] = w[r * cols + col];
            }
        }
        packedW = Gemm.pack(cols, rows, wt, 0, rows);
        act = random(random, 4096);
        for (int i = 0; i < act.length; i++) {
            act[i] *= 8;
        }
        out = new float[4096];
    }

    private static float[] random(SplittableRandom random, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) random.nextDouble(-1, 1);
        }
        return v;
    }

    @Benchmark
    public float[] gemmSimd() {
        Gemm.gemm(m, false, a, 0, k, packed, c, 0, n, false);
        return c;
    }

    @Benchmark
    public float[] gemmScalar() {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                c[i * n + j] = 0;
            }
            for (int kk = 0; kk < k; kk++) {
                float aik = a[i * k + kk];
                for (int j = 0; j < n; j++) {
                    c[i * n + j] += aik * b[kk * n + j];
                }
            }
        }
        return c;
    }

    @Benchmark
    public float[] gemvSimd() {
        Gemm.gemv(x, 0, packedW, y, 0);
        return y;
    }

    @Benchmark
    public float[] gemvScalar() {
        for (int r = 0; r < rows; r++) {
            float sum = 0;
            for (int col = 0; col < cols; col++) {
                sum += w[r * cols + col] * x[col];
            }
            y[r] = sum;
        }
        return y;
    }

    @Benchmark
    public float[] sigmoidSimd() {
        VectorMath.sigmoid(act, 0, out, 0, act.length);
        return out;
    }

    @Benchmark
    public float[] sigmoidScalar() {
        for (int i = 0; i < act.length; i++) {
            out[i] = (float) (1 / (1 + Math.exp(-act[i])));
        }
        return out;
    }

    @Benchmark
    public float[] tanhSimd() {
        VectorMath.tanh(act, 0, out, 0, act.length);
        return out;
    }

    @Benchmark
    public float[] tanhScalar() {
        for (int i = 0; i < act.length; i++) {
            out[i] = (float) Math.tanh(act[i]);
        }
        return out;
    }

    @Benchmark
    public float[] expSimd() {
        VectorMath.exp(act, 0, out, 0, act.length);
        return out;
    }

    @Benchmark
    public float[] expScalar() {
        for (int i = 0; i < act.length; i++) {
            out[i] = (float) Math.exp(act[i]);
        }
        return out;
    }
}
