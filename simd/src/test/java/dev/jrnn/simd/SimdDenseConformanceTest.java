package dev.jrnn.simd;

import dev.jrnn.core.spi.DenseKernels;
import dev.jrnn.core.testing.DenseConformance;
import org.junit.jupiter.api.Tag;

/** The dense kernels of {@code simd} against the reference; the build runs it at 128, 256 and 512 bits. */
@Tag("width")
class SimdDenseConformanceTest extends DenseConformance {

    @Override
    protected DenseKernels kernels() {
        return SimdDense.shared();
    }
}
