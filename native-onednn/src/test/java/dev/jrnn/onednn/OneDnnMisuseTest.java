package dev.jrnn.onednn;

import dev.jrnn.core.testing.MisuseMatrix;

/** The misuse matrix on onednn: every case reaches native code only with checked arguments, or not at all. */
class OneDnnMisuseTest extends MisuseMatrix {

    @Override
    protected String backendName() {
        return "onednn";
    }
}
