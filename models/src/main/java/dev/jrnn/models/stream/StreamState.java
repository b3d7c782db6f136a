package dev.jrnn.models.stream;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * One stream's state in a {@link StreamingRnn}: hidden (and LSTM cell) states of every layer, and
 * the memory a step needs. Owned by one caller at a time. States are double-buffered (a step reads
 * one pair and writes the other) and every call's arguments are built here once, so a step
 * allocates nothing. {@link #reset}, {@link #copyFrom} and {@link #hidden} let a service rewind,
 * fork and save a stream.
 *
 * <p><b>Bytes.</b> {@link #toBytes} / {@link #writeTo} and {@link #readFrom} (or
 * {@link StreamingRnn#restore}) keep a stream outside the process (a store keyed by user, Flink's
 * keyed state): {@value #HEADER_BYTES} bytes of header, then the hidden states and, for an LSTM,
 * the cell states, layer after layer, as float32 little-endian, then a CRC-32C of all before it.
 * The header is the magic {@code "JRNS"}, the format version ({@value #FORMAT_VERSION}), the cell
 * kind, the number of layers and the hidden size (int32 little-endian). Reading checks every field
 * against this state's model and the checksum before it changes anything; bytes of another
 * stack's state, truncated or corrupt bytes are an {@link IllegalArgumentException} saying which.
 */
public final class StreamState implements AutoCloseable {

    private final StreamingRnn model;
    private final Workspace workspace;
    private final FloatTensor input, output;
    private final FloatTensor[] h = new FloatTensor[2], c = new FloatTensor[2];
    private final RnnForward[] calls = new RnnForward[2];
    /** Which of the two state buffers holds the current state. */
    private int current;

    /** The first four bytes of a state's byte form: "JRNS" read as a little-endian int. */
    private static final int MAGIC = 'J' | 'R' << 8 | 'N' << 16 | 'S' << 24;
    /** The version of the byte form this class writes and reads. */
    public static final int FORMAT_VERSION = 1;
    /** Magic, version, cell kind, layers, hidden size. */
    public static final int HEADER_BYTES = 4 + 1 + 1 + 4 + 4;
    private static final int CHECKSUM_BYTES = 4;
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);
    /** Made once: writing and reading bytes allocate nothing beyond the array {@link #toBytes} returns. */
    private final CRC32C crc = new CRC32C();

    StreamState(StreamingRnn model, Workspace workspace, RnnDescriptor d) {
        this.model = model;
        this.workspace = workspace;
        this.input = FloatTensor.zeros(d.srcLayerShape());
        this.output = FloatTensor.zeros(d.dstLayerShape());
        boolean lstm = d.cell() == CellKind.LSTM;
        for (int i = 0; i < 2; i++) {
            h[i] = FloatTensor.zeros(d.iterShape());
            c[i] = lstm ? FloatTensor.zeros(d.iterShape()) : null;
        }
        for (int i = 0; i < 2; i++) { // call i reads buffer i and writes the other
            calls[i] = RnnForward.of(input, output).withInitialState(h[i], c[i]).withFinalState(h[1 - i], c[1 - i]);
        }
    }

    StreamingRnn model() {
        return model;
    }

    Workspace workspace() {
        return workspace;
    }

    FloatTensor input() {
        return input;
    }

    FloatTensor output() {
        return output;
    }

    RnnForward nextCall() {
        return calls[current];
    }

    void advance() {
        current = 1 - current;
    }

    /** The hidden states {@code [L, 1, H]} now (a live view: copy it to keep it). */
    public FloatTensor hidden() {
        return h[current];
    }

    /** The LSTM cell states {@code [L, 1, H]} now, or null for other cells (a live view). */
    public FloatTensor cell() {
        return c[current];
    }

    /** Back to zero states, as a new stream. */
    public void reset() {
        h[current].fill(0f);
        if (c[current] != null) {
            c[current].fill(0f);
        }
    }

    /** Makes this stream continue from where {@code other} (of the same model) is. */
    public void copyFrom(StreamState other) {
        if (other.model != model) {
            throw new IllegalArgumentException("the state belongs to another model");
        }
        h[current].copyFrom(other.h[other.current]);
        if (c[current] != null) {
            c[current].copyFrom(other.c[other.current]);
        }
    }

    /** Sets the states, e.g. saved earlier from {@link #hidden()} and {@link #cell()}. */
    public void set(FloatTensor hidden, FloatTensor cell) {
        h[current].copyFrom(hidden);
        if (c[current] != null) {
            if (cell == null) {
                throw new IllegalArgumentException("an LSTM stream needs its cell state too");
            }
            c[current].copyFrom(cell);
        }
    }

    /** The length of this state's byte form. */
    public int byteSize() {
        long floats = h[0].size() * (c[0] == null ? 1 : 2);
        return Math.toIntExact(HEADER_BYTES + floats * Float.BYTES + CHECKSUM_BYTES);
    }

    /** The state's byte form (see the class comment): a new array of {@link #byteSize()} bytes. */
    public byte[] toBytes() {
        byte[] bytes = new byte[byteSize()];
        writeTo(bytes, 0);
        return bytes;
    }

    /** Writes the state's byte form to {@code dst} from {@code offset}; returns the bytes written. Allocates nothing. */
    public int writeTo(byte[] dst, int offset) {
        int size = byteSize();
        java.util.Objects.checkFromIndexSize(offset, size, dst.length);
        RnnDescriptor d = model.descriptor();
        INT.set(dst, offset, MAGIC);
        dst[offset + 4] = FORMAT_VERSION;
        dst[offset + 5] = cellCode(d.cell());
        INT.set(dst, offset + 6, d.layers());
        INT.set(dst, offset + 10, d.hiddenSize());
        int at = putFloats(h[current], dst, offset + HEADER_BYTES);
        if (c[current] != null) {
            at = putFloats(c[current], dst, at);
        }
        crc.reset();
        crc.update(dst, offset, at - offset);
        INT.set(dst, at, (int) crc.getValue());
        return size;
    }

    /** Continues from the state {@code src} holds whole (written by {@link #toBytes}). */
    public void readFrom(byte[] src) {
        readFrom(src, 0, src.length);
    }

    /**
     * Continues from the state in {@code src[offset, offset + length)}, written by {@link #writeTo}
     * for a stack of this model's shape. Every field and the checksum are checked first: bytes
     * that are not such a state are an {@link IllegalArgumentException} saying what is wrong, and
     * this state is left as it was. Allocates nothing when the bytes are right.
     */
    public void readFrom(byte[] src, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, src.length);
        RnnDescriptor d = model.descriptor();
        int size = byteSize();
        if (length < HEADER_BYTES) {
            throw new IllegalArgumentException("stream state bytes: " + length + " bytes, shorter than the "
                    + HEADER_BYTES + "-byte header");
        }
        int magic = (int) INT.get(src, offset);
        if (magic != MAGIC) {
            throw new IllegalArgumentException("stream state bytes: not a jrnn stream state (the first 4 bytes are 0x"
                    + String.format("%08x", Integer.reverseBytes(magic)) + ", expected \"JRNS\")");
        }
        if (src[offset + 4] != FORMAT_VERSION) {
            throw new IllegalArgumentException("stream state bytes: format version " + (src[offset + 4] & 0xff)
                    + ", this jrnn reads version " + FORMAT_VERSION);
        }
        CellKind cell = cellOf(src[offset + 5]);
        int layers = (int) INT.get(src, offset + 6), hidden = (int) INT.get(src, offset + 10);
        if (cell != d.cell() || layers != d.layers() || hidden != d.hiddenSize()) {
            throw new IllegalArgumentException("stream state bytes: the state of " + (cell == null
                    ? "an unknown cell kind (code " + src[offset + 5] + ")" : describe(cell, layers, hidden))
                    + ", not of this model's " + describe(d.cell(), d.layers(), d.hiddenSize()));
        }
        if (length != size) {
            throw new IllegalArgumentException("stream state bytes: " + length + " bytes, a state of "
                    + describe(cell, layers, hidden) + " is " + size + (length < size ? " (truncated)" : ""));
        }
        crc.reset();
        crc.update(src, offset, size - CHECKSUM_BYTES);
        int expected = (int) INT.get(src, offset + size - CHECKSUM_BYTES);
        if ((int) crc.getValue() != expected) {
            throw new IllegalArgumentException("stream state bytes: the checksum does not match (the bytes are corrupt)");
        }
        int at = getFloats(src, offset + HEADER_BYTES, h[current]);
        if (c[current] != null) {
            getFloats(src, at, c[current]);
        }
    }

    private static int putFloats(FloatTensor t, byte[] dst, int at) {
        for (long i = 0, n = t.size(); i < n; i++, at += Float.BYTES) {
            FLOAT.set(dst, at, t.getFlat(i));
        }
        return at;
    }

    private static int getFloats(byte[] src, int at, FloatTensor t) {
        for (long i = 0, n = t.size(); i < n; i++, at += Float.BYTES) {
            t.setFlat(i, (float) FLOAT.get(src, at));
        }
        return at;
    }

    /** A cell kind's code in the byte form: fixed here, never an enum ordinal, so new kinds cannot renumber old states. */
    private static byte cellCode(CellKind cell) {
        return switch (cell) {
            case RNN_TANH -> 1;
            case RNN_RELU -> 2;
            case LSTM -> 3;
            case GRU -> 4;
        };
    }

    private static CellKind cellOf(byte code) {
        return switch (code) {
            case 1 -> CellKind.RNN_TANH;
            case 2 -> CellKind.RNN_RELU;
            case 3 -> CellKind.LSTM;
            case 4 -> CellKind.GRU;
            default -> null;
        };
    }

    private static String describe(CellKind cell, int layers, int hidden) {
        return cell + " stack (" + layers + (layers == 1 ? " layer" : " layers") + " of " + hidden + ")";
    }

    @Override
    public void close() {
        workspace.close();
    }
}
