package dev.jrnn.models.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** A stream state's byte form: a restored stream continues bitwise; wrong, truncated and corrupt bytes are refused by name. */
class StreamStateBytesTest {

    private static final int I = 3, H = 7, L = 2;

    private static RnnDescriptor architecture(CellKind cell, int layers, int hidden) {
        return new RnnDescriptor(cell, layers, Direction.UNIDIRECTIONAL, 1, 1, I, hidden);
    }

    private static float[][] inputs(int steps, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[][] x = new float[steps][I];
        for (float[] row : x) {
            for (int i = 0; i < I; i++) {
                row[i] = (float) (random.nextDouble() * 2 - 1);
            }
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(CellKind.class)
    void aRestoredStreamContinuesBitwise(CellKind cell) {
        RnnDescriptor d = architecture(cell, L, H);
        RnnWeights w = RnnWeights.uniform(d, 5);
        float[][] x = inputs(20, 1);
        float[] y = new float[H], z = new float[H];
        // the restoring side is another model prepared from the same weights, as another process would
        try (StreamingRnn model = StreamingRnn.prepare(d, w, "simd"); StreamingRnn other = StreamingRnn.prepare(d, w, "simd");
             StreamState state = model.newState()) {
            for (int t = 0; t < 9; t++) {
                model.step(x[t], state, y);
            }
            byte[] bytes = state.toBytes();
            assertEquals(StreamState.HEADER_BYTES + L * H * Float.BYTES * (cell == CellKind.LSTM ? 2 : 1) + 4, bytes.length);
            assertEquals(bytes.length, state.byteSize());
            try (StreamState restored = other.restore(bytes)) {
                assertArrayEquals(state.hidden().toArray(), restored.hidden().toArray());
                for (int t = 9; t < 20; t++) {
                    model.step(x[t], state, y);
                    other.step(x[t], restored, z);
                    assertArrayEquals(y, z, "step " + t); // bitwise: float equality
                }
                assertArrayEquals(state.toBytes(), restored.toBytes());
            }
            // writeTo at an offset inside a bigger buffer, readFrom the same place
            byte[] buffer = new byte[bytes.length + 10];
            assertEquals(state.byteSize(), state.writeTo(buffer, 5));
            try (StreamState again = model.newState()) {
                again.readFrom(buffer, 5, state.byteSize());
                assertArrayEquals(state.toBytes(), again.toBytes());
            }
        }
    }

    @Test
    void badBytesAreRefusedByNameAndLeaveTheStateAlone() {
        RnnDescriptor d = architecture(CellKind.LSTM, L, H);
        try (StreamingRnn model = StreamingRnn.prepare(d, RnnWeights.uniform(d, 5), "simd");
             StreamState state = model.newState()) {
            float[] y = new float[H];
            for (float[] x : inputs(4, 2)) {
                model.step(x, state, y);
            }
            byte[] good = state.toBytes();
            try (StreamState target = model.newState()) {
                target.readFrom(good);
                byte[] before = target.toBytes();

                byte[] magic = good.clone();
                magic[0] = 'X';
                assertRefused(target, before, magic, "not a jrnn stream state");
                byte[] version = good.clone();
                version[4] = 9;
                assertRefused(target, before, version, "format version 9, this jrnn reads version 1");
                byte[] cell = good.clone();
                cell[5] = 42;
                assertRefused(target, before, cell, "an unknown cell kind (code 42)");
                assertRefused(target, before, Arrays.copyOf(good, good.length - 1), "(truncated)");
                assertRefused(target, before, Arrays.copyOf(good, 6), "shorter than the 14-byte header");
                assertRefused(target, before, Arrays.copyOf(good, good.length + 3), "bytes, a state of LSTM stack (2 layers of 7) is");
                byte[] flipped = good.clone();
                flipped[StreamState.HEADER_BYTES + 5] ^= 0x10; // a bit of a hidden state's float
                assertRefused(target, before, flipped, "the checksum does not match");
            }
            // another model's state: a GRU's, another hidden size, another depth
            for (RnnDescriptor o : new RnnDescriptor[] {architecture(CellKind.GRU, L, H), architecture(CellKind.LSTM, L, H + 1),
                    architecture(CellKind.LSTM, 1, H)}) {
                try (StreamingRnn m = StreamingRnn.prepare(o, RnnWeights.uniform(o, 5), "simd"); StreamState s = m.newState()) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.restore(s.toBytes()));
                    assertTrue(e.getMessage().contains("not of this model's LSTM stack (2 layers of 7)"), e.getMessage());
                }
            }
        }
    }

    @Test
    void writingAndReadingBytesAllocateNothing() {
        RnnDescriptor d = architecture(CellKind.LSTM, L, H);
        var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (StreamingRnn model = StreamingRnn.prepare(d, RnnWeights.uniform(d, 5), "simd");
             StreamState state = model.newState()) {
            byte[] buffer = new byte[state.byteSize()];
            long allocated = Long.MAX_VALUE;
            for (int round = 0; round < 10 && allocated > 0; round++) {
                for (int i = 0; i < 20_000; i++) {
                    state.readFrom(buffer, 0, state.writeTo(buffer, 0));
                }
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 1000; i++) {
                    state.readFrom(buffer, 0, state.writeTo(buffer, 0));
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertEquals(0, allocated, "bytes allocated by 1000 writes and reads");
        }
    }

    private static void assertRefused(StreamState target, byte[] before, byte[] bytes, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.readFrom(bytes));
        assertTrue(e.getMessage().startsWith("stream state bytes: ") && e.getMessage().contains(expected), e.getMessage());
        assertArrayEquals(before, target.toBytes(), "a refused read changed the state");
    }
}
