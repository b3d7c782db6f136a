package dev.jrnn.apps;

import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.runtime.Use;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.ModelDescription;
import dev.jrnn.models.Seq2Seq;
import dev.jrnn.models.SequenceClassifier;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.SequenceTagger;
import dev.jrnn.models.io.Npy;
import dev.jrnn.models.nn.Embedding;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.io.PyTorchStateDict;
import dev.jrnn.models.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import dev.jrnn.onnx.IntTensor;
import dev.jrnn.onnx.OnnxModel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jrnn run}: a PyTorch recurrent stack from its state_dict (safetensors) on an input from
 * a {@code .npy} file, with outputs written as PyTorch returns them, and optionally the
 * vector-Jacobian product: the gradients of {@code sum(output * dy)}. Or a whole ONNX model
 * ({@code --weights model.onnx}), its inputs and outputs by name.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs a PyTorch nn.LSTM / nn.GRU / nn.RNN state_dict on an input and writes what PyTorch returns. With --dy, also writes the gradients of sum(output * dy) w.r.t. the input (--dx) and every parameter (--grads).",
                "Or runs a whole ONNX model (--weights model.onnx, e.g. from torch.onnx.export): --input X.npy feeds its first input, --input NAME=X.npy any input (integer inputs such as token ids as int64 or int32 arrays); --output Y.npy writes its first output, --output NAME=Y.npy any output.",
                "Or runs a whole jrnn model from its checkpoint (--weights model.safetensors, as jrnn demo, sentiment, translate and g2p write them, or Checkpoint.saveModel): "
                        + "token models read ids [T, N] (int64 or int32) and feature models x [T, N, I] (float32); written are a LanguageModel's logits [T, N, vocabulary], "
                        + "a SequenceClassifier's logits [N, classes], a SequenceTagger's logits [T, N, classes], a SequenceRegressor's predictions [N, outputs] (float32). "
                        + "A Seq2Seq's translations of each source column (ids [S, N], or features [S, N, I]) are written as int32 [N, L], shorter ones padded with -1 (--beam, --max-length)."})
final class RunCommand implements Callable<Integer> {

    @Option(names = "--weights", required = true, paramLabel = "W.safetensors|M.onnx",
            description = "the module's state_dict, an ONNX model (.onnx) or a jrnn model's checkpoint")
    Path weights;

    @Option(names = "--cell", paramLabel = "CELL", description = "lstm, gru, rnn_tanh or rnn_relu (state_dicts; an ONNX graph says it itself)")
    CellKind cell;

    @Option(names = "--prefix", paramLabel = "P", defaultValue = "", description = "key prefix of the module in the state_dict, e.g. encoder.rnn.")
    String prefix;

