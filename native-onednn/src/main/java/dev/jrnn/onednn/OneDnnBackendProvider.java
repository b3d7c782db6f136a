package dev.jrnn.onednn;

import dev.jrnn.core.spi.Availability;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.BackendProvider;

/**
 * Provides the {@code onednn} backend. The probe loads oneDNN (see {@link OneDnnLibrary} for
 * where it looks), binds every function and creates the CPU engine; when any of that fails the
 * backend is unavailable, with every attempt's reason, and the other backends are unaffected.
 */
public final class OneDnnBackendProvider implements BackendProvider {

    @Override
    public String name() {
        return OneDnnRnn.NAME;
    }

    @Override
    public Availability probe() {
        OneDnnLibrary.Outcome outcome = OneDnnLibrary.load();
        if (!outcome.available()) {
            return Availability.unavailable("oneDNN 3.x not found: " + outcome.report());
        }
        try {
            PrimitiveCache.requested();
        } catch (IllegalArgumentException e) {
            return Availability.unavailable(e.getMessage());
        }
        try {
            return Availability.available(OneDnnBackend.describe());
        } catch (ExceptionInInitializerError e) {
            return Availability.unavailable("oneDNN cannot be bound: " + e.getCause());
        } catch (LinkageError | RuntimeException e) {
            return Availability.unavailable("oneDNN cannot be used: " + e);
        }
    }

    @Override
    public Backend create() {
        return new OneDnnBackend();
    }
}
