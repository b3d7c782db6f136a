package dev.jrnn.onednn;

import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.testing.ConformanceAgainstReference;

/** The shared conformance suite for {@code onednn}: PyTorch fixtures and the reference, every cell, layer count and direction. */
class OneDnnConformanceTest extends ConformanceAgainstReference {

    @Override
    protected Backend backend() {
        return new OneDnnBackend();
    }

    /** oneDNN's inference and training primitives are different kernels (training also fills the workspace). */
    @Override
    protected boolean modesAgreeBitwise() {
        return false;
    }
}
