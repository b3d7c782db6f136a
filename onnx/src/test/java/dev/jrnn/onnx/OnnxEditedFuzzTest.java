package dev.jrnn.onnx;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.ByteString;
import dev.jrnn.onnx.proto.Onnx.AttributeProto;
import dev.jrnn.onnx.proto.Onnx.GraphProto;
import dev.jrnn.onnx.proto.Onnx.ModelProto;
import dev.jrnn.onnx.proto.Onnx.NodeProto;
import dev.jrnn.onnx.proto.Onnx.TensorProto;
import dev.jrnn.onnx.proto.Onnx.TensorShapeProto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The ONNX reader's contract ({@link OnnxReaderFuzzTest}'s) on well-formed protobufs that are wrong
 * ONNX: a seed model (one of {@link OnnxReaderFuzzTest}'s) with its fields edited as the fuzzer's
 * bytes say (an initializer's dimensions, data or type, a node's operator, an attribute of a known
 * name with any type and value, a node's input pointed elsewhere or dropped, a node or initializer
 * removed, a graph input's type or shape, the opset), which reaches the reader's own checks where
 * mutated bytes mostly stop in protobuf's parser. Each build replays the committed inputs
 * ({@code src/test/resources/.../OnnxEditedFuzzTestInputs/loadEdited}: every finding).
 */
class OnnxEditedFuzzTest {

    /** The models edited: {@link OnnxReaderFuzzTest}'s seeds. */
    private static final class Seeds {
        static final List<ModelProto> MODELS = read();
        static final List<String> OPERATORS = new ArrayList<>(new java.util.TreeSet<>(Operators.NAMES));
        static final String[] ATTRIBUTES = {"axis", "axes", "perm", "to", "value", "value_int", "value_ints", "value_float",
                "value_floats", "hidden_size", "direction", "layout", "activations", "linear_before_reset", "input_forget",
                "clip", "transA", "transB", "alpha", "beta", "start", "end", "allowzero", "keepdims"};

        static {
            OPERATORS.addAll(RecurrentNode.NAMES);
        }

        private static List<ModelProto> read() {
            try {
                Path dir = Path.of(OnnxEditedFuzzTest.class.getResource("OnnxReaderFuzzTestInputs/load").toURI());
                List<ModelProto> models = new ArrayList<>();
                try (var files = Files.list(dir)) {
                    for (Path f : files.sorted().toList()) {
                        if (f.toString().endsWith(".onnx")) {
                            models.add(ModelProto.parseFrom(Files.readAllBytes(f)));
                        }
                    }
                }
                return models;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (java.net.URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @FuzzTest(maxDuration = "10s")
    void loadEdited(FuzzedDataProvider data) {
        ModelProto.Builder model = Seeds.MODELS.get(data.consumeInt(0, Seeds.MODELS.size() - 1)).toBuilder();
        GraphProto.Builder graph = model.getGraphBuilder();
        for (int edits = data.consumeInt(1, 6); edits > 0 && data.remainingBytes() > 0; edits--) {
            edit(graph, model, data);
        }
        OnnxReaderFuzzTest.loadAndCheck(model.build().toByteArray());
    }

    /** One edit of a field the reader checks, as {@code data} says. */
    private static void edit(GraphProto.Builder graph, ModelProto.Builder model, FuzzedDataProvider data) {
        int initializers = graph.getInitializerCount(), nodes = graph.getNodeCount();
        switch (data.consumeInt(0, 9)) {
            case 0 -> { // an initializer's dimensions
                if (initializers > 0) {
                    TensorProto.Builder t = graph.getInitializerBuilder(data.consumeInt(0, initializers - 1));
                    t.clearDims();
                    for (int k = data.consumeInt(0, 4); k > 0; k--) {
                        t.addDims(data.consumeBoolean() ? data.consumeLong(-2, 70) : data.consumeLong());
                    }
                }
            }
            case 1 -> { // an initializer's data cut or grown
                if (initializers > 0) {
                    TensorProto.Builder t = graph.getInitializerBuilder(data.consumeInt(0, initializers - 1));
                    ByteString raw = t.getRawData();
                    t.setRawData(data.consumeBoolean() ? raw.substring(0, data.consumeInt(0, raw.size()))
                            : raw.concat(ByteString.copyFrom(data.consumeBytes(64))));
                }
            }
            case 2 -> { // an initializer's element type, or its data as typed values
                if (initializers > 0) {
                    TensorProto.Builder t = graph.getInitializerBuilder(data.consumeInt(0, initializers - 1));
                    if (data.consumeBoolean()) {
                        t.setDataType(data.consumeInt(0, 20));
                    } else {
                        t.clearRawData();
                        for (int k = data.consumeInt(0, 12); k > 0; k--) {
                            t.addFloatData(data.consumeFloat());
                            t.addInt64Data(data.consumeLong());
                        }
                    }
                }
            }
            case 3 -> { // a node's operator
                if (nodes > 0) {
                    graph.getNodeBuilder(data.consumeInt(0, nodes - 1))
                            .setOpType(data.pickValue(Seeds.OPERATORS));
                }
            }
            case 4 -> { // an attribute of a node: a known name, any type and value
                if (nodes > 0) {
                    NodeProto.Builder n = graph.getNodeBuilder(data.consumeInt(0, nodes - 1));
                    String name = data.pickValue(Seeds.ATTRIBUTES);
                    AttributeProto.Builder a = AttributeProto.newBuilder().setName(name);
                    switch (data.consumeInt(0, 5)) {
                        case 0 -> a.setType(AttributeProto.AttributeType.INT).setI(data.consumeBoolean() ? data.consumeLong(-3, 8) : data.consumeLong());
                        case 1 -> {
                            a.setType(AttributeProto.AttributeType.INTS);
                            for (int k = data.consumeInt(0, 5); k > 0; k--) {
                                a.addInts(data.consumeLong(-3, 8));
                            }
                        }
                        case 2 -> a.setType(AttributeProto.AttributeType.FLOAT).setF(data.consumeFloat());
                        case 3 -> a.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(
                                data.pickValue(new String[] {"forward", "reverse", "bidirectional", "Tanh", "Relu", "x"})));
                        case 4 -> a.setType(AttributeProto.AttributeType.STRINGS).addStrings(ByteString.copyFromUtf8("Sigmoid"))
                                .addStrings(ByteString.copyFromUtf8(data.pickValue(new String[] {"Tanh", "Relu", "Sigmoid"})));
                        default -> {
                            TensorProto.Builder t = TensorProto.newBuilder().setDataType(data.pickValue(new Integer[] {1, 6, 7, 11}));
                            for (int k = data.consumeInt(0, 3); k > 0; k--) {
                                t.addDims(data.consumeLong(-1, 5));
                            }
                            t.setRawData(ByteString.copyFrom(data.consumeBytes(40)));
                            a.setType(AttributeProto.AttributeType.TENSOR).setT(t);
                        }
                    }
                    for (int k = n.getAttributeCount() - 1; k >= 0; k--) {
                        if (n.getAttribute(k).getName().equals(name)) {
                            n.removeAttribute(k);
                        }
                    }
                    n.addAttribute(a);
                }
            }
            case 5 -> { // a node's input dropped, emptied or pointed at another value
                if (nodes > 0) {
                    NodeProto.Builder n = graph.getNodeBuilder(data.consumeInt(0, nodes - 1));
                    if (n.getInputCount() > 0) {
                        int k = data.consumeInt(0, n.getInputCount() - 1);
                        List<String> names = new ArrayList<>(List.of(""));
                        graph.getInitializerList().forEach(t -> names.add(t.getName()));
                        graph.getInputList().forEach(v -> names.add(v.getName()));
                        graph.getNodeList().forEach(o -> names.addAll(o.getOutputList()));
                        n.setInput(k, data.pickValue(names));
                    }
                }
            }
            case 6 -> { // a graph input's type or shape
                if (graph.getInputCount() > 0) {
                    var type = graph.getInputBuilder(data.consumeInt(0, graph.getInputCount() - 1)).getTypeBuilder().getTensorTypeBuilder();
                    if (data.consumeBoolean()) {
                        type.setElemType(data.consumeInt(0, 16));
                    } else {
                        TensorShapeProto.Builder shape = type.getShapeBuilder().clearDim();
                        for (int k = data.consumeInt(0, 4); k > 0; k--) {
                            shape.addDim(data.consumeBoolean() ? TensorShapeProto.Dimension.newBuilder().setDimValue(data.consumeLong(-1, 9))
                                    : TensorShapeProto.Dimension.newBuilder().setDimParam("T"));
                        }
                    }
                }
            }
            case 7 -> model.getOpsetImportBuilderList().forEach(o -> o.setVersion(data.consumeLong(7, 25)));
            case 8 -> { // a node removed: what read its outputs now reads nothing
                if (nodes > 0) {
                    graph.removeNode(data.consumeInt(0, nodes - 1));
                }
            }
            default -> { // an initializer removed
                if (initializers > 0) {
                    graph.removeInitializer(data.consumeInt(0, initializers - 1));
                }
            }
        }
    }
}
