package dev.jrnn.models.io;

import dev.jrnn.core.tensor.FloatTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads and writes NumPy's {@code .npy} files of float32 ({@code <f4}) in C order, as
 * {@code numpy.save} writes them; {@code <f8} is read too, converted to float, and integer arrays
 * ({@code <i8}, {@code <i4}) by {@link #readIntegers}. Reading checks the
 * magic, the header and that the data has exactly the size the shape says, and names the file and
 * the problem when anything is off (Fortran order, another dtype, a truncated file). Writing is atomic.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int MAX_HEADER_BYTES = 1 << 16;
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {
    }

    /** The array in {@code path} as a contiguous heap tensor. */
    public static FloatTensor read(Path path) throws IOException {
        Data d = data(path, false);
        float[] values = new float[d.elements];
        if (d.descr.equals("<f4")) {
            d.bytes.asFloatBuffer().get(values);
        } else {
            for (int i = 0; i < values.length; i++) {
                values[i] = (float) d.bytes.getDouble(i * 8);
            }
        }
        return FloatTensor.of(values, d.shape);
    }

    /** An integer array: token ids, lengths. {@code values} in C order over {@code shape}. */
    public record Integers(long[] values, int[] shape) {
    }

    /** The integer array ({@code <i8} or {@code <i4}, as {@code numpy.save} writes int64 and int32) in {@code path}. */
    public static Integers readIntegers(Path path) throws IOException {
        Data d = data(path, true);
        long[] values = new long[d.elements];
        for (int i = 0; i < values.length; i++) {
            values[i] = d.descr.equals("<i8") ? d.bytes.getLong(i * 8) : d.bytes.getInt(i * 4);
        }
        return new Integers(values, d.shape);
    }

    private record Data(String descr, int[] shape, int elements, ByteBuffer bytes) {
    }

    /** The checked header and the data of an array of floats, or of integers. */
    private static Data data(Path path, boolean integers) throws IOException {
        String kind = integers ? "an int64 or int32" : "a float32";
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            ByteBuffer start = read(channel, 0, (int) Math.min(size, 12));
            byte[] magic = new byte[Math.min(6, start.remaining())];
            start.get(magic);
            if (!Arrays.equals(magic, MAGIC) || size < 10) {
                throw malformed(path, kind, "no .npy magic number (is it a NumPy file?)");
            }
            int major = start.get(6) & 0xff;
            int headerBytes;
            int headerStart;
            if (major == 1) {
                headerBytes = start.order(ByteOrder.LITTLE_ENDIAN).getShort(8) & 0xffff;
                headerStart = 10;
            } else if (major == 2 || major == 3) {
                if (size < 12) {
                    throw malformed(path, kind, "truncated header");
                }
                long length = start.order(ByteOrder.LITTLE_ENDIAN).getInt(8) & 0xffffffffL;
                if (length > MAX_HEADER_BYTES) {
                    throw malformed(path, kind, "header of " + length + " bytes");
                }
                headerBytes = (int) length;
                headerStart = 12;
            } else {
                throw malformed(path, kind, "format version " + major + " (1, 2 and 3 are known)");
            }
            if (headerStart + (long) headerBytes > size) {
                throw malformed(path, kind, "truncated header");
            }
            String header = StandardCharsets.ISO_8859_1.decode(read(channel, headerStart, headerBytes)).toString();
            String descr = group(path, kind, DESCR, header, "descr");
            if (integers && !descr.equals("<i8") && !descr.equals("<i4")) {
                throw malformed(path, kind, "dtype '" + descr + "'; jrnn reads integers as int64 ('<i8') or int32 ('<i4'): "
                        + "use array.astype(numpy.int64)");
            }
            if (!integers && !descr.equals("<f4") && !descr.equals("<f8")) {
                throw malformed(path, kind, "dtype '" + descr + "'; jrnn reads float32 ('<f4') or float64 ('<f8'): "
                        + "use array.astype(numpy.float32)");
            }
            if (group(path, kind, FORTRAN, header, "fortran_order").equals("True")) {
                throw malformed(path, kind, "Fortran order; save numpy.ascontiguousarray(array) instead");
            }
            int[] shape = shape(path, kind, group(path, kind, SHAPE, header, "shape"));
            long elements = 1;
            for (int d : shape) {
                elements *= d;
                if (elements > Integer.MAX_VALUE) {
                    throw malformed(path, kind, "more than 2^31 elements");
                }
            }
            int itemSize = descr.endsWith("8") ? 8 : 4;
            long dataStart = headerStart + (long) headerBytes;
            if (size - dataStart != elements * itemSize) {
                throw malformed(path, kind, "shape " + Arrays.toString(shape) + " of " + descr + " needs " + elements * itemSize
                        + " bytes of data, the file has " + (size - dataStart));
            }
            ByteBuffer data = read(channel, dataStart, (int) (elements * itemSize)).order(ByteOrder.LITTLE_ENDIAN);
            return new Data(descr, shape, (int) elements, data);
        }
    }

    private static String group(Path path, String kind, Pattern pattern, String header, String key) throws IOException {
        Matcher m = pattern.matcher(header);
        if (!m.find()) {
            throw malformed(path, kind, "the header has no valid '" + key + "': " + header.strip());
        }
        return m.group(1);
    }

    private static int[] shape(Path path, String kind, String tuple) throws IOException {
        String[] parts = tuple.split(",");
        int rank = tuple.isBlank() ? 0 : parts.length; // "3," splits to one part: numpy's 1-tuple
        if (rank == 0) {
            throw malformed(path, kind, "a scalar (shape ()); jrnn reads arrays of rank 1 or more");
        }
        int[] shape = new int[rank];
        for (int i = 0; i < rank; i++) {
            try {
                long d = Long.parseLong(parts[i].strip());
                if (d < 1 || d > Integer.MAX_VALUE) { // jrnn tensors have sizes >= 1
                    throw new NumberFormatException();
                }
                shape[i] = (int) d;
            } catch (NumberFormatException e) {
                throw malformed(path, kind, "shape (" + tuple + ")");
            }
        }
        return shape;
    }

    private static ByteBuffer read(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new IOException("unexpected end of file");
            }
        }
        return buffer.flip();
    }

    private static IOException malformed(Path path, String kind, String what) {
        return new IOException(path + ": not " + kind + " .npy array: " + what);
    }

    /** Writes {@code tensor} (any strides) as {@code <f4} in C order, version 1.0, atomically. */
    public static void write(Path path, FloatTensor tensor) throws IOException {
        byte[] header = header("<f4", tensor.shape().dims());
        AtomicFiles.write(path, out -> {
            out.write(header);
            out.write(SafeTensors.littleEndian(tensor));
        });
    }

    /** Writes {@code values} as an {@code <i4} array of {@code shape} in C order, version 1.0, atomically. */
    public static void writeIntegers(Path path, int[] values, int... shape) throws IOException {
        long size = 1;
        for (int d : shape) {
            size *= d;
        }
        if (size != values.length) {
            throw new IllegalArgumentException(values.length + " values for the shape " + java.util.Arrays.toString(shape));
        }
        byte[] header = header("<i4", shape);
        ByteBuffer data = ByteBuffer.allocate(values.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        data.asIntBuffer().put(values);
        AtomicFiles.write(path, out -> {
            out.write(header);
            out.write(data.array());
        });
    }

    /** The magic, version 1.0 and the header dictionary, padded so the data starts 64-byte aligned. */
    private static byte[] header(String descr, int[] dims) {
        StringBuilder shape = new StringBuilder("(");
        for (int i = 0; i < dims.length; i++) {
            shape.append(i == 0 ? "" : ", ").append(dims[i]);
        }
        shape.append(dims.length == 1 ? ",)" : ")");
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        String text = dict + " ".repeat((64 - unpadded % 64) % 64) + "\n";
        ByteBuffer header = ByteBuffer.allocate(MAGIC.length + 4 + text.length()).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length());
        header.put(text.getBytes(StandardCharsets.ISO_8859_1));
        return header.array();
    }
}
