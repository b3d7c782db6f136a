package dev.jrnn.core.runtime;

import dev.jrnn.core.scalar.ReferenceDense;
import dev.jrnn.core.spi.Availability;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.DenseKernels;
import java.lang.System.Logger.Level;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which backend's {@link DenseKernels} run a model's dense work, chosen as the recurrent backend
 * is: {@code -Djrnn.backend=NAME} (or {@link #kernels(String)}) forces that backend's kernels,
 * failing with its probe's reason when it cannot run here; a forced backend without dense kernels
 * of its own (oneDNN today) leaves the choice to auto. {@code auto} takes the first available
 * backend that has its own and is not {@linkplain Backend#fallbackOnly() fallback only}, in
 * discovery order, and the reference only when there is none. (The only fast implementation is
 * simd's, so there is nothing to time yet.)
 */
public final class DenseBackends {

    private static final System.Logger LOG = System.getLogger("dev.jrnn.runtime");
    private static final Map<String, DenseKernels> CHOSEN = new ConcurrentHashMap<>();

    private DenseBackends() {
    }

    /** The kernels for {@code -Djrnn.backend}, or the auto choice when it is unset or {@code auto}. */
    public static DenseKernels kernels() {
        return kernels(System.getProperty(BackendSelector.BACKEND_PROPERTY, BackendSelector.AUTO));
    }

    /** The kernels of {@code backend} ({@code auto}, null, or a backend's name). */
    public static DenseKernels kernels(String backend) {
        String name = backend == null ? BackendSelector.AUTO : backend.trim().toLowerCase(Locale.ROOT);
        if (name.isEmpty()) {
            name = BackendSelector.AUTO;
        }
        DenseKernels k = CHOSEN.get(name);
        return k != null ? k : CHOSEN.computeIfAbsent(name, DenseBackends::choose);
    }

    /** The reference kernels, the oracle of the others. */
    public static DenseKernels reference() {
        return ReferenceDense.instance();
    }

    private static DenseKernels choose(String name) {
        BackendSelector selector = Backends.selector();
        if (!name.equals(BackendSelector.AUTO)) {
            Optional<DenseKernels> own = selector.backend(name).dense(); // throws with the reason when unavailable
            if (own.isPresent()) {
                return own.get();
            }
            DenseKernels auto = kernels(BackendSelector.AUTO);
            LOG.log(Level.INFO, "jrnn dense kernels: backend ''{0}'' has none of its own; using {1}''s", name, auto.name());
            return auto;
        }
        for (String candidate : selector.names()) {
            Availability a = selector.availability(candidate);
            if (!a.available()) {
                continue;
            }
            Backend b = selector.backend(candidate);
            if (!b.fallbackOnly() && b.dense().isPresent()) {
                LOG.log(Level.INFO, "jrnn dense kernels: auto chose {0}", candidate);
                return b.dense().get();
            }
        }
        LOG.log(Level.INFO, "jrnn dense kernels: no fast backend available; using the reference");
        return reference();
    }
}
