package dev.jrnn.apps;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.io.PyTorchStateDict;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.onnx.OnnxExport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code jrnn export}: a recurrent stack's state_dict (safetensors, PyTorch's names, as {@code jrnn
 * run} reads it) written as an ONNX model that ONNX Runtime and {@code jrnn run} run.
 */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Writes a PyTorch nn.LSTM / nn.GRU / nn.RNN state_dict (safetensors) as an ONNX model (opset 14): input x, outputs y, hn and (LSTM) cn; optional inputs lengths (int32 [N]) and h0, c0.")
final class ExportCommand implements Callable<Integer> {

    @Option(names = "--weights", required = true, paramLabel = "W.safetensors", description = "the module's state_dict")
    Path weights;

    @Option(names = "--cell", required = true, paramLabel = "CELL", description = "lstm, gru, rnn_tanh or rnn_relu")
    CellKind cell;

    @Option(names = "--prefix", paramLabel = "P", defaultValue = "", description = "key prefix of the module in the state_dict, e.g. encoder.rnn.")
    String prefix;

    @Option(names = "--batch-first", description = "x and y are [N, T, C] (nn.LSTM(batch_first=True))")
    boolean batchFirst;

    @Option(names = "--lengths", description = "add the input lengths [N] (int32): each sequence's length")
    boolean lengths;

    @Option(names = "--initial-states", description = "add the inputs h0 and (LSTM) c0 [L*D, N, H]; zeros without them")
    boolean initialStates;

    @Option(names = "--output", required = true, paramLabel = "M.onnx", description = "the ONNX model to write")
    Path output;

    @Override
    public Integer call() throws IOException {
        PyTorchStateDict module = RunCommand.recurrent(weights, prefix, cell);
        List<OnnxExport.Input> inputs = new ArrayList<>();
        if (lengths) {
            inputs.add(OnnxExport.Input.LENGTHS);
        }
        if (initialStates) {
            inputs.add(OnnxExport.Input.INITIAL_STATES);
        }
        try (Recurrent rnn = Recurrent.of(module).batchFirst(batchFirst)) {
            OnnxExport.write(rnn, output, inputs.toArray(OnnxExport.Input[]::new));
        }
        return 0;
    }
}
