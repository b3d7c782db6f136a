package dev.jrnn.simd;

import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.testing.PrecisionAccuracy;

/** The reduced-precision accuracy contract for {@code simd}: its weight-only bf16 (and int8) against its float32. */
class SimdPrecisionAccuracyTest extends PrecisionAccuracy {

    @Override
    protected Backend backend() {
        return new SimdBackend();
    }
}
