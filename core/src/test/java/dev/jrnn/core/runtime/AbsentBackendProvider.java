package dev.jrnn.core.runtime;

import dev.jrnn.core.spi.Availability;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.BackendProvider;

/** Test-only backend "absent": its probe always fails, so it must never be created. */
public final class AbsentBackendProvider implements BackendProvider {

    static final String REASON = "test backend whose native library is never there";

    @Override
    public String name() {
        return "absent";
    }

    @Override
    public Availability probe() {
        return Availability.unavailable(REASON);
    }

    @Override
    public Backend create() {
        throw new AssertionError("create() called although the probe said unavailable");
    }
}
