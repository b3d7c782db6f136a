package dev.jrnn.core.spi;

/**
 * Entry point of a backend, found through {@link java.util.ServiceLoader}. A provider class must
 * load on any JVM: it touches no incubator or native type until {@link #probe()} has passed, and
 * {@link #create()} then loads the implementation by name.
 */
public interface BackendProvider {

    /** Short lower-case name, as used by {@code -Djrnn.backend=NAME}. */
    String name();

    /** Whether the backend can run in this JVM on this machine. Never throws. */
    Availability probe();

    /** The backend; call only after {@link #probe()} reported it available. */
    Backend create();
}
