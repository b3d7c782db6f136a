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
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class KernelBench {

    /** {@code m x n x k}: W3's recurrent step, W3's input projection, W5's weight gradient. */
    @State(Scope.Benchmark)
    public static class GemmShape {
        @Param({"64x2048x512", "3200x2048x256", "1024x256x1120"})
        public String gemm;

        int m, n, k;
        float[] a, b, c;
        Gemm.PackedB packed;

        @Setup
        public void setUp() {
            String[] s = gemm.split("x");
            m = Integer.parseInt(s[0]);
            n = Integer.parseInt(s[1]);
            k = Integer.parseInt(s[2]);
            SplittableRandom random = new SplittableRandom(1);
            a = random(random, m * k);
            b = random(random, k * n);
            c = new float[m * n];
            packed = Gemm.pack(k, n, b, 0, n);
            // waits for simd's tile planner, so that the tile does not change during the measurement
            System.out.println("simd: " + new dev.jrnn.simd.SimdBackend().implementation());
        }
    }

    /** {@code rows x columns} of the batch-1 recurrent product: W1's and W2's. */
    @State(Scope.Benchmark)
    public static class GemvShape {
        @Param({"512x128", "1024x256"})
        public String gemv;

        int rows, cols;
        float[] w, x, y;
        Gemm.PackedB packed;

        @Setup
        public void setUp() {
            String[] g = gemv.split("x");
            rows = Integer.parseInt(g[0]);
            cols = Integer.parseInt(g[1]);
            SplittableRandom random = new SplittableRandom(2);
            w = random(random, rows * cols);
            x = random(random, cols);
            y = new float[rows];
            float[] wt = new float[cols * rows];
            for (int r = 0; r < rows; r++) {
                for (int col = 0; col < cols; col++) {
                    wt[col * rows + r] = w[r * cols + col];
                }
            }
            packed = Gemm.pack(cols, rows, wt, 0, rows);
        }
    }

    /** 4096 values in [-8, 8]. */
    @State(Scope.Benchmark)
    public static class Activations {
        float[] in = new float[4096], out = new float[4096];

        @Setup
        public void setUp() {
            in = random(new SplittableRandom(3), 4096);
            for (int i = 0; i < in.length; i++) {
                in[i] *= 8;
            }
        }
    }

    static float[] random(SplittableRandom random, int size) {
        float[] v = new float[size];
        for (int i = 0; i < size; i++) {
            v[i] = (float) random.nextDouble(-1, 1);
        }
        return v;
    }

    @Benchmark
    public float[] gemmSimd(GemmShape s) {
        Gemm.gemm(s.m, false, s.a, 0, s.k, s.packed, s.c, 0, s.n, false);
        return s.c;
    }

    @Benchmark
    public float[] gemmScalar(GemmShape s) {
        int m = s.m, n = s.n, k = s.k;
        float[] a = s.a, b = s.b, c = s.c;
        for (int i = 0; i < m; i++) {
            java.util.Arrays.fill(c, i * n, i * n + n, 0f);
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
    public float[] gemvSimd(GemvShape s) {
        Gemm.gemv(s.x, 0, s.packed, s.y, 0);
        return s.y;
    }

    @Benchmark
    public float[] gemvScalar(GemvShape s) {
        for (int r = 0; r < s.rows; r++) {
            float sum = 0;
            for (int col = 0; col < s.cols; col++) {
                sum += s.w[r * s.cols + col] * s.x[col];
            }
            s.y[r] = sum;
        }
        return s.y;
    }

    @Benchmark
    public float[] sigmoidSimd(Activations s) {
        VectorMath.sigmoid(s.in, 0, s.out, 0, s.in.length);
        return s.out;
    }

    @Benchmark
    public float[] sigmoidScalar(Activations s) {
        for (int i = 0; i < s.in.length; i++) {
            s.out[i] = (float) (1 / (1 + Math.exp(-s.in[i])));
        }
        return s.out;
    }

    @Benchmark
    public float[] tanhSimd(Activations s) {
        VectorMath.tanh(s.in, 0, s.out, 0, s.in.length);
        return s.out;
    }

    @Benchmark
    public float[] tanhScalar(Activations s) {
        for (int i = 0; i < s.in.length; i++) {
            s.out[i] = (float) Math.tanh(s.in[i]);
        }
        return s.out;
    }

    @Benchmark
    public float[] expSimd(Activations s) {
        VectorMath.exp(s.in, 0, s.out, 0, s.in.length);
        return s.out;
    }

    @Benchmark
    public float[] expScalar(Activations s) {
        for (int i = 0; i < s.in.length; i++) {
            s.out[i] = (float) Math.exp(s.in[i]);
        }
        return s.out;
    }
}
