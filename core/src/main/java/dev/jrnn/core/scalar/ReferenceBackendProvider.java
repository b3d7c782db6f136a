package dev.jrnn.core.scalar;

import dev.jrnn.core.spi.Availability;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.BackendProvider;

/** Provides the {@link ReferenceBackend}; plain Java, so always available. */
public final class ReferenceBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return ReferenceBackend.NAME;
    }

    @Override
    public Availability probe() {
        return Availability.available("plain Java, double precision; always available");
    }

    @Override
    public Backend create() {
        return new ReferenceBackend();
    }
}
