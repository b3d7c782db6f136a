package dev.jrnn.simd;

import dev.jrnn.core.spi.Availability;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.BackendProvider;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Provides the {@code simd} backend. This class names no incubator type: the probe first checks
 * that {@code jdk.incubator.vector} is in the boot layer, then loads {@link SimdBackend} by name.
 */
public final class SimdBackendProvider implements BackendProvider {

    private static final String MODULE = "jdk.incubator.vector";
    private static final String IMPLEMENTATION = "dev.jrnn.simd.SimdBackend";

    @Override
    public String name() {
        return "simd";
    }

    @Override
    public Availability probe() {
        if (ModuleLayer.boot().findModule(MODULE).isEmpty()) {
            return Availability.unavailable("the JDK module " + MODULE
                    + " is not loaded: start the JVM with --add-modules " + MODULE);
        }
        try {
            Class<?> impl = Class.forName(IMPLEMENTATION, true, SimdBackendProvider.class.getClassLoader());
            String description = (String) MethodHandles.lookup()
                    .findStatic(impl, "describe", MethodType.methodType(String.class)).invoke();
            return Availability.available(description);
        } catch (ExceptionInInitializerError e) {
            return Availability.unavailable(String.valueOf(e.getCause() == null ? e : e.getCause().getMessage()));
        } catch (Throwable t) {
            return Availability.unavailable("the Vector API cannot run here: " + t);
        }
    }

    @Override
    public Backend create() {
        try {
            return (Backend) Class.forName(IMPLEMENTATION, true, SimdBackendProvider.class.getClassLoader())
                    .getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create the simd backend", e);
        }
    }
}
