package dev.jrnn.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * This machine's single-thread read rate as the Vector API reaches it, the other half of issue
 * 16's batch-1 bound B1 ({@link Workload#streamingBound}): a sum over an aligned native buffer of
 * {@code kib} KiB with eight independent accumulators, read again and again (the buffer's size
 * decides the level it streams from: 1 MiB is a core's L2 on Zen 4/5, 4-8 MiB a recurrent weight
 * matrix like W7's, 256 MiB main memory). Score: one operation per buffer read, so bytes per
 * second = score x kib x 1024.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--add-modules=jdk.incubator.vector")
public class ReadRateBench {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();

    @Param({"256", "1024", "4096", "16384", "262144"})
    public int kib;

    private Arena arena;
    private MemorySegment buffer;

    @Setup(Level.Trial)
    public void allocate() {
        arena = Arena.ofShared();
        buffer = arena.allocate(kib * 1024L, 64);
        for (long i = 0; i < buffer.byteSize() / Float.BYTES; i++) {
            buffer.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (i % 7) * 1e-3f);
        }
    }

    @TearDown(Level.Trial)
    public void free() {
        arena.close();
    }

    @Benchmark
    public float sum() {
        MemorySegment b = buffer;
        long bytes = b.byteSize(), step = S.vectorByteSize(), block = 8 * step;
        FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
        for (long at = 0; at + block <= bytes; at += block) {
            s0 = s0.add(FloatVector.fromMemorySegment(S, b, at, ORDER));
            s1 = s1.add(FloatVector.fromMemorySegment(S, b, at + step, ORDER));
            s2 = s2.add(FloatVector.fromMemorySegment(S, b, at + 2 * step, ORDER));
            s3 = s3.add(FloatVector.fromMemorySegment(S, b, at + 3 * step, ORDER));
            s4 = s4.add(FloatVector.fromMemorySegment(S, b, at + 4 * step, ORDER));
            s5 = s5.add(FloatVector.fromMemorySegment(S, b, at + 5 * step, ORDER));
            s6 = s6.add(FloatVector.fromMemorySegment(S, b, at + 6 * step, ORDER));
            s7 = s7.add(FloatVector.fromMemorySegment(S, b, at + 7 * step, ORDER));
        }
        return s0.add(s1).add(s2).add(s3).add(s4).add(s5).add(s6).add(s7).reduceLanes(VectorOperators.ADD);
    }
}
