package dev.jrnn.simd;

import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.testing.ConformanceAgainstReference;
import org.junit.jupiter.api.Tag;

/** The shared conformance suite for {@code simd}; the build runs it at 128, 256 and 512 bits. */
@Tag("width")
class SimdConformanceTest extends ConformanceAgainstReference {

    @Override
    protected Backend backend() {
        return new SimdBackend();
    }
}
