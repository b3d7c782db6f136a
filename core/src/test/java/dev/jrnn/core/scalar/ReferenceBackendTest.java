package dev.jrnn.core.scalar;

import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.testing.BackendConformance;

/** The reference backend against the PyTorch fixtures and the layout rules every backend follows. */
class ReferenceBackendTest extends BackendConformance {

    @Override
    protected Backend backend() {
        return new ReferenceBackend();
    }
}
