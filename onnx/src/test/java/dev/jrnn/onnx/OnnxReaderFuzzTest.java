package dev.jrnn.onnx;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;

/**
 * The ONNX reader's contract under coverage-guided fuzzing: any bytes give a model, or an
 * {@link IOException} (not an ONNX model, truncated, malformed) or an {@link UnsupportedOnnxException}
 * (a graph jrnn does not run), each naming the source and the problem; never another exception, a
 * hang, or an allocation a size in the file merely declares (protobuf checks every length against
 * the bytes left; a tensor's dimensions times its type's size are checked against the data it
 * holds before anything is allocated). The reader turns an unexpected {@link RuntimeException}
 * into an {@code IOException} too, as a safety net for users; here one whose cause is a
 * programming error (a null, an index out of bounds, ...) is a finding all the same.
 *
 * <p>This target mutates the bytes (most mutants of a protobuf fail in its parser);
 * {@link OnnxEditedFuzzTest} makes well-formed protobufs that are wrong ONNX. Each build replays the
 * committed inputs ({@code src/test/resources/.../OnnxReaderFuzzTestInputs/load}, seeded from the
 * PyTorch-exported and handmade fixtures and from every finding); {@code JAZZER_FUZZ=1} fuzzes for
 * the {@code maxDuration} ({@code scripts/fuzz}).
 */
class OnnxReaderFuzzTest {

    private static final String SOURCE = "fuzzed.onnx";

    /** Exceptions that only a defect in the reader throws: a message made of them names nothing. */
    private static final Class<?>[] DEFECTS = {NullPointerException.class, IndexOutOfBoundsException.class,
            ClassCastException.class, NegativeArraySizeException.class, ArithmeticException.class,
            ArrayStoreException.class, UnsupportedOperationException.class};

    @FuzzTest(maxDuration = "10s")
    void load(byte[] bytes) {
        loadAndCheck(bytes);
    }

    /** Loads {@code bytes}; a model, or a refusal that keeps the contract. */
    static void loadAndCheck(byte[] bytes) {
        OnnxModel model;
        try {
            model = OnnxModel.load(bytes, SOURCE);
        } catch (IOException | UnsupportedOnnxException e) {
            check(e);
            return;
        }
        try (model) {
            model.inputs();
            model.outputs();
            model.toString();
        }
    }

    /** The contract for a refused model: its message names the source, and no cause is a defect. */
    static void check(Exception e) {
        if (e.getMessage() == null || !e.getMessage().startsWith(SOURCE + ": ")) {
            throw new AssertionError("the message does not name the source: " + e.getMessage(), e);
        }
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            for (Class<?> defect : DEFECTS) {
                if (defect.isInstance(c)) {
                    throw new AssertionError("a defect, not a diagnosis: " + e.getMessage(), e);
                }
            }
        }
    }
}
