package dev.jrnn.onednn;

import java.util.ArrayList;
import java.util.List;

/**
 * What an object under construction has created so far, closed in reverse order by
 * {@link #close()}: a constructor that fails half-way releases everything it made.
 */
final class Resources implements AutoCloseable {

    private final List<AutoCloseable> owned = new ArrayList<>();

    <T extends AutoCloseable> T add(T resource) {
        owned.add(resource);
        return resource;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = e instanceof RuntimeException r ? r : new IllegalStateException(e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        owned.clear();
        if (failure != null) {
            throw failure;
        }
    }
}
