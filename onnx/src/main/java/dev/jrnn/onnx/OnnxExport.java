package dev.jrnn.onnx;

import com.google.protobuf.ByteString;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.rnn.RnnWeights.Param;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.Seq2Seq;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.SequenceTagger;
import dev.jrnn.models.io.AtomicFiles;
import dev.jrnn.models.nn.Embedding;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.onnx.proto.Onnx.AttributeProto;
import dev.jrnn.onnx.proto.Onnx.GraphProto;
import dev.jrnn.onnx.proto.Onnx.ModelProto;
import dev.jrnn.onnx.proto.Onnx.NodeProto;
import dev.jrnn.onnx.proto.Onnx.OperatorSetIdProto;
import dev.jrnn.onnx.proto.Onnx.StringStringEntryProto;
import dev.jrnn.onnx.proto.Onnx.TensorProto;
import dev.jrnn.onnx.proto.Onnx.TensorShapeProto;
import dev.jrnn.onnx.proto.Onnx.TypeProto;
import dev.jrnn.onnx.proto.Onnx.ValueInfoProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * A jrnn model written as an ONNX file (opset 14, what {@code torch.onnx.export} of PyTorch 1.13
 * writes), so a model trained in jrnn runs in ONNX Runtime, in Python or on a phone:
 *
 * <pre>{@code
 * OnnxExport.write(tagger, Path.of("tagger.onnx"), OnnxExport.Input.LENGTHS);
 * try (OnnxModel back = OnnxModel.load(Path.of("tagger.onnx"))) { ... }   // or ONNX Runtime
 * }</pre>
 *
 * <p>What is written, with batch {@code N} and time {@code T} dynamic axes:
 * <ul>
 * <li>{@link Recurrent} (any cell, 1..L layers, uni- or bidirectional, batch-first or not):
 *     {@code x [T, N, I]} ({@code [N, T, I]} batch-first) to {@code y [T, N, D*H]}, {@code hn}
 *     and, for LSTM, {@code cn} {@code [L*D, N, H]}; optional inputs {@code lengths [N]} (int32)
 *     and {@code h0}, {@code c0} {@code [L*D, N, H]}. One ONNX node per layer; between layers
 *     {@code Y [T, D, N, H]} is transposed and reshaped to {@code [T, N, D*H]}.</li>
 * <li>{@link SequenceTagger}: {@code tokens [T, N]} (int64) or {@code x}, optional
 *     {@code lengths}, to {@code logits [T, N, classes]} (the head at every step).</li>
 * <li>{@link SequenceClassifier}: {@code tokens} or {@code x}, optional {@code lengths}, to
 *     {@code logits [N, classes]} from, with {@link SequenceClassifier.Pooling#LAST}, the top
 *     layer's final states (forward after each sequence's last valid step, reverse after its
 *     first) or, with {@link SequenceClassifier.Pooling#MAX}, the maximum of the top layer's outputs
 *     over each sequence's valid steps (ReduceMax over {@code Where(step < length, y, lowest)}).</li>
 * <li>{@link SequenceRegressor}: {@code x} to {@code predictions [N, outputs]} from the top
 *     layer's final state.</li>
 * <li>{@link LanguageModel}: {@code tokens}, optional {@code h0}, {@code c0}, to
 *     {@code logits [T, N, vocabulary]}, {@code hn}, {@code cn}: the state to carry on generating from.</li>
 * <li>{@link Seq2Seq}: two graphs, an encoder and one decoder step, by {@link #writeSeq2Seq}.</li>
 * </ul>
 *
 * <p>Gate order and biases are converted from jrnn's (PyTorch's) to ONNX's: LSTM {@code i f g o}
 * to {@code i o f c}, GRU {@code r z n} to {@code z r h} with {@code linear_before_reset=1}
 * (PyTorch's GRU), the two biases concatenated. The recurrent nodes use {@code layout=0}: batch-first
 * stacks transpose around them, as PyTorch's export does (ONNX Runtime's CPU kernels take layout 0 only).
 * Dropout is an identity at inference and is not written.
 *
 * <p>A model, or a part of one, whose forward pass the exporter cannot write exactly (another
 * class of module, an input the model's own inference does not take) is an
 * {@link IllegalArgumentException} naming it, before anything is written: never a graph that
 * computes something else.
 */
public final class OnnxExport {

    /** The ONNX operator set written: PyTorch 1.13's default export, read by jrnn and ONNX Runtime. */
    public static final int OPSET = 14;
    /** ONNX IR version 7 goes with opset 14 (ONNX 1.9). */
    static final int IR_VERSION = 7;

    /** Optional graph inputs; without them, sequences are all {@code T} long and states start at zero. */
    public enum Input {
        /** {@code lengths [N]} (int32, each in {@code [1, T]}): ONNX's {@code sequence_lens}. */
        LENGTHS,
        /** {@code h0} and (LSTM) {@code c0} {@code [L*D, N, H]}. */
        INITIAL_STATES
    }

    private OnnxExport() {
    }

    /**
     * Writes {@code model} to {@code path} as ONNX, atomically (readers see the old file or the
     * whole new one). The graph is built, and any refusal thrown, before the file is touched.
     */
    public static void write(Module model, Path path, Input... inputs) throws IOException {
        ModelProto proto = toProto(model, inputs);
        AtomicFiles.write(path, proto::writeTo);
    }

    /** {@link #write}'s bytes, e.g. for ONNX Runtime's {@code createSession(byte[])}. */
    public static byte[] toBytes(Module model, Input... inputs) {
        return toProto(model, inputs).toByteArray();
    }

    static ModelProto toProto(Module model, Input... inputs) {
        Set<Input> wanted = inputs.length == 0 ? EnumSet.noneOf(Input.class) : EnumSet.copyOf(Arrays.asList(inputs));
        Graph g = new Graph();
        String name = switch (model) {
            case Recurrent rnn -> {
                String x = g.sequenceInput("x", rnn);
                String lengths = wanted.contains(Input.LENGTHS) ? g.lengthsInput() : null;
                States h0 = wanted.contains(Input.INITIAL_STATES) ? g.stateInputs(rnn) : States.NONE;
                Stack s = stack(g, rnn, x, lengths, h0, "y", "hn", "cn");
                g.sequenceOutput("y", rnn, rnn.architecture().outputSize());
                g.stateOutputs(rnn, s);
                yield "jrnn Recurrent";
            }
            case SequenceTagger tagger -> {
                refuse(wanted, Input.INITIAL_STATES, "SequenceTagger", "its logits start every sequence from zero states");
                Recurrent rnn = child(tagger, "rnn", Recurrent.class);
                Linear head = child(tagger, "head", Linear.class);
                String x = modelInput(g, tagger, rnn);
                String lengths = wanted.contains(Input.LENGTHS) ? g.lengthsInput() : null;
                Stack s = stack(g, rnn, x, lengths, States.NONE, null, null, null);
                perStepHead(g, head, s.y(), "logits");
                g.sequenceOutput("logits", rnn, head.outputSize());
                yield "jrnn SequenceTagger";
            }
            case SequenceClassifier classifier -> {
                refuse(wanted, Input.INITIAL_STATES, "SequenceClassifier", "its logits start every sequence from zero states");
                Recurrent rnn = child(classifier, "rnn", Recurrent.class);
                Linear head = child(classifier, "head", Linear.class);
                String x = modelInput(g, classifier, rnn);
                String lengths = wanted.contains(Input.LENGTHS) ? g.lengthsInput() : null;
                Stack s = stack(g, rnn, x, lengths, States.NONE, null, null, null);
                String features = classifier.pooling() == SequenceClassifier.Pooling.MAX
                        ? maxOverValidSteps(g, s.y(), lengths) // its stack is never batch-first
                        : topStates(g, s);
                g.gemm(features, head, "logits");
                g.output("logits", TensorProto.DataType.FLOAT_VALUE, "N", head.outputSize());
                yield "jrnn SequenceClassifier";
            }
            case SequenceRegressor regressor -> {
                refuse(wanted, Input.LENGTHS, "SequenceRegressor", "its predict reads equal-length sequences");
                refuse(wanted, Input.INITIAL_STATES, "SequenceRegressor", "its predict starts from zero states");
                Recurrent rnn = child(regressor, "rnn", Recurrent.class);
                Linear head = child(regressor, "head", Linear.class);
                Stack s = stack(g, rnn, g.sequenceInput("x", rnn), null, States.NONE, null, null, null);
                g.gemm(topStates(g, s), head, "predictions");
                g.output("predictions", TensorProto.DataType.FLOAT_VALUE, "N", head.outputSize());
                yield "jrnn SequenceRegressor";
            }
            case LanguageModel lm -> {
                refuse(wanted, Input.LENGTHS, "LanguageModel", "it reads equal-length token streams");
                Recurrent rnn = child(lm, "rnn", Recurrent.class);
                Linear head = child(lm, "head", Linear.class);
                String x = modelInput(g, lm, rnn);
                States h0 = wanted.contains(Input.INITIAL_STATES) ? g.stateInputs(rnn) : States.NONE;
                Stack s = stack(g, rnn, x, null, h0, null, "hn", "cn");
                perStepHead(g, head, s.y(), "logits");
                g.sequenceOutput("logits", rnn, head.outputSize());
                g.stateOutputs(rnn, s);
                yield "jrnn LanguageModel";
            }
            case Seq2Seq s2s -> throw new IllegalArgumentException("a Seq2Seq is two graphs, an encoder and a decoder "
                    + "step: write it with OnnxExport.writeSeq2Seq");
            default -> throw new IllegalArgumentException("cannot export a " + model.getClass().getName()
                    + " to ONNX: the exporter writes Recurrent, SequenceTagger, SequenceClassifier, SequenceRegressor, "
                    + "LanguageModel and (as two graphs) Seq2Seq, whose forward passes it knows");
        };
        return model(g, name);
    }

    private static ModelProto model(Graph g, String name) {
        return ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("jrnn")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(g.graph.setName(name))
                .build();
    }

    /**
     * Writes a {@link Seq2Seq} as the two graphs encoder-decoders are run from in ONNX Runtime,
     * each atomically, both built (and any refusal thrown) before either file is touched; the
     * search (greedy or beam) is a loop in the caller, as in {@link Seq2Seq#translate}.
     * <ul>
     * <li>{@code encoder}: {@code tokens [S, N]} (int64; {@code x [S, N, I]} for a feature source)
     *     and {@code lengths [N]} (int32, each in {@code [1, S]}) to {@code memory [S, N, H]} and
     *     the final states {@code hn} and (LSTM) {@code cn} {@code [L, N, H]}.</li>
     * <li>{@code decoder}, one step: {@code tokens [N]} (int64: {@code BOS} first, then each
     *     step's choice), {@code h0} and (LSTM) {@code c0} {@code [L, N, H]} (the encoder's
     *     {@code hn}, {@code cn} first, then the step's own), {@code memory} and {@code lengths} as
     *     the encoder took and gave them, to {@code logits [N, V]}, {@code hn}, {@code cn} and
     *     {@code attention [N, S]} (zero past each source's length). Tokens the model never emits
     *     ({@link Seq2Seq#neverEmit}) have logit {@code -inf}, so an argmax or beam over the logits
     *     decodes as the model does. The decoder's metadata names {@code bos} and {@code eos}.</li>
     * </ul>
     * Attention scores at or past a source's length are replaced by the lowest float before the
     * softmax, whose weight there is then exactly zero, as in the model.
     */
    public static void writeSeq2Seq(Seq2Seq model, Path encoder, Path decoder) throws IOException {
        ModelProto e = seq2SeqEncoder(model), d = seq2SeqDecoder(model);
        AtomicFiles.write(encoder, e::writeTo);
        AtomicFiles.write(decoder, d::writeTo);
    }

    static ModelProto seq2SeqEncoder(Seq2Seq model) {
        Module part = child(model, "encoder", Module.class);
        Recurrent rnn = child(part, "rnn", Recurrent.class);
        Graph g = new Graph();
        String x = modelInput(g, part, rnn);
        Stack s = stack(g, rnn, x, g.lengthsInput(), States.NONE, "memory", "hn", "cn");
        g.sequenceOutput("memory", rnn, rnn.architecture().hiddenSize());
        g.stateOutputs(rnn, s);
        return model(g, "jrnn Seq2Seq encoder");
    }

    static ModelProto seq2SeqDecoder(Seq2Seq model) {
        Module part = child(model, "decoder", Module.class);
        Embedding embedding = child(part, "embedding", Embedding.class);
        Recurrent rnn = child(part, "rnn", Recurrent.class);
        Linear combine = child(part, "combine", Linear.class), out = child(part, "out", Linear.class);
        int hidden = rnn.architecture().hiddenSize(), vocabulary = out.outputSize();
        Graph g = new Graph();
        String tokens = g.input("tokens", TensorProto.DataType.INT64_VALUE, "N");
        States h0 = g.stateInputs(rnn);
        String memory = g.input("memory", TensorProto.DataType.FLOAT_VALUE, "S", "N", hidden);
        String lengths = g.lengthsInput();
        String weight = g.floats("embedding.weight", embedding.weight().values(), embedding.vocabulary(), embedding.dim());
        String embedded = g.node("Gather", List.of(weight, tokens), "embedded").get(0); // [N, E]
        String step = g.node("Unsqueeze", List.of(embedded, g.longs("axis_0", 0)), "embedded_step").get(0); // [1, N, E]
        Stack s = stack(g, rnn, step, null, h0, null, "hn", "cn");
        String d = g.node("Squeeze", List.of(s.y(), g.longs("axis_0", 0)), "d").get(0); // [N, H]
        // scores [N, S] = d . memory, per sequence: [N, S, H] x [N, H, 1]
        String memoryNsh = g.transpose(memory, 1, 0, 2);
        String column = g.node("Unsqueeze", List.of(d, g.longs("axis_2", 2)), "d_column").get(0);
        String scores = g.node("Squeeze", List.of(g.node("MatMul", List.of(memoryNsh, column), "scores_column").get(0),
                g.longs("axis_2", 2)), "scores").get(0);
        // steps at or past each source's length get no weight: Where(s < length, score, lowest), then Softmax
        String sources = g.node("Gather", List.of(g.node("Shape", List.of(memory), "memory.shape").get(0),
                g.scalarLong("zero", 0)), "sources").get(0);
        String range = g.node("Range", List.of(g.scalarLong("zero", 0), sources, g.scalarLong("one", 1)), "source_steps").get(0);
        String row = g.node("Unsqueeze", List.of(range, g.longs("axis_0", 0)), "source_steps_row").get(0); // [1, S]
        String lengths64 = g.cast(lengths, TensorProto.DataType.INT64_VALUE, "lengths64");
        String lengthColumn = g.node("Unsqueeze", List.of(lengths64, g.longs("axis_1", 1)), "lengths_column").get(0); // [N, 1]
        String inside = g.node("Less", List.of(row, lengthColumn), "inside").get(0); // [N, S]
        String masked = g.node("Where", List.of(inside, scores, g.floats("lowest", new float[] {-Float.MAX_VALUE})),
                "masked_scores").get(0);
        g.graph.addNode(NodeProto.newBuilder().setOpType("Softmax").setName("attention.Softmax").addInput(masked)
                .addOutput("attention").addAttribute(intAttribute("axis", 1)));
        // context [N, H] = attention [N, 1, S] x memory [N, S, H]
        String weightsRow = g.node("Unsqueeze", List.of("attention", g.longs("axis_1", 1)), "attention_row").get(0);
        String context = g.node("Squeeze", List.of(g.node("MatMul", List.of(weightsRow, memoryNsh), "context_row").get(0),
                g.longs("axis_1", 1)), "context").get(0);
        g.graph.addNode(NodeProto.newBuilder().setOpType("Concat").setName("cat.Concat").addInput(context).addInput(d)
                .addOutput("cat").addAttribute(intAttribute("axis", 1))); // [c; d], as the model's combine reads it
        g.gemm("cat", combine, "combine", "combine.pre");
        String combined = g.node("Tanh", List.of("combine.pre"), "combined").get(0);
        int[] never = model.neverEmitted();
        if (never.length == 0) {
            g.gemm(combined, out, "out", "logits");
        } else {
            float[] mask = new float[vocabulary];
            for (int t : never) {
                mask[t] = Float.NEGATIVE_INFINITY;
            }
            g.gemm(combined, out, "out", "out.logits");
            g.node("Add", List.of("out.logits", g.floats("never_emitted", mask, vocabulary)), "logits");
        }
        g.output("logits", TensorProto.DataType.FLOAT_VALUE, "N", vocabulary);
        g.stateOutputs(rnn, s);
        g.output("attention", TensorProto.DataType.FLOAT_VALUE, "N", "S");
        ModelProto proto = model(g, "jrnn Seq2Seq decoder step");
        return proto.toBuilder()
                .addMetadataProps(StringStringEntryProto.newBuilder().setKey("bos").setValue(Integer.toString(model.bos())))
                .addMetadataProps(StringStringEntryProto.newBuilder().setKey("eos").setValue(Integer.toString(model.eos())))
                .build();
    }

    private static void refuse(Set<Input> wanted, Input input, String model, String why) {
        if (wanted.contains(input)) {
            throw new IllegalArgumentException("cannot export a " + model + " with input " + input + ": " + why);
        }
    }

    /** The child {@code name} of a model whose layout this class knows (a missing or different one is a bug, said plainly). */
    private static <M extends Module> M child(Module model, String name, Class<M> type) {
        Module m = model.namedChildren().get(name);
        if (!type.isInstance(m)) {
            throw new IllegalArgumentException(model.getClass().getSimpleName() + " has no " + type.getSimpleName()
                    + " named '" + name + "' (" + model.namedChildren().keySet() + "); the exporter does not know this model");
        }
        return type.cast(m);
    }

    /** {@code tokens} through the model's embedding, if it has one, else {@code x} straight to the stack. */
    private static String modelInput(Graph g, Module model, Recurrent rnn) {
        Module m = model.namedChildren().get("embedding");
        if (m == null) {
            return g.sequenceInput("x", rnn);
        }
        Embedding embedding = (Embedding) m;
        String tokens = g.input("tokens", TensorProto.DataType.INT64_VALUE, rnn.isBatchFirst() ? "N" : "T",
                rnn.isBatchFirst() ? "T" : "N");
        String weight = g.floats("embedding.weight", embedding.weight().values(), embedding.vocabulary(), embedding.dim());
        return g.node("Gather", List.of(weight, tokens), "embedded").get(0); // [T, N, E] as tokens is [T, N]
    }

    /** Names of the optional initial-state inputs (null when absent). */
    private record States(String h, String c) {
        static final States NONE = new States(null, null);
    }

    /** The stack's outputs: {@code y} as the layer gives it, the final states (null if not asked for by name), and the top layer's {@code Y_h [D, N, H]}. */
    private record Stack(String y, String hn, String cn, String topHn) {
    }

    /**
     * One ONNX node per layer. {@code x} is {@code [T, N, I]} ({@code [N, T, I]} batch-first);
     * {@code yName}, {@code hnName}, {@code cnName} are the names to give the outputs (null: internal).
     */
    private static Stack stack(Graph g, Recurrent rnn, String x, String lengths, States h0, String yName,
                               String hnName, String cnName) {
        RnnDescriptor a = rnn.architecture();
        int layers = a.layers(), dirs = a.directions(), hidden = a.hiddenSize();
        boolean lstm = a.cell() == CellKind.LSTM;
        String input = rnn.isBatchFirst() ? g.transpose(x, 1, 0, 2) : x; // ONNX Runtime's kernels take layout 0 only
        List<String> hns = new ArrayList<>(), cns = new ArrayList<>();
        String reshape = g.longs("shape_t_n_dh", 0, 0, -1);
        for (int l = 0; l < layers; l++) {
            String p = "rnn.l" + l;
            float[][] wrb = onnxWeights(rnn.weights(), a, l);
            int in = a.layerInputSize(l), gh = a.gates() * hidden;
            List<String> args = new ArrayList<>(List.of(input,
                    g.floats(p + ".W", wrb[0], dirs, gh, in),
                    g.floats(p + ".R", wrb[1], dirs, gh, hidden),
                    g.floats(p + ".B", wrb[2], dirs, 2 * gh),
                    lengths == null ? "" : lengths,
                    layerRows(g, h0.h(), l, layers, dirs),
                    lstm ? layerRows(g, h0.c(), l, layers, dirs) : ""));
            while (args.get(args.size() - 1).isEmpty()) { // trailing omitted optional inputs are left out
                args.remove(args.size() - 1);
            }
            boolean single = layers == 1;
            List<String> outs = new ArrayList<>(List.of(p + ".Y", single && hnName != null ? hnName : p + ".Y_h"));
            if (lstm) {
                outs.add(single && cnName != null ? cnName : p + ".Y_c");
            }
            NodeProto.Builder node = NodeProto.newBuilder().setName(p).setOpType(opType(a.cell()))
                    .addAllInput(args).addAllOutput(outs)
                    .addAttribute(intAttribute("hidden_size", hidden))
                    .addAttribute(stringAttribute("direction", dirs == 2 ? "bidirectional" : "forward"));
            if (a.cell() == CellKind.GRU) {
                node.addAttribute(intAttribute("linear_before_reset", 1)); // PyTorch's GRU, jrnn's
            }
            if (a.cell() == CellKind.RNN_RELU) {
                node.addAttribute(stringsAttribute("activations", dirs == 2 ? List.of("Relu", "Relu") : List.of("Relu")));
            }
            g.graph.addNode(node);
            hns.add(outs.get(1));
            if (lstm) {
                cns.add(outs.get(2));
            }
            // Y [T, D, N, H] -> [T, N, D, H] -> [T, N, D*H]: the next layer's input, or the stack's output
            boolean last = l == layers - 1;
            String yt = g.transpose(outs.get(0), 0, 2, 1, 3);
            String out = last && yName != null && !rnn.isBatchFirst() ? yName : p + ".y";
            g.graph.addNode(NodeProto.newBuilder().setOpType("Reshape").setName(out + ".reshape")
                    .addInput(yt).addInput(reshape).addOutput(out));
            input = out;
        }
        String y = input;
        if (rnn.isBatchFirst()) {
            y = g.transposeTo(y, yName == null ? "rnn.y_batch_first" : yName, 1, 0, 2);
        }
        // the final states of every layer only where the graph outputs them (a classifier reads the top layer's alone)
        String hn = hnName == null ? null : concat(g, hns, hnName);
        String cn = lstm && cnName != null ? concat(g, cns, cnName) : null;
        return new Stack(y, hn, cn, hns.get(hns.size() - 1));
    }

    /** Layer {@code l}'s rows {@code [D, N, H]} of a state input {@code [L*D, N, H]}, or "" without one. */
    private static String layerRows(Graph g, String state, int l, int layers, int dirs) {
        if (state == null) {
            return "";
        }
        if (layers == 1) {
            return state;
        }
        return g.node("Slice", List.of(state, g.longs("start_" + l * dirs, l * dirs), g.longs("end_" + (l + 1) * dirs,
                (l + 1) * dirs), g.longs("axis_0", 0)), state + ".l" + l).get(0);
    }

    /** The layers' final states concatenated along the first axis (or the one layer's, already so named). */
    private static String concat(Graph g, List<String> parts, String name) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        g.graph.addNode(NodeProto.newBuilder().setOpType("Concat").setName(name + ".concat").addAllInput(parts)
                .addOutput(name).addAttribute(intAttribute("axis", 0)));
        return name;
    }

    /** The top layer's final states {@code [D, N, H]} as {@code [N, D*H]}, forward then reverse: what the classifier's head reads. */
    private static String topStates(Graph g, Stack s) {
        String t = g.transpose(s.topHn(), 1, 0, 2);
        return g.node("Reshape", List.of(t, g.longs("shape_n_dh", 0, -1)), "features").get(0);
    }

    /**
     * {@code [N, F]}: the maximum of {@code y [T, N, F]} over each sequence's valid steps, as
     * {@link SequenceClassifier.Pooling#MAX} takes it. Steps at or past a sequence's length are
     * replaced by the lowest float before ReduceMax ({@code Where(Range(T) < lengths, y, lowest)}),
     * so the zeros the recurrent node writes there never win over negative outputs.
     */
    private static String maxOverValidSteps(Graph g, String y, String lengths) {
        String valid = y;
        if (lengths != null) {
            String steps = g.node("Gather", List.of(g.node("Shape", List.of(y), "pool.shape").get(0),
                    g.scalarLong("zero", 0)), "pool.steps").get(0);
            String t = g.node("Range", List.of(g.scalarLong("zero", 0), steps, g.scalarLong("one", 1)), "pool.t").get(0);
            String column = g.node("Unsqueeze", List.of(t, g.longs("axis_1", 1)), "pool.t_column").get(0); // [T, 1]
            String lengths64 = g.cast(lengths, TensorProto.DataType.INT64_VALUE, "pool.lengths64");
            String row = g.node("Unsqueeze", List.of(lengths64, g.longs("axis_0", 0)), "pool.lengths_row").get(0); // [1, N]
            String inside = g.node("Less", List.of(column, row), "pool.inside").get(0); // [T, N]
            String mask = g.node("Unsqueeze", List.of(inside, g.longs("axis_2", 2)), "pool.mask").get(0); // [T, N, 1]
            String lowest = g.floats("pool.lowest", new float[] {-Float.MAX_VALUE});
            valid = g.node("Where", List.of(mask, y, lowest), "pool.masked").get(0);
        }
        g.graph.addNode(NodeProto.newBuilder().setOpType("ReduceMax").setName("pool.ReduceMax").addInput(valid)
                .addOutput("pool.max").addAttribute(intsAttribute("axes", 0)).addAttribute(intAttribute("keepdims", 0)));
        return "pool.max";
    }

    /** A linear head at every step of {@code y [.., .., F]}: MatMul by {@code W^T} then Add {@code b}, as PyTorch exports it. */
    private static void perStepHead(Graph g, Linear head, String y, String name) {
        int in = head.inputSize(), out = head.outputSize();
        float[] w = head.weight().values(), wt = new float[w.length];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                wt[i * out + o] = w[o * in + i];
            }
        }
        String product = g.node("MatMul", List.of(y, g.floats("head.weight_t", wt, in, out)), "head.product").get(0);
        g.graph.addNode(NodeProto.newBuilder().setOpType("Add").setName("head.add").addInput(product)
                .addInput(g.floats("head.bias", head.bias().values(), out)).addOutput(name));
    }

    private static String opType(CellKind cell) {
        return switch (cell) {
            case LSTM -> "LSTM";
            case GRU -> "GRU";
            case RNN_TANH, RNN_RELU -> "RNN";
        };
    }

    /** For ONNX gate {@code g}, the PyTorch gate whose rows it takes: LSTM i o f c from i f g o, GRU z r h from r z n. */
    private static int[] onnxFromTorch(CellKind cell) {
        return switch (cell) {
            case LSTM -> new int[] {0, 3, 1, 2};
            case GRU -> new int[] {1, 0, 2};
            case RNN_TANH, RNN_RELU -> new int[] {0};
        };
    }

    /** Layer {@code l}'s W {@code [D, G*H, in]}, R {@code [D, G*H, H]} and B {@code [D, 2*G*H]} (Wb then Rb) in ONNX's gate order. */
    private static float[][] onnxWeights(RnnWeights w, RnnDescriptor a, int l) {
        int dirs = a.directions(), h = a.hiddenSize(), in = a.layerInputSize(l), g = a.gates();
        int[] order = onnxFromTorch(a.cell());
        float[] wData = new float[dirs * g * h * in], rData = new float[dirs * g * h * h], bData = new float[dirs * 2 * g * h];
        for (int d = 0; d < dirs; d++) {
            float[] wih = w.get(Param.WEIGHT_IH, l, d).toArray(), whh = w.get(Param.WEIGHT_HH, l, d).toArray();
            float[] bih = w.get(Param.BIAS_IH, l, d).toArray(), bhh = w.get(Param.BIAS_HH, l, d).toArray();
            for (int og = 0; og < g; og++) {
                int pg = order[og];
                System.arraycopy(wih, pg * h * in, wData, (d * g + og) * h * in, h * in);
                System.arraycopy(whh, pg * h * h, rData, (d * g + og) * h * h, h * h);
                System.arraycopy(bih, pg * h, bData, d * 2 * g * h + og * h, h);
                System.arraycopy(bhh, pg * h, bData, d * 2 * g * h + (g + og) * h, h);
            }
        }
        return new float[][] {wData, rData, bData};
    }

    private static AttributeProto intAttribute(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    private static AttributeProto intsAttribute(String name, long... values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long v : values) {
            a.addInts(v);
        }
        return a.build();
    }

    private static AttributeProto stringAttribute(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    private static AttributeProto stringsAttribute(String name, List<String> values) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRINGS);
        values.forEach(v -> a.addStrings(ByteString.copyFromUtf8(v)));
        return a.build();
    }

    /** A graph under construction: inputs, outputs, initializers (each written once) and nodes. */
    private static final class Graph {
        final GraphProto.Builder graph = GraphProto.newBuilder();
        private final Set<String> initializers = new java.util.HashSet<>();
        private int anonymous;

        /** A graph input; {@code dims} are sizes (Integer) or dynamic axes' names (String). */
        String input(String name, int elemType, Object... dims) {
            graph.addInput(valueInfo(name, elemType, dims));
            return name;
        }

        void output(String name, int elemType, Object... dims) {
            graph.addOutput(valueInfo(name, elemType, dims));
        }

        /** {@code x}: a float sequence of the stack's input size, laid out as the stack reads it. */
        String sequenceInput(String name, Recurrent rnn) {
            int in = rnn.architecture().inputSize();
            return rnn.isBatchFirst() ? input(name, TensorProto.DataType.FLOAT_VALUE, "N", "T", in)
                    : input(name, TensorProto.DataType.FLOAT_VALUE, "T", "N", in);
        }

        void sequenceOutput(String name, Recurrent rnn, int width) {
            if (rnn.isBatchFirst()) {
                output(name, TensorProto.DataType.FLOAT_VALUE, "N", "T", width);
            } else {
                output(name, TensorProto.DataType.FLOAT_VALUE, "T", "N", width);
            }
        }

        String lengthsInput() {
            return input("lengths", TensorProto.DataType.INT32_VALUE, "N"); // ONNX's sequence_lens is int32
        }

        States stateInputs(Recurrent rnn) {
            RnnDescriptor a = rnn.architecture();
            int rows = a.layers() * a.directions();
            String h = input("h0", TensorProto.DataType.FLOAT_VALUE, rows, "N", a.hiddenSize());
            String c = a.cell() == CellKind.LSTM ? input("c0", TensorProto.DataType.FLOAT_VALUE, rows, "N", a.hiddenSize()) : null;
            return new States(h, c);
        }

        void stateOutputs(Recurrent rnn, Stack s) {
            RnnDescriptor a = rnn.architecture();
            int rows = a.layers() * a.directions();
            output(s.hn(), TensorProto.DataType.FLOAT_VALUE, rows, "N", a.hiddenSize());
            if (s.cn() != null) {
                output(s.cn(), TensorProto.DataType.FLOAT_VALUE, rows, "N", a.hiddenSize());
            }
        }

        String floats(String name, float[] data, int... dims) {
            ByteBuffer raw = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN); // ONNX's raw_data is little-endian
            raw.asFloatBuffer().put(data);
            TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
                    .setRawData(ByteString.copyFrom(raw.array()));
            for (int d : dims) {
                t.addDims(d);
            }
            graph.addInitializer(t);
            initializers.add(name);
            return name;
        }

        /** A 1-D int64 constant (a shape, an axis, a slice bound), written once however often it is used. */
        String longs(String name, long... values) {
            if (initializers.add(name)) {
                TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
                        .addDims(values.length);
                for (long v : values) {
                    t.addInt64Data(v);
                }
                graph.addInitializer(t);
            }
            return name;
        }

        /** A 0-d int64 constant (Range's and Gather's scalar operands), written once. */
        String scalarLong(String name, long value) {
            if (initializers.add(name)) {
                graph.addInitializer(TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.INT64_VALUE)
                        .addInt64Data(value));
            }
            return name;
        }

        String cast(String x, int to, String name) {
            graph.addNode(NodeProto.newBuilder().setOpType("Cast").setName(name + ".Cast").addInput(x).addOutput(name)
                    .addAttribute(intAttribute("to", to)));
            return name;
        }

        /** A node of one or more outputs, named {@code output}, {@code output.1}, ...; returns their names. */
        List<String> node(String op, List<String> inputs, String output) {
            NodeProto.Builder n = NodeProto.newBuilder().setOpType(op).setName(output + "." + op).addAllInput(inputs)
                    .addOutput(output);
            graph.addNode(n);
            return List.of(output);
        }

        String transpose(String x, int... perm) {
            return transposeTo(x, x + ".t" + anonymous++, perm);
        }

        String transposeTo(String x, String name, int... perm) {
            AttributeProto.Builder a = AttributeProto.newBuilder().setName("perm").setType(AttributeProto.AttributeType.INTS);
            for (int p : perm) {
                a.addInts(p);
            }
            graph.addNode(NodeProto.newBuilder().setOpType("Transpose").setName(name + ".Transpose").addInput(x)
                    .addOutput(name).addAttribute(a));
            return name;
        }

        /** {@code name = x W^T + b} for rows {@code x [N, in]}: Gemm with transB, W kept as PyTorch's {@code [out, in]}. */
        void gemm(String x, Linear head, String name) {
            gemm(x, head, "head", name);
        }

        /** {@link #gemm(String, Linear, String)} with the layer's weights named {@code prefix.weight}, {@code prefix.bias}. */
        void gemm(String x, Linear head, String prefix, String name) {
            graph.addNode(NodeProto.newBuilder().setOpType("Gemm").setName(name + ".Gemm").addInput(x)
                    .addInput(floats(prefix + ".weight", head.weight().values(), head.outputSize(), head.inputSize()))
                    .addInput(floats(prefix + ".bias", head.bias().values(), head.outputSize()))
                    .addOutput(name).addAttribute(intAttribute("transB", 1)));
        }

        private static ValueInfoProto valueInfo(String name, int elemType, Object... dims) {
            TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
            for (Object d : dims) {
                shape.addDim(d instanceof Integer size ? TensorShapeProto.Dimension.newBuilder().setDimValue(size)
                        : TensorShapeProto.Dimension.newBuilder().setDimParam((String) d));
            }
            return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType).setShape(shape))).build();
        }
    }
}
