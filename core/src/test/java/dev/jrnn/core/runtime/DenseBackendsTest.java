package dev.jrnn.core.runtime;

import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.scalar.ReferenceDense;
import org.junit.jupiter.api.Test;

/**
 * Choosing the dense kernels: core's tests see the reference and two test backends ("quick",
 * "absent") with no dense kernels of their own, so every choice but a failure is the reference.
 */
class DenseBackendsTest {

    @Test
    void autoFallsBackToTheReferenceWhenNoFastBackendHasDenseKernels() {
        assertSame(ReferenceDense.instance(), DenseBackends.kernels("auto"));
        assertSame(ReferenceDense.instance(), DenseBackends.kernels(null));
    }

    @Test
    void aForcedBackendWithoutDenseKernelsLeavesTheChoiceToAuto() {
        assertSame(ReferenceDense.instance(), DenseBackends.kernels("quick"));
    }

    @Test
    void anUnavailableOrUnknownBackendFailsWithTheReason() {
        IllegalStateException absent = assertThrows(IllegalStateException.class, () -> DenseBackends.kernels("absent"));
        assertTrue(absent.getMessage().contains("unavailable"), absent.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> DenseBackends.kernels("nope"));
        assertTrue(unknown.getMessage().contains("known backends"), unknown.getMessage());
    }
}
