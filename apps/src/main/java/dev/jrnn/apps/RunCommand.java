package dev.jrnn.apps;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import dev.jrnn.models.io.Npy;
import dev.jrnn.models.io.PyTorchStateDict;
import dev.jrnn.models.io.SafeTensors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code jrnn run}: a PyTorch recurrent stack from its state_dict (safetensors) on an input from
 * a {@code .npy} file, with outputs written as PyTorch returns them, and optionally the
 * vector-Jacobian product: the gradients of {@code sum(output * dy)}.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Runs a PyTorch nn.LSTM / nn.GRU / nn.RNN state_dict on an input and writes what PyTorch returns. With --dy, also writes the gradients of sum(output * dy) w.r.t. the input (--dx) and every parameter (--grads).")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--weights", required = true, paramLabel = "W.safetensors", description = "the module's state_dict")
    Path weights;

    @Option(names = "--cell", required = true, paramLabel = "CELL", description = "lstm, gru, rnn_tanh or rnn_relu")
    CellKind cell;

    @Option(names = "--prefix", paramLabel = "P", defaultValue = "", description = "key prefix of the module in the state_dict, e.g. encoder.rnn.")
    String prefix;

    @Option(names = "--batch-first", description = "input, output, dy and dx are [N, T, C] (nn.LSTM(batch_first=True))")
    boolean batchFirst;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "input [T, N, I] (float32)")
    Path input;

    @Option(names = "--h0", paramLabel = "H0.npy", description = "initial hidden state [L*D, N, H]; zeros when absent")
    Path h0;

    @Option(names = "--c0", paramLabel = "C0.npy", description = "initial cell state [L*D, N, H] (LSTM); zeros when absent")
    Path c0;

    @Option(names = "--output", required = true, paramLabel = "Y.npy", description = "output sequence [T, N, D*H]")
    Path output;

    @Option(names = "--hn", paramLabel = "HN.npy", description = "final hidden states [L*D, N, H]")
    Path hn;

    @Option(names = "--cn", paramLabel = "CN.npy", description = "final cell states [L*D, N, H] (LSTM)")
    Path cn;

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
        if (dy == null && (dx != null || grads != null)) {
            throw new IllegalArgumentException("--dx and --grads need --dy, the gradient of the loss w.r.t. the output");
        }
        if (dy != null && dx == null && grads == null) {
            throw new IllegalArgumentException("--dy needs --dx or --grads: where to write the gradients");
        }
        Map<String, FloatTensor> stateDict = SafeTensors.read(weights, name -> name.startsWith(prefix));
        PyTorchStateDict module;
        try {
            module = PyTorchStateDict.recurrent(stateDict, prefix, cell);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(weights + ": " + e.getMessage());
        }
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
        try (PreparedRnn rnn = Backends.selector().prepare(backend.name(), d, module.weights()); Workspace ws = rnn.newWorkspace()) {
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
}
