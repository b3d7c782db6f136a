package dev.jrnn.onnx;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.jrnn.core.runtime.DenseBackends;
import dev.jrnn.core.spi.DenseKernels;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.onnx.proto.Onnx.GraphProto;
import dev.jrnn.onnx.proto.Onnx.ModelProto;
import dev.jrnn.onnx.proto.Onnx.NodeProto;
import dev.jrnn.onnx.proto.Onnx.OperatorSetIdProto;
import dev.jrnn.onnx.proto.Onnx.TensorProto;
import dev.jrnn.onnx.proto.Onnx.TensorShapeProto;
import dev.jrnn.onnx.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX model ({@code .onnx}, e.g. from {@code torch.onnx.export}) run by jrnn: its
 * {@code LSTM}, {@code GRU} and {@code RNN} nodes on jrnn's backends, the operators around them
 * (shape arithmetic, embeddings, layout changes, dense heads, activations) by a small interpreter.
 *
 * <pre>{@code
 * try (OnnxModel model = OnnxModel.load(Path.of("tagger.onnx"))) {
 *     Map<String, FloatTensor> out = model.run(Map.of("tokens", IntTensor.of(ids, 1, ids.length)));
 * }
 * }</pre>
 *
 * <p>Every node is checked when the model is loaded: an operator, or an attribute value, that jrnn
 * does not run is an {@link UnsupportedOnnxException} naming the node, the operator and the
 * attribute, never a wrong answer later. Batch and time axes are whatever the inputs have: a model
 * exported at one length runs at any other. A file that is not an ONNX model, is truncated or
 * declares tensors its bytes do not hold is an {@link IOException} naming the file.
 *
 * <p>Threads: {@link #run} keeps no state between calls; calls from several threads at once are
 * safe (the recurrent layers' inference is, see {@link dev.jrnn.models.nn.Recurrent}).
 */
public final class OnnxModel implements AutoCloseable {

    /** The ONNX operator sets whose semantics the interpreter follows (opset 14 is torch.onnx.export's here). */
    static final int MIN_OPSET = 9, MAX_OPSET = 23;
    private static final long MAX_FILE_BYTES = Integer.MAX_VALUE;

    /** A graph input: its name, whether it holds integers (int64/int32, e.g. token ids) and its dimensions ("T", "3", "?"). */
    public record Input(String name, boolean integer, List<String> dims) {
    }

    private record Node(String name, String op, List<String> inputs, List<String> outputs, Operators.Step step) {
    }

    private final String source;
    private final List<Input> inputs = new ArrayList<>();
    private final List<Value.Type> inputTypes = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();
    private final Map<String, Value> constants = new HashMap<>();
    private final List<Node> nodes = new ArrayList<>();
    private final List<RecurrentNode> recurrent = new ArrayList<>();
    /** The backend asked for (null: {@code -Djrnn.backend}, else auto) and its dense kernels, found at the first product. */
    private volatile String backend;
    private volatile DenseKernels dense;

    /** Reads {@code path} and checks that jrnn runs every node of its graph. */
    public static OnnxModel load(Path path) throws IOException {
        long size = Files.size(path);
        if (size > MAX_FILE_BYTES) { // protobuf's own limit: larger models keep their weights in external files
            throw new IOException(path + ": " + size + " bytes; an ONNX file holds at most 2 GiB (larger models keep "
                    + "their weights as external data, which jrnn does not read)");
        }
        return load(Files.readAllBytes(path), path.toString());
    }

    /**
     * Reads a model held in memory (an upload, a resource) and checks that jrnn runs every node of
     * its graph; {@code source} names it in messages. The same errors as {@link #load(Path)}: an
     * {@link IOException} for bytes that are not a well-formed ONNX model, an
     * {@link UnsupportedOnnxException} for a graph jrnn does not run, each starting with {@code source}.
     */
    public static OnnxModel load(byte[] bytes, String source) throws IOException {
        ModelProto proto;
        try {
            proto = ModelProto.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException(source + ": not an ONNX model, or a truncated one (" + e.getMessage() + ")", e);
        }
        try {
            return new OnnxModel(proto, source);
        } catch (Tensors.Malformed | IllegalStateException e) {
            throw new IOException(source + ": malformed ONNX model: " + e.getMessage(), e);
        } catch (UnsupportedOnnxException e) {
            throw new UnsupportedOnnxException(source, e);
        } catch (RuntimeException e) { // a Constant node's or a weight's value jrnn could not take
            throw new IOException(source + ": malformed ONNX model: " + e.getMessage(), e);
        }
    }

    private OnnxModel(ModelProto proto, String source) {
        this.source = source;
        // protobuf parses many non-ONNX byte strings without complaint (as unknown fields): a model has a graph and an opset
        if (!proto.hasGraph() || proto.getIrVersion() <= 0 || proto.getOpsetImportCount() == 0) {
            throw new IllegalStateException("not an ONNX model: no " + (!proto.hasGraph() ? "graph"
                    : proto.getIrVersion() <= 0 ? "ir_version" : "opset_import"));
        }
        int opset = -1;
        for (OperatorSetIdProto o : proto.getOpsetImportList()) {
            if (o.getDomain().isEmpty() || o.getDomain().equals("ai.onnx")) {
                opset = (int) o.getVersion();
            }
        }
        if (opset < MIN_OPSET || opset > MAX_OPSET) {
            throw new UnsupportedOnnxException("(model)", "opset_import", "version", "the ONNX operator set is "
                    + (opset < 0 ? "not imported" : "version " + opset) + "; jrnn runs " + MIN_OPSET + " to " + MAX_OPSET);
        }
        GraphProto graph = proto.getGraph();
        if (graph.getSparseInitializerCount() > 0) {
            throw new IllegalStateException("sparse initializers are not read");
        }
        for (TensorProto t : graph.getInitializerList()) {
            constants.put(t.getName(), Tensors.read(t, "initializer"));
        }
        Set<String> known = new HashSet<>(constants.keySet());
        for (ValueInfoProto v : graph.getInputList()) {
            if (constants.containsKey(v.getName())) {
                continue; // before IR 4, initializers are listed as inputs too
            }
            declareInput(v);
            known.add(v.getName());
        }
        for (int k = 0; k < graph.getNodeCount(); k++) {
            NodeProto n = graph.getNode(k);
            String name = n.getName().isEmpty() ? n.getOpType() + " #" + k : n.getName();
            compile(n, name, opset, known);
        }
        for (ValueInfoProto v : graph.getOutputList()) {
            if (!known.contains(v.getName())) {
                throw new IllegalStateException("output '" + v.getName() + "' is made by no node, input or initializer");
            }
            outputs.add(v.getName());
        }
    }

    private void declareInput(ValueInfoProto v) {
        if (!v.getType().hasTensorType()) {
            throw new UnsupportedOnnxException("(graph input)", "input", v.getName(), "is not a tensor; jrnn takes tensors");
        }
        int elem = v.getType().getTensorType().getElemType();
        Value.Type type = Value.Type.of(elem);
        if (type == null) {
            throw new UnsupportedOnnxException("(graph input)", "input", v.getName(), "has element type "
                    + TensorProto.DataType.forNumber(elem) + "; jrnn takes float32, int64 and int32");
        }
        List<String> dims = new ArrayList<>();
        if (v.getType().getTensorType().hasShape()) {
            for (TensorShapeProto.Dimension d : v.getType().getTensorType().getShape().getDimList()) {
                dims.add(d.hasDimValue() ? Long.toString(d.getDimValue()) : d.hasDimParam() && !d.getDimParam().isEmpty()
                        ? d.getDimParam() : "?");
            }
        } else {
            dims = null; // rank unknown
        }
        inputs.add(new Input(v.getName(), type != Value.Type.FLOAT, dims == null ? null : List.copyOf(dims)));
        inputTypes.add(type);
    }

    private void compile(NodeProto n, String name, int opset, Set<String> known) {
        String op = n.getDomain().isEmpty() || n.getDomain().equals("ai.onnx") ? n.getOpType() : n.getDomain() + ":" + n.getOpType();
        Attributes a = new Attributes(n, name);
        if (!Operators.NAMES.contains(op) && !RecurrentNode.NAMES.contains(op)) {
            throw new UnsupportedOnnxException(name, op, null, "jrnn does not run this operator (it runs "
                    + String.join(", ", RecurrentNode.NAMES) + " and " + String.join(", ", new java.util.TreeSet<>(Operators.NAMES)) + ")");
        }
        int required = Operators.requiredInputs(op, opset);
        for (int k = 0; k < required; k++) {
            if (k >= n.getInputCount() || n.getInput(k).isEmpty()) {
                throw new IllegalStateException("node '" + name + "' (" + op + ") has " + n.getInputCount()
                        + " inputs; it needs at least " + required);
            }
        }
        if (n.getOutputCount() == 0) {
            throw new IllegalStateException("node '" + name + "' (" + op + ") has no output");
        }
        for (String input : n.getInputList()) {
            if (!input.isEmpty() && !known.contains(input)) {
                throw new IllegalStateException("node '" + name + "' (" + op + ") reads '" + input
                        + "', which no earlier node, input or initializer makes");
            }
        }
        Operators.Step step;
        if (RecurrentNode.NAMES.contains(op)) {
            RecurrentNode r = new RecurrentNode(a, n.getInputList(), constants);
            recurrent.add(r);
            step = r;
        } else {
            step = Operators.compile(a, opset, constants, this::dense);
        }
        if (op.equals("Constant")) { // known at load: the recurrent nodes may take their weights from it
            Value[] v = step.run(new Value[0]);
            constants.put(n.getOutput(0), v[0]);
        }
        for (String output : n.getOutputList()) {
            if (!output.isEmpty()) {
                known.add(output);
            }
        }
        nodes.add(new Node(name, op, List.copyOf(n.getInputList()), List.copyOf(n.getOutputList()), step));
    }

    /** The graph's inputs, in order (initializers are not inputs). */
    public List<Input> inputs() {
        return List.copyOf(inputs);
    }

    /** The graph's outputs' names, in order. */
    public List<String> outputs() {
        return List.copyOf(outputs);
    }

    /**
     * Runs the recurrent nodes, and the matrix products of MatMul and Gemm, on {@code name}
     * ({@code auto}, {@code reference}, {@code simd}, {@code onednn}).
     */
    public OnnxModel backend(String name) {
        for (RecurrentNode r : recurrent) {
            r.rnn.backend(name);
        }
        backend = name;
        dense = null;
        return this;
    }

    private DenseKernels dense() {
        DenseKernels k = dense;
        if (k == null) {
            k = backend == null ? DenseBackends.kernels() : DenseBackends.kernels(backend);
            dense = k;
        }
        return k;
    }

    /** The backend the recurrent nodes ran on (null before the first run; null for a model without any). */
    public String backendName() {
        return recurrent.isEmpty() ? null : recurrent.get(0).rnn.backendName();
    }

    /**
     * Runs the graph on {@code inputs}: each graph input by name, a {@link FloatTensor} for float
     * inputs and an {@link IntTensor} for integer ones (token ids, lengths). Returns every graph
     * output by name, in order, as float32 (integer outputs converted). Throws
     * {@link IllegalArgumentException} naming the input, or the node and operator, when a shape or
     * type does not fit.
     */
    public Map<String, FloatTensor> run(Map<String, ?> inputs) {
        Map<String, Value> values = new HashMap<>(constants);
        for (String given : inputs.keySet()) {
            if (this.inputs.stream().noneMatch(i -> i.name().equals(given))) {
                throw new IllegalArgumentException(source + ": the model has no input '" + given + "'; its inputs are "
                        + this.inputs.stream().map(Input::name).toList());
            }
        }
        for (int k = 0; k < this.inputs.size(); k++) {
            Input in = this.inputs.get(k);
            values.put(in.name(), input(in, inputTypes.get(k), inputs.get(in.name())));
        }
        for (Node n : nodes) {
            Value[] args = new Value[n.inputs().size()];
            for (int k = 0; k < args.length; k++) {
                args[k] = n.inputs().get(k).isEmpty() ? null : values.get(n.inputs().get(k));
            }
            Value[] out;
            try {
                out = n.step().run(args);
            } catch (IllegalArgumentException | ArithmeticException e) { // ArithmeticException: integer overflow or division by 0
                throw new IllegalArgumentException(source + ": node '" + n.name() + "' (" + n.op() + "): " + e.getMessage(), e);
            }
            for (int k = 0; k < n.outputs().size(); k++) {
                if (!n.outputs().get(k).isEmpty()) {
                    if (k >= out.length || out[k] == null) {
                        throw new IllegalArgumentException(source + ": node '" + n.name() + "' does not make output " + k);
                    }
                    values.put(n.outputs().get(k), out[k]);
                }
            }
        }
        Map<String, FloatTensor> result = new LinkedHashMap<>();
        for (String name : outputs) {
            result.put(name, values.get(name).toFloatTensor("output '" + name + "'"));
        }
        return result;
    }

    /** Runs a model of one input. */
    public Map<String, FloatTensor> run(FloatTensor input) {
        if (inputs.size() != 1) {
            throw new IllegalArgumentException(source + ": the model has " + inputs.size() + " inputs "
                    + inputs.stream().map(Input::name).toList() + "; pass them by name");
        }
        return run(Map.of(inputs.get(0).name(), input));
    }

    private Value input(Input in, Value.Type type, Object given) {
        if (given == null) {
            throw new IllegalArgumentException(source + ": input '" + in.name() + "' " + describe(in) + " is missing");
        }
        Value v;
        if (given instanceof FloatTensor t) {
            if (in.integer()) {
                throw new IllegalArgumentException(source + ": input '" + in.name() + "' takes integers "
                        + describe(in) + "; pass an IntTensor");
            }
            v = Value.of(t);
        } else if (given instanceof IntTensor t) {
            if (!in.integer()) {
                throw new IllegalArgumentException(source + ": input '" + in.name() + "' takes float32 " + describe(in)
                        + "; pass a FloatTensor");
            }
            v = Value.longs(type, t.shape(), t.values());
            if (type == Value.Type.INT32) {
                for (long x : t.values()) {
                    if (x != (int) x) {
                        throw new IllegalArgumentException(source + ": input '" + in.name() + "' is int32; " + x + " does not fit");
                    }
                }
            }
        } else {
            throw new IllegalArgumentException(source + ": input '" + in.name() + "' is a " + given.getClass().getName()
                    + "; pass a FloatTensor or an IntTensor");
        }
        if (in.dims() != null) {
            boolean fits = v.rank() == in.dims().size();
            for (int k = 0; fits && k < v.rank(); k++) {
                String d = in.dims().get(k);
                fits = !d.chars().allMatch(Character::isDigit) || Integer.parseInt(d) == v.shape[k];
            }
            if (!fits) {
                throw new IllegalArgumentException(source + ": input '" + in.name() + "' has shape "
                        + Arrays.toString(v.shape) + "; the model takes " + describe(in));
            }
        }
        return v;
    }

    private static String describe(Input in) {
        return in.dims() == null ? "(any shape)" : "[" + String.join(", ", in.dims()) + "]";
    }

    @Override
    public void close() {
        for (RecurrentNode r : recurrent) {
            r.close();
        }
    }

    @Override
    public String toString() {
        return "OnnxModel[" + source + ": " + nodes.size() + " nodes, " + recurrent.size() + " recurrent; inputs "
                + inputs + ", outputs " + outputs + "]";
    }
}
