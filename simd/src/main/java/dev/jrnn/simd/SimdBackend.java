package dev.jrnn.simd;

import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Parallelism;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import java.util.EnumSet;
import java.util.Set;

/** The Vector API backend: every cell, layer count and direction; threads from {@link Parallelism}. */
public final class SimdBackend extends Backend {

    /** Touches the species, so that a JVM that cannot run them fails here, inside the probe. */
    static String describe() {
        return "Vector API, " + SimdSpecies.describe();
    }

    @Override
    public String name() {
        return SimdRnn.NAME;
    }

    /** Names the register tile too: the first call in a process plans it (see {@link Gemm.Planner}). */
    @Override
    public String implementation() {
        return describe() + ", " + Gemm.describeTile() + ", JDK " + Runtime.version();
    }

    @Override
    protected PreparedRnn prepareChecked(RnnArchitecture d, RnnWeights weights) {
        return new SimdRnn(d, weights, WorkerPool.shared(), Parallelism.threads());
    }

    /** Float32, and bf16 ({@link Bf16}) and int8 ({@link Int8}) weights widened in registers; inference only for those two. */
    @Override
    public Set<Precision> precisions() {
        return EnumSet.of(Precision.FLOAT32, Precision.BF16, Precision.INT8);
    }

    @Override
    protected PreparedRnn prepareChecked(RnnArchitecture d, RnnWeights weights, Precision precision) {
        return new SimdRnn(d, weights, WorkerPool.shared(), Parallelism.threads(), precision);
    }

    @Override
    public java.util.Optional<dev.jrnn.core.spi.DenseKernels> dense() {
        return java.util.Optional.of(SimdDense.shared());
    }
}
