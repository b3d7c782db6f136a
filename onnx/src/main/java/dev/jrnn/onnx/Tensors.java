package dev.jrnn.onnx;

import com.google.protobuf.ByteString;
import dev.jrnn.onnx.proto.Onnx.TensorProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** ONNX's {@code TensorProto} (initializers, constants) as values, its declared size checked against its data first. */
final class Tensors {

    private Tensors() {
    }

    /** Thrown for a tensor whose bytes do not match its declaration: the file is malformed. */
    static final class Malformed extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Malformed(String message) {
            super(message);
        }
    }

    static Value read(TensorProto t, String what) {
        if (t.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            throw new Malformed(what + " '" + t.getName() + "' keeps its data in an external file; jrnn reads "
                    + "self-contained models (save with onnx.save(model, path, save_as_external_data=False))");
        }
        if (t.hasSegment()) {
            throw new Malformed(what + " '" + t.getName() + "' is a segment of a larger tensor; jrnn reads whole tensors");
        }
        Value.Type type = Value.Type.of(t.getDataType());
        if (type == null) {
            throw new Malformed(what + " '" + t.getName() + "' has element type "
                    + TensorProto.DataType.forNumber(t.getDataType()) + "; jrnn runs float32, int64 and int32");
        }
        int[] shape = new int[t.getDimsCount()];
        long n = 1;
        for (int k = 0; k < shape.length; k++) {
            long d = t.getDims(k);
            if (d < 0 || d > Value.MAX_ELEMENTS || (n *= d) > Value.MAX_ELEMENTS) {
                throw new Malformed(what + " '" + t.getName() + "' declares dimensions " + t.getDimsList());
            }
            shape[k] = (int) d;
        }
        int count = (int) n;
        int itemBytes = type == Value.Type.INT64 ? 8 : 4;
        ByteString raw = t.getRawData();
        int typed = switch (type) {
            case FLOAT -> t.getFloatDataCount();
            case INT32 -> t.getInt32DataCount();
            case INT64 -> t.getInt64DataCount();
        };
        // the data is already in memory (it came with the file), so these checks come before any allocation of ours
        if (!raw.isEmpty() || typed == 0) {
            if (raw.size() != (long) count * itemBytes) {
                throw new Malformed(what + " '" + t.getName() + "' declares " + t.getDimsList() + " of " + type
                        + " (" + (long) count * itemBytes + " bytes) but holds " + raw.size() + " bytes");
            }
        } else if (typed != count) {
            throw new Malformed(what + " '" + t.getName() + "' declares " + t.getDimsList() + " (" + count
                    + " elements) but holds " + typed);
        }
        ByteBuffer bytes = raw.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN); // ONNX's raw_data is little-endian
        boolean fromRaw = !raw.isEmpty() || count == 0;
        if (type == Value.Type.FLOAT) {
            float[] v = new float[count];
            for (int k = 0; k < count; k++) {
                v[k] = fromRaw ? bytes.getFloat(k * 4) : t.getFloatData(k);
            }
            return Value.floats(shape, v);
        }
        long[] v = new long[count];
        for (int k = 0; k < count; k++) {
            v[k] = type == Value.Type.INT64 ? (fromRaw ? bytes.getLong(k * 8) : t.getInt64Data(k))
                    : (fromRaw ? bytes.getInt(k * 4) : t.getInt32Data(k));
        }
        return Value.longs(type, shape, v);
    }
}
