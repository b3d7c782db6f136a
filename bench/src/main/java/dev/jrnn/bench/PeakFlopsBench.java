package dev.jrnn.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * This machine's single-thread FMA peak as the Vector API reaches it: 12 independent chains of
 * fused multiply-adds and nothing else, at 256 and at 512 bits (on a CPU without AVX-512 the
 * 512-bit figure is the Java fallback's, meaningless). Scores are floating-point operations per
 * microsecond: GFLOPS = score / 1000. Every layer result is stated as a fraction of the higher.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class PeakFlopsBench {

    private static final int ROUNDS = 1000;
    private static final VectorSpecies<Float> S256 = FloatVector.SPECIES_256, S512 = FloatVector.SPECIES_512;

    public float a = 0.999f, b = 1e-4f;

    // Twelve chains, each started from a different value so that C2 cannot merge them into one. Two
    // copies of the loop, not one method taking the species: the species must be a constant to C2.

    @Benchmark
    @OperationsPerInvocation(ROUNDS * 12 * 2 * 8)
    public float fma256() {
        FloatVector va = FloatVector.broadcast(S256, a), vb = FloatVector.broadcast(S256, b);
        FloatVector c0 = vb.add(0f), c1 = vb.add(1f), c2 = vb.add(2f), c3 = vb.add(3f), c4 = vb.add(4f);
        FloatVector c5 = vb.add(5f), c6 = vb.add(6f), c7 = vb.add(7f), c8 = vb.add(8f), c9 = vb.add(9f);
        FloatVector c10 = vb.add(10f), c11 = vb.add(11f);
        for (int i = 0; i < ROUNDS; i++) {
            c0 = c0.fma(va, vb);
            c1 = c1.fma(va, vb);
            c2 = c2.fma(va, vb);
            c3 = c3.fma(va, vb);
            c4 = c4.fma(va, vb);
            c5 = c5.fma(va, vb);
            c6 = c6.fma(va, vb);
            c7 = c7.fma(va, vb);
            c8 = c8.fma(va, vb);
            c9 = c9.fma(va, vb);
            c10 = c10.fma(va, vb);
            c11 = c11.fma(va, vb);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    @OperationsPerInvocation(ROUNDS * 12 * 2 * 16)
    public float fma512() {
        FloatVector va = FloatVector.broadcast(S512, a), vb = FloatVector.broadcast(S512, b);
        FloatVector c0 = vb.add(0f), c1 = vb.add(1f), c2 = vb.add(2f), c3 = vb.add(3f), c4 = vb.add(4f);
        FloatVector c5 = vb.add(5f), c6 = vb.add(6f), c7 = vb.add(7f), c8 = vb.add(8f), c9 = vb.add(9f);
        FloatVector c10 = vb.add(10f), c11 = vb.add(11f);
        for (int i = 0; i < ROUNDS; i++) {
            c0 = c0.fma(va, vb);
            c1 = c1.fma(va, vb);
            c2 = c2.fma(va, vb);
            c3 = c3.fma(va, vb);
            c4 = c4.fma(va, vb);
            c5 = c5.fma(va, vb);
            c6 = c6.fma(va, vb);
            c7 = c7.fma(va, vb);
            c8 = c8.fma(va, vb);
            c9 = c9.fma(va, vb);
            c10 = c10.fma(va, vb);
            c11 = c11.fma(va, vb);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }
}
