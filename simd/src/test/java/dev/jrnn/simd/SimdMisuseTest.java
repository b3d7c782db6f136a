package dev.jrnn.simd;

import dev.jrnn.core.testing.MisuseMatrix;

/** The misuse matrix on simd. */
class SimdMisuseTest extends MisuseMatrix {

    @Override
    protected String backendName() {
        return "simd";
    }
}
