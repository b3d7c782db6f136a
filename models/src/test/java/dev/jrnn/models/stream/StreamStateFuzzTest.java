package dev.jrnn.models.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;

/**
 * {@link StreamState#readFrom} under the readers' fuzzing contract: any bytes are read whole or
 * refused with an {@link IllegalArgumentException}; bytes that are read write back unchanged.
 * The committed input is an LSTM's state (2 layers of 7), this target's model.
 */
class StreamStateFuzzTest {

    private static final RnnDescriptor ARCHITECTURE = new RnnDescriptor(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, 1, 1, 3, 7);
    private static final StreamingRnn MODEL = StreamingRnn.prepare(ARCHITECTURE, RnnWeights.uniform(ARCHITECTURE, 1), "reference");

    @FuzzTest(maxDuration = "10s")
    void streamState(byte[] bytes) {
        try (StreamState state = MODEL.newState()) {
            try {
                state.readFrom(bytes);
            } catch (IllegalArgumentException expected) {
                return; // the contract: bytes that are not such a state are refused, saying why
            }
            assertArrayEquals(bytes, state.toBytes());
        }
    }
}
