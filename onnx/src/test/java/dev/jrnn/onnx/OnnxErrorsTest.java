package dev.jrnn.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.io.Npy;
import dev.jrnn.onnx.proto.Onnx.AttributeProto;
import dev.jrnn.onnx.proto.Onnx.GraphProto;
import dev.jrnn.onnx.proto.Onnx.ModelProto;
import dev.jrnn.onnx.proto.Onnx.NodeProto;
import dev.jrnn.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kind of model jrnn refuses, and how: one exception naming what is wrong, never a crash or an answer. */
class OnnxErrorsTest {

    @TempDir
    Path dir;

    static Path fixture(String name) {
        return OnnxFixturesTest.fixtures().resolve(name + ".onnx");
    }

    static ModelProto proto(String name) throws IOException {
        return ModelProto.parseFrom(Files.readAllBytes(fixture(name)));
    }

    /** {@code model} saved to a file of the temporary folder. */
    Path save(ModelProto model, String name) throws IOException {
        Path file = dir.resolve(name + ".onnx");
        Files.write(file, model.toByteArray());
        return file;
    }

    /** Fixture {@code name} with {@code change} applied to its first node of operator {@code op}. */
    static ModelProto edited(String name, String op, Consumer<NodeProto.Builder> change) throws IOException {
        ModelProto.Builder model = proto(name).toBuilder();
        GraphProto.Builder graph = model.getGraphBuilder();
        for (int k = 0; k < graph.getNodeCount(); k++) {
            if (graph.getNode(k).getOpType().equals(op)) {
                change.accept(graph.getNodeBuilder(k));
                return model.build();
            }
        }
        throw new IllegalArgumentException(name + " has no " + op);
    }

    static Consumer<NodeProto.Builder> set(AttributeProto attribute) {
        return node -> {
            for (int k = 0; k < node.getAttributeCount(); k++) {
                if (node.getAttribute(k).getName().equals(attribute.getName())) {
                    node.setAttribute(k, attribute);
                    return;
                }
            }
            node.addAttribute(attribute);
        };
    }

    static Consumer<NodeProto.Builder> remove(String attribute) {
        return node -> {
            for (int k = 0; k < node.getAttributeCount(); k++) {
                if (node.getAttribute(k).getName().equals(attribute)) {
                    node.removeAttribute(k);
                    return;
                }
            }
            throw new IllegalArgumentException("no attribute " + attribute);
        };
    }

    static AttributeProto i(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    static AttributeProto f(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value).build();
    }

    static AttributeProto s(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    static AttributeProto strings(String name, String... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRINGS);
        for (String v : values) {
            a.addStrings(ByteString.copyFromUtf8(v));
        }
        return a.build();
    }

    /** (fixture, operator, change, the attribute the error must name) */
    static Stream<Arguments> unsupportedAttributes() {
        return Stream.of(
                Arguments.of("gru_l1_uni_bf", "GRU", set(i("linear_before_reset", 0)), "linear_before_reset"),
                Arguments.of("gru_l1_uni_bf", "GRU", remove("linear_before_reset"), "linear_before_reset"),
                Arguments.of("gru_l1_uni_bf", "GRU", set(strings("activations", "Sigmoid", "Relu")), "activations"),
                Arguments.of("lstm_l1_uni_bf", "LSTM", set(f("clip", 3)), "clip"),
                Arguments.of("lstm_l1_uni_bf", "LSTM", set(i("input_forget", 1)), "input_forget"),
                Arguments.of("lstm_l1_uni_bf", "LSTM", set(s("direction", "sideways")), "direction"),
                Arguments.of("lstm_l1_uni_bf", "LSTM", set(i("layout", 2)), "layout"),
                Arguments.of("lstm_l1_uni_bf", "LSTM", set(i("hidden_size", 5)), "hidden_size"),
                Arguments.of("lstm_l1_uni_bf", "LSTM", set(strings("activations", "Sigmoid", "Tanh", "HardSigmoid")), "activations"),
                Arguments.of("lstm_l1_uni_bf", "LSTM", set(f("activation_alpha", 1)), "activation_alpha"),
                Arguments.of("rnn_tanh_l1_uni_bf", "RNN", set(strings("activations", "Sigmoid")), "activations"),
                Arguments.of("rnn_tanh_l1_uni_bf", "RNN", set(i("peephole_count", 2)), "peephole_count"),
                Arguments.of("forecaster", "Gemm", set(i("transA", 2)), "transA"),
                Arguments.of("forecaster", "Gemm", set(f("gamma", 1)), "gamma"),
                Arguments.of("packed_gru_l1_uni_bf", "Cast", set(i("to", 11)), "to"),
                Arguments.of("lstm_l2_bi_bf", "Reshape", set(i("allowzero", 1)), "allowzero"));
    }

