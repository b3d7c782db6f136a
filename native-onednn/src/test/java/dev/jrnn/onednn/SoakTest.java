package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Long runs leak nothing. Native memory is what glibc's allocator has handed out and not taken
 * back ({@code mallinfo2}: {@code uordblks + hblkhd}), which covers oneDNN's allocations and the
 * JDK's native arenas alike; Java allocation is counted by the JVM per thread.
 */
class SoakTest {

    /** glibc's {@code struct mallinfo2 mallinfo2(void)}: ten {@code size_t}s, returned by value. */
    private static final MethodHandle MALLINFO2 = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("mallinfo2").orElseThrow(),
            FunctionDescriptor.of(MemoryLayout.structLayout(MemoryLayout.sequenceLayout(10, ValueLayout.JAVA_LONG))));

    /** Bytes malloc has handed out and not had back: small blocks in arenas plus mmapped blocks. */
    private static long nativeInUse() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = (MemorySegment) MALLINFO2.invokeExact((SegmentAllocator) arena);
            return info.getAtIndex(ValueLayout.JAVA_LONG, 7) + info.getAtIndex(ValueLayout.JAVA_LONG, 4);
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    @Test
    void aHundredThousandForwardCallsGrowNeitherNativeNorJavaMemory() {
        RnnDescriptor d = new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 4, 2, 8, 16);
        SplittableRandom random = new SplittableRandom(5);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random);
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape()), hn = FloatTensor.zeros(d.iterShape());
        FloatTensor cn = FloatTensor.zeros(d.iterShape());
        RnnForward io = RnnForward.of(x, y).withFinalState(hn, cn);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (PreparedRnn rnn = new OneDnnBackend().prepare(d, RnnWeights.uniform(d, 2)); Workspace ws = rnn.newWorkspace()) {
            for (int i = 0; i < 20_000; i++) { // warm-up: JIT, OpenMP team, allocator caches
                rnn.forward(Mode.INFERENCE, io, ws);
            }
            long nativeBefore = nativeInUse();
            long javaBefore = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                rnn.forward(Mode.INFERENCE, io, ws);
            }
            long javaBytes = threads.getCurrentThreadAllocatedBytes() - javaBefore;
            long nativeGrowth = nativeInUse() - nativeBefore;
            // 100,000 calls: a leak of 8 bytes per call would be 800 kB
            assertTrue(nativeGrowth < 256 * 1024, "native memory grew by " + nativeGrowth + " bytes");
            // a per-call allocation, even of one object, would be over 1.6 MB; a one-off JIT event is not a leak
            assertTrue(javaBytes < 4096, "Java bytes allocated by 100,000 forward calls: " + javaBytes);
        }
    }

    @Test
    void steadyStateCallsAllocateNoJavaMemory() {
        RnnDescriptor d = new RnnDescriptor(CellKind.GRU, 2, Direction.BIDIRECTIONAL, 6, 3, 10, 20);
        SplittableRandom random = new SplittableRandom(1);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random), dy = Tensors.uniform(d.dstLayerShape(), random);
        RnnForward io = RnnForward.of(x, FloatTensor.zeros(d.dstLayerShape())).withFinalState(FloatTensor.zeros(d.iterShape()), null);
        RnnBackward grads = RnnBackward.of(dy, FloatTensor.zeros(d.srcLayerShape()), RnnWeights.zeros(d))
                .withInitialStateGradients(FloatTensor.zeros(d.iterShape()), null);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (PreparedRnn rnn = new OneDnnBackend().prepare(d, RnnWeights.uniform(d, 2)); Workspace ws = rnn.newWorkspace()) {
            for (int i = 0; i < 5000; i++) {
                rnn.forward(Mode.TRAINING, io, ws);
                rnn.backward(grads, ws);
            }
            long allocated = Long.MAX_VALUE;
            // C2 compiles the paths over a while; a few rounds, and the last must allocate nothing
            for (int round = 0; round < 10 && allocated > 0; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 500; i++) {
                    rnn.forward(Mode.TRAINING, io, ws);
                    rnn.backward(grads, ws);
                    rnn.forward(Mode.INFERENCE, io, ws);
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, allocated, "Java bytes allocated by 500 training steps and inferences");
        }
    }
}
