package dev.jrnn.core.scalar;

import dev.jrnn.core.testing.MisuseMatrix;

/** The misuse matrix on the reference backend. */
class ReferenceMisuseTest extends MisuseMatrix {

    @Override
    protected String backendName() {
        return "reference";
    }
}
