package dev.jrnn.models.io;

import dev.jrnn.core.tensor.FloatTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Reads and writes <a href="https://github.com/huggingface/safetensors">safetensors</a> files:
 * an 8-byte little-endian header length, a JSON header {@code {name: {dtype, shape,
 * data_offsets}, "__metadata__": {...}}}, then the tensors' bytes.
 *
 * <p>Reading trusts nothing in the file. The header must be at most {@value #MAX_HEADER_BYTES}
 * bytes of valid UTF-8 JSON; every tensor's offsets must lie in the file and match its dtype and
 * shape; tensors may not overlap and must cover the data exactly, as the format requires. So a
 * malformed or hostile file fails with an {@link IOException} that names the file and the
 * problem, before anything larger than the file itself is allocated. F32 is read as is; F64, F16
 * and BF16 are converted to float; other dtypes and empty or scalar tensors are refused when
 * asked for. Writing produces F32, atomically.
 */
public final class SafeTensors {

    /** The reference implementation's limit on the header. */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    private static final String METADATA = "__metadata__";
    private static final int MAX_RANK = 8;
    private static final java.util.Set<String> FLOATS = java.util.Set.of("F32", "F64", "F16", "BF16");

    private SafeTensors() {
    }

    private record Entry(String name, String dtype, int[] shape, long begin, long end) {
    }

    /** The tensors of {@code path}, by name, in header order; heap-backed and contiguous. */
    public static Map<String, FloatTensor> read(Path path) throws IOException {
        return read(path, name -> true);
    }

    /**
     * The tensors of {@code path} whose names {@code wanted} accepts (the whole file is checked;
     * only these are decoded, so a model's integer or scalar buffers elsewhere do not get in the way).
     */
    public static Map<String, FloatTensor> read(Path path, Predicate<String> wanted) throws IOException {
        try (Source source = Source.of(path)) {
            return read(source, wanted);
        }
    }

    /**
     * The tensors of a safetensors file held in memory ({@link #toBytes}), checked as {@link #read(Path)}
     * checks a file; {@code name} names it in messages.
     */
    public static Map<String, FloatTensor> read(byte[] bytes, String name, Predicate<String> wanted) throws IOException {
        return read(Source.of(bytes, name), wanted);
    }

    private static Map<String, FloatTensor> read(Source source, Predicate<String> wanted) throws IOException {
        Header header = header(source);
        Map<String, FloatTensor> tensors = new LinkedHashMap<>();
        for (Entry e : header.entries()) {
            if (!wanted.test(e.name())) {
                continue;
            }
            if (!FLOATS.contains(e.dtype())) {
                throw new IOException(source + ": tensor '" + e.name() + "' is " + e.dtype()
                        + "; jrnn reads F32, F64, F16 and BF16");
            }
            if (e.shape().length == 0 || java.util.Arrays.stream(e.shape()).anyMatch(d -> d == 0)) {
                throw new IOException(source + ": tensor '" + e.name() + "' has shape "
                        + java.util.Arrays.toString(e.shape()) + "; jrnn tensors have rank >= 1 and sizes >= 1");
            }
            ByteBuffer bytes = source.read(header.dataStart() + e.begin(), Math.toIntExact(e.end() - e.begin()))
                    .order(ByteOrder.LITTLE_ENDIAN);
            tensors.put(e.name(), FloatTensor.of(decode(e.dtype(), bytes), e.shape()));
        }
        return tensors;
    }

    /** The file's {@code __metadata__} (empty when it has none); the file is checked as by {@link #read}. */
    public static Map<String, String> metadata(Path path) throws IOException {
        try (Source source = Source.of(path)) {
            return metadata(source);
        }
    }

    /** As {@link #metadata(Path)}, of a file held in memory; {@code name} names it in messages. */
    public static Map<String, String> metadata(byte[] bytes, String name) throws IOException {
        return metadata(Source.of(bytes, name));
    }

    private static Map<String, String> metadata(Source source) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        if (header(source).json().get(METADATA) instanceof Map<?, ?> metadata) {
            metadata.forEach((k, v) -> out.put((String) k, (String) v));
        }
        return out;
    }

    /** A file's bytes, on disk or in memory; its {@code toString()} names it in messages. */
    private interface Source extends java.io.Closeable {
        long size() throws IOException;

        /** {@code length} bytes from {@code position}, which the caller has checked lie in the file. */
        ByteBuffer read(long position, int length) throws IOException;

        static Source of(Path path) throws IOException {
            FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
            return new Source() {
                public long size() throws IOException {
                    return channel.size();
                }

                public ByteBuffer read(long position, int length) throws IOException {
                    ByteBuffer buffer = ByteBuffer.allocate(length);
                    while (buffer.hasRemaining()) {
                        if (channel.read(buffer, position + buffer.position()) < 0) {
                            throw new IOException(path + ": unexpected end of file at " + (position + buffer.position()));
                        }
                    }
                    return buffer.flip();
                }

                public void close() throws IOException {
                    channel.close();
                }

                public String toString() {
                    return path.toString();
                }
            };
        }

        static Source of(byte[] bytes, String name) {
            return new Source() {
                public long size() {
                    return bytes.length;
                }

                public ByteBuffer read(long position, int length) {
                    return ByteBuffer.wrap(bytes, Math.toIntExact(position), length).slice();
                }

                public void close() {
                }

                public String toString() {
                    return name;
                }
            };
        }
    }

    /** The parsed and checked header: its JSON, its tensors, and where their data starts. */
    private record Header(Map<?, ?> json, List<Entry> entries, long dataStart) {
    }

    private static Header header(Source source) throws IOException {
        long size = source.size();
        if (size < 8) {
            throw malformed(source, "shorter than the 8-byte header length (" + size + " bytes)");
        }
        long headerBytes = source.read(0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        if (headerBytes < 2 || headerBytes > MAX_HEADER_BYTES || headerBytes > size - 8) {
            throw malformed(source, "header length " + Long.toUnsignedString(headerBytes) + " is not between 2 and "
                    + Math.min(MAX_HEADER_BYTES, size - 8) + " (the file has " + size + " bytes)");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(source.read(8, (int) headerBytes)).toString();
        } catch (CharacterCodingException e) {
            throw malformed(source, "the header is not UTF-8");
        }
        Object parsed;
        try {
            parsed = Json.parse(text.stripTrailing());
        } catch (IllegalArgumentException e) {
            throw malformed(source, e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?> json)) {
            throw malformed(source, "the header is not a JSON object");
        }
        long dataStart = 8 + headerBytes, dataBytes = size - dataStart;
        List<Entry> entries = parseHeader(source, json, dataBytes);
        checkCoverage(source, entries, dataBytes);
        return new Header(json, entries, dataStart);
    }

    private static List<Entry> parseHeader(Source source, Map<?, ?> header, long dataBytes) throws IOException {
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> item : header.entrySet()) {
            String name = (String) item.getKey();
            if (name.equals(METADATA)) {
                if (!(item.getValue() instanceof Map<?, ?> metadata) || !metadata.values().stream().allMatch(v -> v instanceof String)) {
                    throw malformed(source, METADATA + " must map strings to strings");
                }
                continue;
            }
            if (!(item.getValue() instanceof Map<?, ?> info) || info.size() != 3) {
                throw malformed(source, "tensor '" + name + "': expected {dtype, shape, data_offsets}");
            }
            String dtype = info.get("dtype") instanceof String s ? s : null;
            int size = dtype == null ? -1 : switch (dtype) {
                case "F64", "I64", "U64" -> 8;
                case "F32", "I32", "U32" -> 4;
                case "F16", "BF16", "I16", "U16" -> 2;
                case "BOOL", "U8", "I8", "F8_E4M3", "F8_E5M2" -> 1;
                default -> -1;
            };
            if (size < 0) {
                throw malformed(source, "tensor '" + name + "': unknown dtype " + info.get("dtype"));
            }
            int[] shape = shape(source, name, info.get("shape"));
            if (!(info.get("data_offsets") instanceof List<?> offsets) || offsets.size() != 2
                    || !(offsets.get(0) instanceof Long begin) || !(offsets.get(1) instanceof Long end)) {
                throw malformed(source, "tensor '" + name + "': data_offsets must be [begin, end]");
            }
            long elements = 1;
            for (int d : shape) {
                elements *= d; // at most 2^31 per dimension and checked below: no overflow before the check
                if (elements > Integer.MAX_VALUE) {
                    throw malformed(source, "tensor '" + name + "' has more than 2^31 elements");
                }
            }
            if (begin < 0 || end < begin || end > dataBytes) {
                throw malformed(source, "tensor '" + name + "': data_offsets [" + begin + ", " + end
                        + "] lie outside the " + dataBytes + " bytes of data");
            }
            if (end - begin != elements * size) {
                throw malformed(source, "tensor '" + name + "': " + dtype + " " + java.util.Arrays.toString(shape)
                        + " needs " + elements * size + " bytes, data_offsets give " + (end - begin));
            }
            entries.add(new Entry(name, dtype, shape, begin, end));
        }
        return entries;
    }

    private static int[] shape(Source source, String name, Object value) throws IOException {
        if (!(value instanceof List<?> dims) || dims.size() > MAX_RANK) {
            throw malformed(source, "tensor '" + name + "': shape must be a list of at most " + MAX_RANK + " sizes");
        }
        int[] shape = new int[dims.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!(dims.get(i) instanceof Long d) || d < 0 || d > Integer.MAX_VALUE) {
                throw malformed(source, "tensor '" + name + "': shape " + dims + " has a size that is not in [0, 2^31)");
            }
            shape[i] = (int) (long) d;
        }
        return shape;
    }

    /** The format requires the tensors to tile the data exactly: no overlaps, no holes. */
    private static void checkCoverage(Source source, List<Entry> entries, long dataBytes) throws IOException {
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        for (Entry e : sorted) {
            if (e.begin() != expected) {
                throw malformed(source, "tensor '" + e.name() + "' starts at " + e.begin() + ", expected " + expected
                        + (e.begin() < expected ? " (tensors overlap)" : " (a hole in the data)"));
            }
            expected = e.end();
        }
        if (expected != dataBytes) {
            throw malformed(source, "the tensors cover " + expected + " of the " + dataBytes + " bytes of data");
        }
    }

    private static float[] decode(String dtype, ByteBuffer bytes) {
        int n = bytes.remaining() / switch (dtype) {
            case "F32" -> 4;
            case "F64" -> 8;
            default -> 2;
        };
        float[] out = new float[n];
        switch (dtype) {
            case "F32" -> bytes.asFloatBuffer().get(out);
            case "F64" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = (float) bytes.getDouble(i * 8);
                }
            }
            case "F16" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.float16ToFloat(bytes.getShort(i * 2));
                }
            }
            default -> { // BF16: the top half of a float
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((bytes.getShort(i * 2) & 0xffff) << 16);
                }
            }
        }
        return out;
    }

    private static IOException malformed(Source path, String what) {
        return new IOException(path + ": not a valid safetensors file: " + what);
    }

    /** Writes {@code tensors} (any strides) as F32, in map order; atomically. */
    public static void write(Path path, Map<String, FloatTensor> tensors) throws IOException {
        write(path, tensors, Map.of());
    }

    /** Writes {@code tensors} as F32 with string {@code metadata}; atomically. */
    public static void write(Path path, Map<String, FloatTensor> tensors, Map<String, String> metadata) throws IOException {
        AtomicFiles.write(path, writer(tensors, metadata));
    }

    /** The file {@link #write(Path, Map, Map)} would write, in memory (e.g. a model to broadcast to a cluster). */
    public static byte[] toBytes(Map<String, FloatTensor> tensors, Map<String, String> metadata) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            writer(tensors, metadata).writeTo(out);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        return out.toByteArray();
    }

    private static AtomicFiles.Content writer(Map<String, FloatTensor> tensors, Map<String, String> metadata) {
        StringBuilder header = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            header.append(Json.quote(METADATA)).append(":{");
            metadata.forEach((k, v) -> header.append(Json.quote(k)).append(':').append(Json.quote(v)).append(','));
            header.setLength(header.length() - 1);
            header.append("},");
        }
        long offset = 0;
        for (Map.Entry<String, FloatTensor> e : tensors.entrySet()) {
            if (e.getKey().equals(METADATA)) {
                throw new IllegalArgumentException("a tensor may not be called " + METADATA);
            }
            long bytes = e.getValue().size() * Float.BYTES;
            header.append(Json.quote(e.getKey())).append(":{\"dtype\":\"F32\",\"shape\":")
                    .append(java.util.Arrays.toString(e.getValue().shape().dims()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]},");
            offset += bytes;
        }
        if (header.charAt(header.length() - 1) == ',') {
            header.setLength(header.length() - 1);
        }
        header.append('}');
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (headerBytes.length + 7) / 8 * 8;
        return out -> {
            ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(length.array());
            out.write(headerBytes);
            out.write(" ".repeat(padded - headerBytes.length).getBytes(StandardCharsets.US_ASCII));
            for (FloatTensor t : tensors.values()) {
                out.write(littleEndian(t));
            }
        };
    }

    static byte[] littleEndian(FloatTensor t) {
        float[] values = t.toArray();
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return bytes.array();
    }
}