    @Option(names = "--batch-first", description = "input, output, dy and dx are [N, T, C] (nn.LSTM(batch_first=True))")
    boolean batchFirst;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "input [T, N, I] (float32); for ONNX, [NAME=]X.npy, repeatable")
    List<String> inputs;

    @Option(names = "--h0", paramLabel = "H0.npy", description = "initial hidden state [L*D, N, H]; zeros when absent")
    Path h0;

    @Option(names = "--c0", paramLabel = "C0.npy", description = "initial cell state [L*D, N, H] (LSTM); zeros when absent")
    Path c0;

    @Option(names = "--output", required = true, paramLabel = "Y.npy", description = "output sequence [T, N, D*H]; for ONNX, [NAME=]Y.npy, repeatable")
    List<String> outputs;

    @Option(names = "--hn", paramLabel = "HN.npy", description = "final hidden states [L*D, N, H]")
    Path hn;

    @Option(names = "--cn", paramLabel = "CN.npy", description = "final cell states [L*D, N, H] (LSTM)")
    Path cn;

    @Option(names = "--precision", paramLabel = "P", defaultValue = "float32",
            description = "the weights' precision for inference: float32 (default), bf16 (simd, onednn), int8 (simd; onednn: LSTM only, calibrated on the input); not with --dy or ONNX models")
    String precisionName;

    @Option(names = "--max-length", paramLabel = "L", defaultValue = "100", description = "a Seq2Seq's longest translation (default ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--beam", paramLabel = "B", defaultValue = "1", description = "a Seq2Seq's beam width (default ${DEFAULT-VALUE}: greedy)")
    int beam;

    @Option(names = "--dy", paramLabel = "DY.npy", description = "gradient of the loss w.r.t. the output, shaped like it")
    Path dy;

    @Option(names = "--dx", paramLabel = "DX.npy", description = "written with --dy: gradient w.r.t. the input")
    Path dx;

    @Option(names = "--grads", paramLabel = "G.safetensors",
            description = "written with --dy: gradient w.r.t. every parameter, under the weights' names")
    Path grads;

    @Mixin
    BackendOption backend = new BackendOption();

    @Override
    public Integer call() throws IOException {
        if (weights.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".onnx")) {
            return runOnnx();
        }
        if (cell == null && ModelDescription.describes(SafeTensors.metadata(weights))) {
            return runModel();
        }
        if (cell == null) {
            throw new IllegalArgumentException("--cell is needed for a state_dict (lstm, gru, rnn_tanh or rnn_relu)");
        }
        if (inputs.size() != 1 || outputs.size() != 1) {
            throw new IllegalArgumentException("a state_dict takes one --input and one --output (several are for ONNX models)");
        }
        Path input = Path.of(inputs.get(0)), output = Path.of(outputs.get(0));
        if (dy == null && (dx != null || grads != null)) {
            throw new IllegalArgumentException("--dx and --grads need --dy, the gradient of the loss w.r.t. the output");
        }
        if (dy != null && dx == null && grads == null) {
            throw new IllegalArgumentException("--dy needs --dx or --grads: where to write the gradients");
        }
        PyTorchStateDict module = recurrent(weights, prefix, cell);
        RnnDescriptor arch = module.architecture();
        if (arch.cell() != CellKind.LSTM && (c0 != null || cn != null)) {
            throw new IllegalArgumentException("--c0 and --cn are for LSTMs; this is a " + arch.cell());
        }

        FloatTensor x = timeFirst(read(input, "--input", 3), "--input");
        if (x.dim(2) != arch.inputSize()) {
            throw new IllegalArgumentException("--input " + input + " has " + x.dim(2) + " channels; the weights expect "
                    + arch.inputSize() + " (shape " + (batchFirst ? "[N, T, " : "[T, N, ") + arch.inputSize() + "])");
        }
        RnnDescriptor d = arch.withSteps(x.dim(0)).withBatch(x.dim(1));
        FloatTensor h = h0 == null ? null : state(h0, "--h0", d);
        FloatTensor c = c0 == null ? null : state(c0, "--c0", d);
        FloatTensor dyTensor = null;
        if (dy != null) {
            dyTensor = timeFirst(read(dy, "--dy", 3), "--dy");
            if (!dyTensor.shape().equals(d.dstLayerShape())) {
                throw new IllegalArgumentException("--dy " + dy + " has shape " + shapeAsGiven(dyTensor)
                        + "; expected the output's, " + shapeAsGiven(FloatTensor.zeros(d.dstLayerShape())));
            }
        }

        FloatTensor y = FloatTensor.zeros(d.dstLayerShape());
        FloatTensor hOut = FloatTensor.zeros(d.iterShape());
        FloatTensor cOut = d.cell() == CellKind.LSTM ? FloatTensor.zeros(d.iterShape()) : null;
        Precision precision = precision();
        if (precision != Precision.FLOAT32 && dyTensor != null) {
            throw new IllegalArgumentException("--dy needs float32 weights: " + precision.label() + " serves inference only");
        }
        try (PreparedRnn rnn = precision == Precision.FLOAT32 ? Backends.selector().prepare(backend.name(), d, module.weights())
                : Backends.selector().prepare(backend.name(), d, module.weights(), Use.INFERENCE, precision,
                        Calibration.of(x)); // int8 on onednn quantizes the inputs to their own range
             Workspace ws = rnn.newWorkspace()) {
            rnn.forward(dyTensor == null ? Mode.INFERENCE : Mode.TRAINING,
                    RnnForward.of(x, y).withInitialState(h, c).withFinalState(hOut, cOut), ws);
            Npy.write(output, batchFirst ? y.permute(1, 0, 2) : y);
            if (hn != null) {
                Npy.write(hn, hOut);
            }
            if (cn != null) {
                Npy.write(cn, cOut);
            }
            if (dyTensor != null) {
                FloatTensor dxTensor = FloatTensor.zeros(d.srcLayerShape());
                RnnWeights g = RnnWeights.zeros(d);
                rnn.backward(RnnBackward.of(dyTensor, dxTensor, g), ws);
                if (dx != null) {
                    Npy.write(dx, batchFirst ? dxTensor.permute(1, 0, 2) : dxTensor);
                }
                if (grads != null) {
                    Map<String, FloatTensor> named = new LinkedHashMap<>();
                    g.named().forEach((name, t) -> named.put(prefix + name, t));
                    SafeTensors.write(grads, named);
                }
            }
        }
        return 0;
    }

    /** The first option given that only a bare state_dict takes, or null. */
    private String stateDictOnly() {
        return cell != null ? "--cell" : !prefix.isEmpty() ? "--prefix" : batchFirst ? "--batch-first"
                : h0 != null ? "--h0" : c0 != null ? "--c0" : hn != null ? "--hn" : cn != null ? "--cn"
                : dy != null ? "--dy" : dx != null ? "--dx" : grads != null ? "--grads" : null;
    }

    /** A whole jrnn model rebuilt from its checkpoint: one input, one output, shapes as the help says. */
    private int runModel() throws IOException {
        if (stateDictOnly() != null) {
            throw new IllegalArgumentException(stateDictOnly() + " is for state_dicts; " + weights
                    + " is a whole model's checkpoint, which says its cell, layout and sizes itself");
        }
        if (inputs.size() != 1 || outputs.size() != 1) {
            throw new IllegalArgumentException("a model's checkpoint takes one --input and one --output");
        }
        Path input = Path.of(inputs.get(0)), output = Path.of(outputs.get(0));
        Module model = Checkpoint.loadModel(weights).model();
        try {
            Precision precision = precision();
            switch (model) { // every topology's recurrent layers in the precision asked for
                case LanguageModel m -> m.precision(precision);
                case SequenceClassifier m -> m.precision(precision);
                case SequenceTagger m -> m.precision(precision);
                case SequenceRegressor m -> m.precision(precision);
                case Seq2Seq m -> m.precision(precision);
                default -> { }
            }
            if (model instanceof Seq2Seq s) {
                translate(s.backend(backend.name()), input, output);
                return 0;
            }
            Npy.write(output, switch (model) {
                case LanguageModel lm -> lm.backend(backend.name()).forward(tokens(input, lm), null).logits();
                case SequenceClassifier c -> {
                    c.backend(backend.name());
                    yield c.namedChildren().get("embedding") != null ? c.logits(tokens(input, c), null) : c.logits(features(input, c), null);
                }
                case SequenceTagger t -> {
                    t.backend(backend.name());
                    yield t.logits(t.namedChildren().get("embedding") instanceof Embedding e ? e.infer(tokens(input, t)) : features(input, t), null);
                }
                case SequenceRegressor r -> r.backend(backend.name()).predict(features(input, r));
                default -> throw new IllegalArgumentException(weights + ": a " + model.getClass().getSimpleName() + ", which jrnn run does not run");
            });
        } finally {
            Module.closeIfNeeded(model);
        }
        return 0;
    }

    private Precision precision() {
        return Precision.parse(precisionName);
    }

    /**
     * A Seq2Seq's translations of each source column, by greedy decoding or beam search: int32
     * {@code [N, L]}, L the longest (at least 1), shorter ones padded with -1 (no EOS).
     */
    private void translate(Seq2Seq model, Path input, Path output) throws IOException {
        if (maxLength < 1 || beam < 1) {
            throw new IllegalArgumentException("--max-length and --beam must be at least 1");
        }
        Module encoder = model.namedChildren().get("encoder");
        int[][] translations;
        if (encoder.namedChildren().get("embedding") != null) {
            int[][] ids = tokens(input, encoder);
            translations = new int[ids[0].length][];
            int[] source = new int[ids.length];
            for (int n = 0; n < translations.length; n++) {
                for (int t = 0; t < ids.length; t++) {
                    source[t] = ids[t][n];
                }
                translations[n] = model.translate(source, maxLength, beam);
            }
        } else {
            FloatTensor x = features(input, encoder);
            translations = new int[x.dim(1)][];
            for (int n = 0; n < translations.length; n++) {
                translations[n] = model.translate(x.slice(1, n, n + 1).copy(), maxLength, beam, false);
            }
        }
        // at least one column: an array with a zero dimension is one many readers (ours too) refuse
        int longest = Math.max(1, java.util.Arrays.stream(translations).mapToInt(t -> t.length).max().orElse(0));
        int[] padded = new int[translations.length * longest];
        java.util.Arrays.fill(padded, -1);
        for (int n = 0; n < translations.length; n++) {
            System.arraycopy(translations[n], 0, padded, n * longest, translations[n].length);
        }
        Npy.writeIntegers(output, padded, translations.length, longest);
    }

    /** Token ids {@code [T][N]} from an integer .npy {@code [T, N]}, each below the model's vocabulary. */
    private static int[][] tokens(Path file, Module model) throws IOException {
        if (!(model.namedChildren().get("embedding") instanceof Embedding embedding)) {
            throw new IllegalArgumentException("this model reads feature vectors [T, N, I] (float32), not token ids");
        }
        Npy.Integers ids = Npy.readIntegers(file);
        if (ids.shape().length != 2 || ids.shape()[0] == 0 || ids.shape()[1] == 0) {
            throw new IllegalArgumentException("--input " + file + " has shape " + java.util.Arrays.toString(ids.shape())
                    + "; expected token ids [T, N] (time first, int64 or int32)");
        }
        int steps = ids.shape()[0], batch = ids.shape()[1];
        int[][] out = new int[steps][batch];
        for (int t = 0; t < steps; t++) {
            for (int n = 0; n < batch; n++) {
                long id = ids.values()[t * batch + n];
                if (id < 0 || id >= embedding.vocabulary()) {
                    throw new IllegalArgumentException("--input " + file + ": token id " + id + " at [" + t + ", " + n
                            + "]; expected ids in [0, " + embedding.vocabulary() + ")");
                }
                out[t][n] = (int) id;
            }
        }
        return out;
    }

    /** Features {@code [T, N, I]} (float32) of the model's input size. */
    private static FloatTensor features(Path file, Module model) throws IOException {
        FloatTensor x = read(file, "--input", 3);
        int size = ((Recurrent) model.namedChildren().get("rnn")).architecture().inputSize();
        if (x.dim(2) != size || x.dim(0) == 0 || x.dim(1) == 0) {
            throw new IllegalArgumentException("--input " + file + " has shape " + x.shape() + "; expected [T, N, " + size + "] (time first)");
        }
        return x;
    }

    /** A whole ONNX model: its inputs from --input [NAME=]FILE, its outputs to --output [NAME=]FILE. */
    private int runOnnx() throws IOException {
        String stateDictOnly = stateDictOnly();
        if (stateDictOnly != null) {
            throw new IllegalArgumentException(stateDictOnly + " is for state_dicts; an ONNX model's graph says its cell, "
                    + "layout and states: pass its inputs and outputs by name (--input NAME=X.npy, --output NAME=Y.npy)");
        }
        if (precision() != Precision.FLOAT32) {
            throw new IllegalArgumentException("--precision is for state_dicts and jrnn checkpoints; ONNX models run in float32");
        }
        try (OnnxModel model = OnnxModel.load(weights)) {
            model.backend(backend.name());
            List<String> inputNames = model.inputs().stream().map(OnnxModel.Input::name).toList();
            Map<String, Path> inFiles = byName(inputs, inputNames, "--input", "inputs");
            Map<String, Object> values = new LinkedHashMap<>();
            for (OnnxModel.Input in : model.inputs()) {
                Path file = inFiles.get(in.name());
                if (file == null) {
                    throw new IllegalArgumentException("the model's input '" + in.name() + "' has no file: add --input "
                            + in.name() + "=FILE.npy (its inputs are " + inputNames + ")");
                }
                if (in.integer()) {
                    Npy.Integers ints = Npy.readIntegers(file);
                    values.put(in.name(), IntTensor.of(ints.values(), ints.shape()));
                } else {
                    values.put(in.name(), Npy.read(file));
                }
            }
            Map<String, Path> outFiles = byName(outputs, model.outputs(), "--output", "outputs");
            Map<String, FloatTensor> results = model.run(values);
            for (Map.Entry<String, Path> e : outFiles.entrySet()) {
                Npy.write(e.getValue(), results.get(e.getKey()));
            }
        }
        return 0;
    }

    /** {@code [NAME=]FILE} arguments by name: a bare FILE is the first of {@code names}. */
    private Map<String, Path> byName(List<String> args, List<String> names, String option, String what) {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            String name = eq > 0 && names.contains(arg.substring(0, eq)) ? arg.substring(0, eq) : null;
            if (name == null && eq > 0 && !arg.substring(0, eq).contains("/") && !arg.substring(0, eq).contains(".")) {
                throw new IllegalArgumentException(option + " " + arg + ": the model has no " + what.substring(0, what.length() - 1)
                        + " '" + arg.substring(0, eq) + "'; its " + what + " are " + names);
            }
            if (name == null && names.isEmpty()) {
                throw new IllegalArgumentException(option + " " + arg + ": the model has no " + what);
            }
            String key = name != null ? name : names.get(0);
            if (files.put(key, Path.of(name != null ? arg.substring(eq + 1) : arg)) != null) {
                throw new IllegalArgumentException(option + ": two files for '" + key + "'");
            }
        }
        return files;
    }

    private static FloatTensor read(Path path, String option, int rank) throws IOException {
        FloatTensor t = Npy.read(path);
        if (t.rank() != rank) {
            throw new IllegalArgumentException(option + " " + path + " has shape " + t.shape() + "; expected " + rank
                    + " dimensions");
        }
        return t;
    }

    /** The sequence as [T, N, C], from the file's [N, T, C] with --batch-first. */
    private FloatTensor timeFirst(FloatTensor t, String option) {
        return batchFirst ? t.permute(1, 0, 2) : t;
    }

    private String shapeAsGiven(FloatTensor timeFirst) {
        return (batchFirst ? timeFirst.permute(1, 0, 2) : timeFirst).shape().toString();
    }

    private static FloatTensor state(Path path, String option, RnnDescriptor d) throws IOException {
        FloatTensor t = read(path, option, 3);
        Shape want = d.iterShape();
        if (!t.shape().equals(want)) {
            throw new IllegalArgumentException(option + " " + path + " has shape " + t.shape() + "; expected " + want
                    + " ([layers * directions, batch, hidden])");
        }
        return t;
    }

    /** The recurrent stack under {@code prefix} in the safetensors file {@code weights}; a mistake names the file. */
    static PyTorchStateDict recurrent(Path weights, String prefix, CellKind cell) throws IOException {
        Map<String, FloatTensor> stateDict = SafeTensors.read(weights, name -> name.startsWith(prefix));
        try {
            return PyTorchStateDict.recurrent(stateDict, prefix, cell);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(weights + ": " + e.getMessage());
        }
    }
}
