package dev.jrnn.spark;

import dev.jrnn.models.nn.Module;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The models loaded in this JVM (an executor, or the driver in local mode), so that every task of
 * a job reuses one prepared model instead of loading its own. Keyed by the model's content hash
 * and backend (scoring: one model shared by all tasks, its inference being thread-safe) or by a
 * training run (one model per concurrent task, each task leasing one for itself). At most
 * {@code -Djrnn.spark.models} (default 4) keys are kept; the least recently used is dropped, its
 * models closed once no task holds them.
 */
final class ExecutorModels {

    private static final int CAPACITY = Math.max(1, Integer.getInteger("jrnn.spark.models", 4));
    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>(16, 0.75f, true);

    private ExecutorModels() {
    }

    /** A model held until {@link #close()}. */
    static final class Lease implements AutoCloseable {
        private final Entry entry;
        private final Module model;
        private boolean closed;

        private Lease(Entry entry, Module model) {
            this.entry = entry;
            this.model = model;
        }

        Module model() {
            return model;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                entry.release(model);
            }
        }
    }

    /** The one model of {@code key}, loaded by {@code load} if this JVM has none yet; shared by every task. */
    static Lease shared(String key, Supplier<Module> load) {
        return lease(key, true, load);
    }

    /** A model of {@code key} no other task holds meanwhile (one is loaded if none is idle). */
    static Lease exclusive(String key, Supplier<Module> load) {
        return lease(key, false, load);
    }

    private static int loads;

    /** How many models this JVM has loaded so far (for tests). */
    static synchronized int loads() {
        return loads;
    }

    private static synchronized Lease lease(String key, boolean shared, Supplier<Module> load) {
        Entry e = ENTRIES.get(key);
        if (e == null) {
            e = new Entry(shared);
            ENTRIES.put(key, e);
            for (Iterator<Entry> it = ENTRIES.values().iterator(); ENTRIES.size() > CAPACITY; ) {
                Entry eldest = it.next();
                it.remove();
                eldest.retire();
            }
        }
        Module model = e.idle.peek();
        if (model == null) {
            model = load.get(); // under the lock: two tasks of one job never load the same model twice
            loads++;
            if (shared) {
                e.idle.push(model);
            }
        } else if (!shared) {
            e.idle.pop();
        }
        e.inUse++;
        return new Lease(e, model);
    }

    private static final class Entry {
        final boolean shared;
        /** Shared: the one model (kept even while in use); exclusive: the models no task holds. */
        final ArrayDeque<Module> idle = new ArrayDeque<>();
        int inUse;
        boolean retired;

        Entry(boolean shared) {
            this.shared = shared;
        }

        void release(Module model) {
            synchronized (ExecutorModels.class) {
                inUse--;
                if (!shared) {
                    if (retired) {
                        Module.closeIfNeeded(model);
                    } else {
                        idle.push(model);
                    }
                } else if (retired && inUse == 0) {
                    idle.forEach(Module::closeIfNeeded);
                    idle.clear();
                }
            }
        }

        /** Dropped from the cache: close what no task holds now, the rest when released. */
        void retire() {
            retired = true;
            if (!shared || inUse == 0) {
                idle.forEach(Module::closeIfNeeded);
                idle.clear();
            }
        }
    }

    /** {@code model} set to run on {@code backend} ({@code auto}, {@code simd}, ...). */
    static Module onBackend(Module model, String backend) {
        switch (model) {
            case dev.jrnn.models.SequenceClassifier m -> m.backend(backend);
            case dev.jrnn.models.SequenceTagger m -> m.backend(backend);
            case dev.jrnn.models.SequenceRegressor m -> m.backend(backend);
            case dev.jrnn.models.LanguageModel m -> m.backend(backend);
            default -> throw new IllegalArgumentException("not a topology jrnn-spark runs: " + model.getClass().getSimpleName());
        }
        return model;
    }
}
