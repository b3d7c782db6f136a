package dev.jrnn.bench;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.rnn.RnnWeights.Param;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A one-layer ONNX model ({@code LSTM}, {@code GRU} with {@code linear_before_reset=1}, or {@code RNN})
 * holding PyTorch-layout weights, so ONNX Runtime can be measured on exactly jrnn's problem. ONNX
 * orders gates differently (LSTM i, o, f, c; GRU z, r, h) and concatenates the two biases. The
 * protobuf is written by hand: a dozen fields of onnx.proto are all a model needs.
 *
 * <p>Graph: {@code X [T, N, I] -> Y [T, D, N, H], Y_h [D, N, H]}.
 */
final class OnnxRnnModel {

    private OnnxRnnModel() {
    }

    /** For ONNX gate {@code g}, the PyTorch gate whose rows it takes. */
    private static int[] gateOrder(CellKind cell) {
        return switch (cell) {
            case LSTM -> new int[] {0, 3, 1, 2}; // i, o, f, c  <-  i, f, g, o
            case GRU -> new int[] {1, 0, 2};     // z, r, h     <-  r, z, n
            case RNN_TANH, RNN_RELU -> new int[] {0};
        };
    }

    static byte[] build(RnnDescriptor d, RnnWeights w) {
        if (d.layers() != 1) {
            throw new IllegalArgumentException("one layer only, got " + d);
        }
        int dirs = d.directions(), h = d.hiddenSize(), in = d.inputSize(), g = d.gates();
        int[] order = gateOrder(d.cell());
        float[] wData = new float[dirs * g * h * in], rData = new float[dirs * g * h * h], bData = new float[dirs * 2 * g * h];
        for (int dir = 0; dir < dirs; dir++) {
            float[] wih = w.get(Param.WEIGHT_IH, 0, dir).toArray(), whh = w.get(Param.WEIGHT_HH, 0, dir).toArray();
            float[] bih = w.get(Param.BIAS_IH, 0, dir).toArray(), bhh = w.get(Param.BIAS_HH, 0, dir).toArray();
            for (int og = 0; og < g; og++) {
                int pg = order[og];
                System.arraycopy(wih, pg * h * in, wData, (dir * g + og) * h * in, h * in);
                System.arraycopy(whh, pg * h * h, rData, (dir * g + og) * h * h, h * h);
                System.arraycopy(bih, pg * h, bData, dir * 2 * g * h + og * h, h);
                System.arraycopy(bhh, pg * h, bData, dir * 2 * g * h + (g + og) * h, h);
            }
        }
        String op = switch (d.cell()) {
            case LSTM -> "LSTM";
            case GRU -> "GRU";
            case RNN_TANH, RNN_RELU -> "RNN";
        };
        Proto node = new Proto()
                .string(1, "X").string(1, "W").string(1, "R").string(1, "B")
                .string(2, "Y").string(2, "Y_h")
                .string(3, "rnn").string(4, op)
                .message(5, new Proto().string(1, "hidden_size").varint(3, h).varint(20, 2))
                .message(5, new Proto().string(1, "direction").bytes(4, (dirs == 2 ? "bidirectional" : "forward")
                        .getBytes(StandardCharsets.UTF_8)).varint(20, 3));
        if (d.cell() == CellKind.GRU) {
            node.message(5, new Proto().string(1, "linear_before_reset").varint(3, 1).varint(20, 2));
        }
        if (d.cell() == CellKind.RNN_RELU) {
            node.message(5, new Proto().string(1, "activations").string(9, "Relu").string(9, "Relu").varint(20, 8));
        }
        Proto graph = new Proto().message(1, node).string(2, "jrnn")
                .message(5, tensor("W", wData, dirs, g * h, in))
                .message(5, tensor("R", rData, dirs, g * h, h))
                .message(5, tensor("B", bData, dirs, 2 * g * h))
                .message(11, valueInfo("X", d.steps(), d.batch(), in))
                .message(12, valueInfo("Y", d.steps(), dirs, d.batch(), h))
                .message(12, valueInfo("Y_h", dirs, d.batch(), h));
        return new Proto().varint(1, 8).string(2, "jrnn-bench").message(7, graph)
                .message(8, new Proto().string(1, "").varint(2, 14)).toByteArray();
    }

    private static Proto tensor(String name, float[] data, long... dims) {
        ByteBuffer raw = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(data);
        Proto t = new Proto();
        for (long dim : dims) {
            t.varint(1, dim);
        }
        return t.varint(2, 1).string(8, name).bytes(9, raw.array());
    }

    private static Proto valueInfo(String name, long... dims) {
        Proto shape = new Proto();
        for (long dim : dims) {
            shape.message(1, new Proto().varint(1, dim));
        }
        Proto tensorType = new Proto().varint(1, 1).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
    }

    /** Just enough protobuf: varints, strings, bytes and nested messages. */
    private static final class Proto {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Proto varint(int field, long value) {
            tag(field, 0);
            raw(value);
            return this;
        }

        Proto string(int field, String value) {
            return bytes(field, value.getBytes(StandardCharsets.UTF_8));
        }

        Proto bytes(int field, byte[] value) {
            tag(field, 2);
            raw(value.length);
            out.writeBytes(value);
            return this;
        }

        Proto message(int field, Proto value) {
            return bytes(field, value.toByteArray());
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        private void tag(int field, int wireType) {
            raw(((long) field << 3) | wireType);
        }

        private void raw(long value) {
            while ((value & ~0x7FL) != 0) {
                out.write((int) ((value & 0x7F) | 0x80));
                value >>>= 7;
            }
            out.write((int) value);
        }
    }
}