    @ParameterizedTest(name = "{1} {3}")
    @MethodSource("unsupportedAttributes")
    void anUnsupportedAttributeValueIsOneErrorNamingNodeOperatorAndAttribute(
            String fixture, String op, Consumer<NodeProto.Builder> change, String attribute) throws IOException {
        ModelProto model = edited(fixture, op, change);
        String node = model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals(op)).findFirst().orElseThrow().getName();
        Path file = save(model, fixture);
        UnsupportedOnnxException e = assertThrows(UnsupportedOnnxException.class, () -> OnnxModel.load(file));
        assertEquals(node, e.node());
        assertEquals(op, e.operator());
        assertEquals(attribute, e.attribute());
        assertTrue(e.getMessage().contains(file.toString()) && e.getMessage().contains(node)
                && e.getMessage().contains(op) && e.getMessage().contains(attribute), e.getMessage());
    }

    @Test
    void theUnchangedFixturesLoad() throws IOException {
        // the edits above are what is refused: the same models unedited load
        for (String name : new String[] {"gru_l1_uni_bf", "lstm_l1_uni_bf", "rnn_tanh_l1_uni_bf", "forecaster", "packed_gru_l1_uni_bf"}) {
            OnnxModel.load(save(proto(name), name)).close();
        }
    }

    @Test
    void anUnsupportedOperatorIsOneErrorNamingNodeAndOperator() throws IOException {
        ModelProto model = edited("forecaster", "Relu", node -> node.setOpType("Einsum").setName("mix"));
        Path file = save(model, "einsum");
        UnsupportedOnnxException e = assertThrows(UnsupportedOnnxException.class, () -> OnnxModel.load(file));
        assertEquals("mix", e.node());
        assertEquals("Einsum", e.operator());
        assertNull(e.attribute());
        assertTrue(e.getMessage().startsWith(file + ": node 'mix' (Einsum)"), e.getMessage());

        ModelProto other = edited("forecaster", "Relu", node -> node.setDomain("com.microsoft").setOpType("FusedGemm"));
        UnsupportedOnnxException custom = assertThrows(UnsupportedOnnxException.class, () -> OnnxModel.load(save(other, "custom")));
        assertEquals("com.microsoft:FusedGemm", custom.operator());
    }

    @Test
    void weightsComputedByTheGraphAreRefused() throws IOException {
        // W from a graph input: jrnn packs weights once, at load, so they must be constants
        ModelProto.Builder model = proto("lstm_l1_uni_bf").toBuilder();
        NodeProto lstm = model.getGraph().getNodeList().stream().filter(n -> n.getOpType().equals("LSTM")).findFirst().orElseThrow();
        GraphProto.Builder graph = model.getGraphBuilder();
        graph.addInput(graph.getInput(0).toBuilder().setName("w_in"));
        for (int k = 0; k < graph.getNodeCount(); k++) {
            if (graph.getNode(k).getOpType().equals("LSTM")) {
                graph.getNodeBuilder(k).setInput(1, "w_in");
            }
        }
        UnsupportedOnnxException e = assertThrows(UnsupportedOnnxException.class, () -> OnnxModel.load(save(model.build(), "w")));
        assertEquals(lstm.getName(), e.node());
        assertEquals("W", e.attribute());
    }

    @Test
    void aGraphReadingWhatNothingMakesIsMalformed() throws IOException {
        Path file = save(edited("forecaster", "Relu", node -> node.setInput(0, "nowhere")), "dangling");
        IOException e = assertThrows(IOException.class, () -> OnnxModel.load(file));
        assertTrue(e.getMessage().startsWith(file + ": malformed ONNX model") && e.getMessage().contains("'nowhere'"), e.getMessage());

        Path missing = save(edited("forecaster", "Gemm", node -> {
            String a = node.getInput(0);
            node.clearInput().addInput(a);
        }), "one-input gemm");
        IOException e2 = assertThrows(IOException.class, () -> OnnxModel.load(missing));
        assertTrue(e2.getMessage().contains("needs at least 2"), e2.getMessage());
    }

    /**
     * Corrupted files (a byte changed, seeded): each loads and runs, or fails with one of the
     * exceptions this class names, never another (an index out of bounds, an out-of-memory).
     */
    @Test
    void corruptedFilesFailCleanly() throws IOException {
        java.util.SplittableRandom random = new java.util.SplittableRandom(17);
        int loaded = 0, refused = 0;
        for (String name : new String[] {"tagger", "forecaster", "packed_lstm_l2_bi_tf", "onnx_lstm_bidirectional_layout1_lens"}) {
            byte[] good = Files.readAllBytes(fixture(name));
            Map<String, Object> inputs;
            try (OnnxModel unchanged = OnnxModel.load(fixture(name))) {
                inputs = OnnxFixturesTest.inputs(unchanged, name); // a changed input name is then the run's error
            }
            for (int trial = 0; trial < 150; trial++) {
                byte[] bad = good.clone();
                bad[random.nextInt(bad.length)] = (byte) random.nextInt(256);
                Path file = dir.resolve(name + "-" + trial + ".onnx");
                Files.write(file, bad);
                OnnxModel model;
                try {
                    model = OnnxModel.load(file);
                } catch (IOException | UnsupportedOnnxException e) {
                    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
                    refused++;
                    continue;
                }
                loaded++;
                try (model) {
                    model.run(inputs);
                } catch (IllegalArgumentException e) {
                    assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
                }
            }
        }
        assertTrue(loaded > 0 && refused > 0, loaded + " loaded, " + refused + " refused");
    }

    @Test
    void aTruncatedFileIsAnIOExceptionNamingIt() throws IOException {
        byte[] bytes = Files.readAllBytes(fixture("tagger"));
        for (int length : new int[] {bytes.length / 2, bytes.length - 7, 3}) {
            Path file = dir.resolve("cut" + length + ".onnx");
            Files.write(file, Arrays.copyOf(bytes, length));
            IOException e = assertThrows(IOException.class, () -> OnnxModel.load(file));
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        }
    }

    @Test
    void aFileThatIsNotAnOnnxModelIsAnIOExceptionNamingIt() throws IOException {
        Path text = dir.resolve("notes.onnx");
        Files.writeString(text, "these are not the weights you are looking for\n", StandardCharsets.UTF_8);
        Path npy = dir.resolve("array.onnx");
        Npy.write(npy, FloatTensor.zeros(3, 4));
        Path empty = dir.resolve("empty.onnx");
        Files.write(empty, new byte[0]);
        for (Path file : new Path[] {text, npy, empty, OnnxFixturesTest.fixtures().resolve("cases.txt")}) {
            IOException e = assertThrows(IOException.class, () -> OnnxModel.load(file));
            assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        }
    }

    @Test
    void aTensorDeclaringMoreThanItHoldsIsRefusedBeforeAllocation() throws IOException {
        ModelProto.Builder model = proto("lstm_l1_uni_bf").toBuilder();
        TensorProto w = model.getGraph().getInitializer(0);
        // 2^40 elements declared over a few bytes: an error, not an attempt to allocate terabytes
        model.getGraphBuilder().setInitializer(0, w.toBuilder().clearDims().addDims(1 << 20).addDims(1 << 20));
        Path file = save(model.build(), "huge");
        IOException e = assertThrows(IOException.class, () -> OnnxModel.load(file));
        assertTrue(e.getMessage().startsWith(file.toString()) && e.getMessage().contains(w.getName()), e.getMessage());

        model.getGraphBuilder().setInitializer(0, w.toBuilder().setRawData(w.getRawData().substring(4)));
        Path shorter = save(model.build(), "short");
        IOException e2 = assertThrows(IOException.class, () -> OnnxModel.load(shorter));
        assertTrue(e2.getMessage().contains("bytes"), e2.getMessage());
    }

    @Test
    void aWrongInputIsAnErrorNamingIt() throws IOException {
        try (OnnxModel model = OnnxModel.load(fixture("lstm_l1_uni_tf_h0"))) {
            FloatTensor x = FloatTensor.zeros(7, 3, 4), h0 = FloatTensor.zeros(1, 3, 3), c0 = FloatTensor.zeros(1, 3, 3);
            assertEquals(3, model.run(Map.of("x", x, "h0", h0, "c0", c0)).size()); // the right shapes run

            IllegalArgumentException channels = assertThrows(IllegalArgumentException.class,
                    () -> model.run(Map.of("x", FloatTensor.zeros(7, 3, 5), "h0", h0, "c0", c0)));
            assertTrue(channels.getMessage().contains("input 'x' has shape [7, 3, 5]"), channels.getMessage());
            assertTrue(channels.getMessage().contains("[T, N, 4]"), channels.getMessage());

            IllegalArgumentException rank = assertThrows(IllegalArgumentException.class,
                    () -> model.run(Map.of("x", FloatTensor.zeros(7, 12), "h0", h0, "c0", c0)));
            assertTrue(rank.getMessage().contains("input 'x'"), rank.getMessage());

            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> model.run(Map.of("x", x, "h0", h0)));
            assertTrue(missing.getMessage().contains("input 'c0'") && missing.getMessage().contains("missing"), missing.getMessage());

            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> model.run(Map.of("x", x, "h0", h0, "c0", c0, "y0", h0)));
            assertTrue(unknown.getMessage().contains("no input 'y0'"), unknown.getMessage());

            IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                    () -> model.run(Map.of("x", IntTensor.of(new long[84], 7, 3, 4), "h0", h0, "c0", c0)));
            assertTrue(type.getMessage().contains("input 'x' takes float32"), type.getMessage());

            // the batch of h0 disagrees with x's: found where the states meet the sequence, in the LSTM node
            IllegalArgumentException batch = assertThrows(IllegalArgumentException.class,
                    () -> model.run(Map.of("x", x, "h0", FloatTensor.zeros(1, 2, 3), "c0", c0)));
            assertTrue(batch.getMessage().contains("initial_h") && batch.getMessage().contains("node '"), batch.getMessage());
        }
        try (OnnxModel tagger = OnnxModel.load(fixture("tagger"))) {
            IllegalArgumentException floats = assertThrows(IllegalArgumentException.class,
                    () -> tagger.run(FloatTensor.zeros(2, 5)));
            assertTrue(floats.getMessage().contains("input 'tokens' takes integers"), floats.getMessage());
            IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                    () -> tagger.run(Map.of("tokens", IntTensor.of(new long[] {1, 2, 20}, 1, 3))));
            assertTrue(range.getMessage().contains("index 20 is out of range"), range.getMessage());
        }
    }

    @Test
    void packedSequencesOfABadLengthAreRefused() throws IOException {
        try (OnnxModel model = OnnxModel.load(fixture("onnx_gru_forward_layout0_lens"))) {
            FloatTensor x = FloatTensor.zeros(7, 3, 4), h0 = FloatTensor.zeros(1, 3, 3);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.run(Map.of("x", x, "h0", h0, "lengths", IntTensor.of(new long[] {7, 8, 1}, 3))));
            assertTrue(e.getMessage().contains("sequence_lens[1] = 8"), e.getMessage());
        }
    }
}
