package dev.jrnn.onednn;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
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
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Run in a child JVM by {@link SoakTest}: warms up, then makes {@code args[0]} forward calls and
 * prints how the native bytes malloc holds ({@code mallinfo2}: {@code uordblks + hblkhd}) changed
 * over each {@value #SAMPLE_EVERY} calls, and the Java bytes this thread allocated. glibc's allocator serves oneDNN and the JDK's
 * native arenas alike, so any native leak on the call path shows there.
 */
public final class SoakMain {

    /** glibc's {@code struct mallinfo2 mallinfo2(void)}: ten {@code size_t}s, returned by value. */
    private static final MethodHandle MALLINFO2 = Linker.nativeLinker().downcallHandle(
            Linker.nativeLinker().defaultLookup().find("mallinfo2").orElseThrow(),
            FunctionDescriptor.of(MemoryLayout.structLayout(MemoryLayout.sequenceLayout(10, ValueLayout.JAVA_LONG))));

    static final int SAMPLE_EVERY = 10_000;

    static long nativeInUse(SegmentAllocator memory) throws Throwable {
        MemorySegment info = (MemorySegment) MALLINFO2.invokeExact(memory);
        return info.getAtIndex(ValueLayout.JAVA_LONG, 7) + info.getAtIndex(ValueLayout.JAVA_LONG, 4);
    }

    public static void main(String[] args) throws Throwable {
        int calls = Integer.parseInt(args[0]);
        RnnDescriptor d = new RnnDescriptor(CellKind.LSTM, 2, Direction.BIDIRECTIONAL, 4, 2, 8, 16);
        SplittableRandom random = new SplittableRandom(5);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random);
        RnnForward io = RnnForward.of(x, FloatTensor.zeros(d.dstLayerShape()))
                .withFinalState(FloatTensor.zeros(d.iterShape()), FloatTensor.zeros(d.iterShape()));
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        try (PreparedRnn rnn = new OneDnnBackend().prepare(d, RnnWeights.uniform(d, 2)); Workspace ws = rnn.newWorkspace()) {
            for (int i = 0; i < 20_000; i++) { // warm-up: JIT, the OpenMP team, allocator caches
                rnn.forward(Mode.INFERENCE, io, ws);
            }
            SegmentAllocator sampleMemory = SegmentAllocator.prefixAllocator(Arena.global().allocate(80, 8));
            long[] steps = new long[calls / SAMPLE_EVERY];
            long previous = nativeInUse(sampleMemory);
            long javaBytes = 0; // counted over the calls only, not the sampling
            long javaBefore = threads.getCurrentThreadAllocatedBytes();
            for (int i = 1; i <= calls; i++) {
                rnn.forward(Mode.INFERENCE, io, ws);
                if (i % SAMPLE_EVERY == 0) {
                    javaBytes += threads.getCurrentThreadAllocatedBytes() - javaBefore;
                    long now = nativeInUse(sampleMemory);
                    steps[i / SAMPLE_EVERY - 1] = now - previous;
                    previous = now;
                    javaBefore = threads.getCurrentThreadAllocatedBytes();
                }
            }
            System.out.println("steps=" + Arrays.stream(steps).mapToObj(Long::toString).collect(Collectors.joining(",")));
            System.out.println("java=" + javaBytes);
        }
    }
}
