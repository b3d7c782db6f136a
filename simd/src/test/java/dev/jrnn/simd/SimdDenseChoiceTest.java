package dev.jrnn.simd;

import static org.junit.jupiter.api.Assertions.assertSame;

import dev.jrnn.core.runtime.DenseBackends;
import org.junit.jupiter.api.Test;

/** With simd on the class path, auto and {@code simd} give its dense kernels; {@code reference} stays forceable. */
class SimdDenseChoiceTest {

    @Test
    void autoChoosesSimdsKernels() {
        assertSame(SimdDense.shared(), DenseBackends.kernels("auto"));
        assertSame(SimdDense.shared(), DenseBackends.kernels("simd"));
        assertSame(DenseBackends.reference(), DenseBackends.kernels("reference"));
    }
}
