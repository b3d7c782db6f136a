package dev.jrnn.onednn;

import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.testing.PrecisionAccuracy;

/** The reduced-precision accuracy contract for {@code onednn}: each precision it runs on this CPU against its float32. */
class OneDnnPrecisionAccuracyTest extends PrecisionAccuracy {

    @Override
    protected Backend backend() {
        return new OneDnnBackend();
    }
}
