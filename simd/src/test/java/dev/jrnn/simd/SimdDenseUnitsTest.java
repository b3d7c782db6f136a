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
 * How the softmax and loss kernels' Vector API code is laid out, read from the class file. In 1 of
 * 10 JVMs that ran models' tests before DenseAllocationTest (2 of 5 in CI) the exp loop's masked
 * sum ran the Vector API's Java fallback and boxed its vectors: 16 KB a training step, for good.
 * {@code SimdDense.softmaxRow} holds the whole row (max, exp and sum, normalization) in one unit
 * too large for C2 to inline into a caller (that alone did not prevent it), and adds into its
 * loop-carried sum by calling {@code lanewise} itself: {@code add} would resolve the sum's class
 * from the JDK's type profile, shared by the whole JVM, rather than from softmaxRow's own.
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
                .map(e -> (InvokeInstruction) e)
                .map(i -> i.owner().asInternalName() + "." + i.name() + i.typeSymbol().descriptorString())
                .toList();
    }

    @Test
    void theSoftmaxRowIsOneUnitTooLargeToInlineAndItsCallersHoldNoVectorCode() throws IOException {
        ClassModel dense = parse(SimdDense.class);
        MethodModel row = method(dense, "softmaxRow");
        int size = row.findAttribute(Attributes.code()).orElseThrow().codeLength();
        assertTrue(size > FREQ_INLINE_SIZE, "softmaxRow has " + size + " bytes of bytecode: C2 may inline it");
        assertTrue(!vectorCalls(row).isEmpty(), "softmaxRow holds the vector code");
        assertTrue(vectorCalls(row).stream().noneMatch(c -> c.startsWith("jdk/incubator/vector/FloatVector.add(Ljdk/incubator/vector/Vector;Ljdk/incubator/vector/VectorMask;)")),
                "softmaxRow's masked sum calls FloatVector.add, not lanewise");
        for (String caller : List.of("crossEntropyRow", "softmaxRowsUnchecked", "softmaxCrossEntropyUnchecked")) {
            assertEquals(List.of(), vectorCalls(method(dense, caller)), caller + " calls the Vector API itself");
        }
    }
}
