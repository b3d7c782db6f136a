package dev.jrnn.core.runtime;

import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.scalar.ReferenceBackend;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.BackendProvider;
import dev.jrnn.core.spi.PreparedRnn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The backends on the class path, found through {@link ServiceLoader}, and the JVM-wide
 * {@link BackendSelector} over them.
 *
 * <pre>{@code
 * PreparedRnn lstm = Backends.prepare(descriptor, weights);   // auto, or -Djrnn.backend=NAME
 * System.out.print(Backends.report());
 * }</pre>
 */
public final class Backends {

    /**
     * Auto selection's budget, {@code -Djrnn.auto.budgetMillis}, default 300: in a race
     * ({@link RacingRnn}) the work the loaded candidates do before a backend not yet loaded joins,
     * and a tenth of the time a JIT-compiled candidate may spend before it counts as settled; in
     * {@link BackendSelector#decide} the time each candidate is timed apart from any work.
     */
    public static final String BUDGET_PROPERTY = "jrnn.auto.budgetMillis";

    private Backends() {
    }

    /**
     * Whether auto remembers its decisions between processes ({@code -Djrnn.auto.remember}, default
     * true), in {@code ~/.cache/jrnn/auto-decisions.tsv} (see {@link BackendSelector#rememberIn}).
     */
    public static final String REMEMBER_PROPERTY = "jrnn.auto.remember";

    private static final class Holder {
        static final BackendSelector SELECTOR = new BackendSelector(discover(),
                Duration.ofMillis(Long.getLong(BUDGET_PROPERTY, 300)))
                .rememberIn(Boolean.parseBoolean(System.getProperty(REMEMBER_PROPERTY, "true")) ? DecisionStore.defaultFile() : null);
    }

    /** Providers found by the service loader, in class-path order. */
    public static List<BackendProvider> discover() {
        List<BackendProvider> found = new ArrayList<>();
        ServiceLoader.load(BackendProvider.class, Backends.class.getClassLoader()).forEach(found::add);
        return found;
    }

    public static BackendSelector selector() {
        return Holder.SELECTOR;
    }

    /**
     * The scalar reference backend, created without probing the others: double precision inside,
     * the oracle every backend is tested against, always available (its package is not exported).
     */
    public static Backend reference() {
        return new ReferenceBackend();
    }

    /** The backend named {@code name}; see {@link BackendSelector#backend}. */
    public static Backend named(String name) {
        return selector().backend(name);
    }

    /** Prepares {@code d} on the forced or the auto-selected backend. */
    public static PreparedRnn prepare(RnnDescriptor d, RnnWeights weights) {
        return selector().prepare(d, weights);
    }

    /** Every backend with its availability and reason, and the auto decisions made so far. */
    public static String report() {
        return selector().report();
    }
}
