package dev.jrnn.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.instruction.InvokeInstruction;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The softmax and loss kernels' Vector API code is compiled as one unit of its own. C2 inlines
 * the Vector API's intrinsics late, only while the unit it compiles is within its budget; when
 * the softmax row's helpers (each under the inlining limit) had been inlined into a larger caller,
 * the exp loop's last operations were left as calls to the Java fallback, which boxes every
 * vector: 16 KB a training step in 1 of 7 JVMs that ran models' tests before DenseAllocationTest
 * (2 of 5 in CI). {@code SimdDense.softmaxRow} is larger than C2 inlines into a hot caller, and
 * its callers hold no vector code that could be compiled into theirs.
 */
class SimdDenseUnitsTest {

    /** C2's FreqInlineSize: it does not inline a hot callee of more bytecode bytes (x86-64 and AArch64 default). */
    private static final int FREQ_INLINE_SIZE = 325;

    private static ClassModel parse(Class<?> type) throws IOException {
        try (InputStream in = type.getResourceAsStream(type.getSimpleName() + ".class")) {
            return ClassFile.of().parse(in.readAllBytes());
        }
    }

    private static MethodModel method(ClassModel type, String name) {
        List<MethodModel> found = type.methods().stream().filter(m -> m.methodName().equalsString(name)).toList();
        assertEquals(1, found.size(), name + " in " + type.thisClass().asInternalName());
        return found.getFirst();
    }

    private static List<String> vectorCalls(MethodModel m) {
        return m.code().orElseThrow().elementStream()
                .filter(e -> e instanceof InvokeInstruction i && i.owner().asInternalName().startsWith("jdk/incubator/vector/"))
                .map(e -> ((InvokeInstruction) e).owner().asInternalName() + "." + ((InvokeInstruction) e).name())
                .toList();
    }

    @Test
    void theSoftmaxRowIsOneUnitTooLargeToInlineAndItsCallersHoldNoVectorCode() throws IOException {
        ClassModel dense = parse(SimdDense.class);
        MethodModel row = method(dense, "softmaxRow");
        int size = row.findAttribute(Attributes.code()).orElseThrow().codeLength();
        assertTrue(size > FREQ_INLINE_SIZE, "softmaxRow has " + size + " bytes of bytecode: C2 may inline it");
        assertTrue(!vectorCalls(row).isEmpty(), "softmaxRow holds the vector code");
        for (String caller : List.of("crossEntropyRow", "softmaxRowsUnchecked", "softmaxCrossEntropyUnchecked")) {
            assertEquals(List.of(), vectorCalls(method(dense, caller)), caller + " calls the Vector API itself");
        }
    }
}
