package dev.jrnn.apps;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.ModelDescription;
import dev.jrnn.models.Seq2Seq;
import dev.jrnn.models.io.PyTorchStateDict;
import dev.jrnn.models.io.SafeTensors;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.train.Checkpoint;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.onnx.OnnxExport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn export}: a recurrent stack's state_dict (safetensors, PyTorch's names, as {@code jrnn
 * run} reads it) written as an ONNX model that ONNX Runtime and {@code jrnn run} run.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = {"Writes a PyTorch nn.LSTM / nn.GRU / nn.RNN state_dict (safetensors) as an ONNX model (opset 14): input x, outputs y, hn and (LSTM) cn; optional inputs lengths (int32 [N]) and h0, c0.",
                "Or a whole jrnn model from its checkpoint (no --cell: jrnn demo's, sentiment's, or Checkpoint.saveModel's): a LanguageModel, SequenceClassifier, SequenceTagger or SequenceRegressor; input tokens [T, N] (int64) or x [T, N, I].",
                "A Seq2Seq is written as two graphs, an encoder (tokens [S, N] or x [S, N, I], lengths [N] -> memory, hn, cn) and a decoder step (tokens [N], h0, c0, memory, lengths -> logits [N, V], hn, cn, attention [N, S]): --output DIR writes DIR/encoder.onnx and DIR/decoder.onnx, --output P(.onnx) writes P.encoder.onnx and P.decoder.onnx; their paths are printed."})
final class ExportCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--weights", required = true, paramLabel = "W.safetensors", description = "the module's state_dict, or a jrnn model's checkpoint")
    Path weights;

    @Option(names = "--cell", paramLabel = "CELL", description = "lstm, gru, rnn_tanh or rnn_relu (a state_dict; a model's checkpoint says it itself)")
    CellKind cell;

    @Option(names = "--prefix", paramLabel = "P", defaultValue = "", description = "key prefix of the module in the state_dict, e.g. encoder.rnn.")
    String prefix;

    @Option(names = "--batch-first", description = "x and y are [N, T, C] (nn.LSTM(batch_first=True))")
    boolean batchFirst;

    @Option(names = "--lengths", description = "add the input lengths [N] (int32): each sequence's length")
    boolean lengths;

    @Option(names = "--initial-states", description = "add the inputs h0 and (LSTM) c0 [L*D, N, H]; zeros without them")
    boolean initialStates;

    @Option(names = "--output", required = true, paramLabel = "M.onnx", description = "the ONNX model to write (a Seq2Seq: a folder or a prefix for its two graphs)")
    Path output;

    @Override
    public Integer call() throws IOException {
        if (cell == null) {
            if (!ModelDescription.describes(SafeTensors.metadata(weights))) {
                throw new IllegalArgumentException("--cell is needed for a state_dict (lstm, gru, rnn_tanh or rnn_relu); "
                        + weights + " is not a whole model's checkpoint");
            }
            if (!prefix.isEmpty() || batchFirst) {
                throw new IllegalArgumentException((batchFirst ? "--batch-first" : "--prefix") + " is for state_dicts; "
                        + weights + " is a whole model's checkpoint");
            }
            return exportModel();
        }
        PyTorchStateDict module = RunCommand.recurrent(weights, prefix, cell);
        try (Recurrent rnn = Recurrent.of(module).batchFirst(batchFirst)) {
            OnnxExport.write(rnn, output, inputs());
        }
        return 0;
    }

    private int exportModel() throws IOException {
        Module model = Checkpoint.loadModel(weights).model();
        try {
            if (model instanceof Seq2Seq s2s) {
                if (lengths || initialStates) {
                    throw new IllegalArgumentException("a Seq2Seq's graphs always take lengths and states; --lengths and "
                            + "--initial-states are for other models");
                }
                Path encoder = seq2SeqPath("encoder"), decoder = seq2SeqPath("decoder");
                OnnxExport.writeSeq2Seq(s2s, encoder, decoder);
                spec.commandLine().getOut().println("encoder: " + encoder);
                spec.commandLine().getOut().println("decoder step: " + decoder);
                return 0;
            }
            OnnxExport.write(model, output, inputs());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(weights + ": " + e.getMessage());
        } finally {
            Module.closeIfNeeded(model);
        }
        return 0;
    }

    /** Where a Seq2Seq's {@code part} graph goes: in the folder {@code --output}, or next to the prefix it names. */
    private Path seq2SeqPath(String part) {
        if (Files.isDirectory(output)) {
            return output.resolve(part + ".onnx");
        }
        String prefix = output.getFileName().toString().replaceFirst("\\.onnx$", "");
        return output.resolveSibling(prefix + "." + part + ".onnx");
    }

    private OnnxExport.Input[] inputs() {
        List<OnnxExport.Input> inputs = new ArrayList<>();
        if (lengths) {
            inputs.add(OnnxExport.Input.LENGTHS);
        }
        if (initialStates) {
            inputs.add(OnnxExport.Input.INITIAL_STATES);
        }
        return inputs.toArray(OnnxExport.Input[]::new);
    }
}
