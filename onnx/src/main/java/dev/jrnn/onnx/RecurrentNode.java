package dev.jrnn.onnx;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.io.PyTorchStateDict;
import dev.jrnn.models.nn.Recurrent;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX {@code LSTM}, {@code GRU} or {@code RNN} node as a one-layer jrnn {@link Recurrent}, so
 * it runs on jrnn's backends (reference, simd, onednn, or auto's choice).
 *
 * <p>ONNX keeps one layer per node: inputs {@code X, W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H],
 * sequence_lens [N], initial_h, initial_c [D, N, H]} (LSTM also {@code P}, the peepholes) and
 * outputs {@code Y [T, D, N, H], Y_h, Y_c [D, N, H]}; {@code layout=1} puts the batch first in
 * all of them ({@code [N, T, I]}, {@code [N, T, D, H]}, {@code [N, D, H]}). Its gate order differs
 * from PyTorch's, which jrnn keeps: LSTM {@code i o f c} against {@code i f g o}, GRU
 * {@code z r h} against {@code r z n}; W, R and B are reordered once, here. {@code direction =
 * reverse} runs forward on each sequence reversed within its length, and reverses the outputs back.
 *
 * <p>Refused, with the node, operator and attribute named: other activations than the defaults
 * (and ReLU for RNN), {@code clip} and {@code activation_alpha/beta} (no jrnn backend honours
 * them), {@code input_forget=1}, LSTM peepholes, and {@code linear_before_reset=0} (the GRU form
 * of the original paper; jrnn's GRU is the linear-before-reset form of PyTorch, Keras'
 * {@code reset_after=True} and oneDNN's {@code lbr_gru}).
 */
final class RecurrentNode implements Operators.Step, AutoCloseable {

    static final List<String> NAMES = List.of("LSTM", "GRU", "RNN");

    /** PyTorch's gate k is ONNX's gate ORDER[k]. */
    private static final int[] LSTM_ORDER = {0, 2, 3, 1}, GRU_ORDER = {1, 0, 2}, RNN_ORDER = {0};

    private final String node;
    private final CellKind cell;
    private final boolean reverse;
    private final int layout, dirs, hidden, input;
    final Recurrent rnn;

    /**
     * Compiles the node: checks every attribute, and reads W, R, B (which must be constants:
     * initializers or Constant nodes) into a jrnn stack. {@code inputNames} are the node's inputs
     * ("" for an omitted optional one).
     */
    RecurrentNode(Attributes a, List<String> inputNames, Map<String, Value> constants) {
        node = a.node;
        String op = a.op;
        String direction = a.s("direction", "forward");
        dirs = switch (direction) {
            case "forward", "reverse" -> 1;
            case "bidirectional" -> 2;
            default -> throw a.unsupported("direction", "= '" + direction + "'; ONNX has forward, reverse and bidirectional");
        };
        reverse = direction.equals("reverse");
        layout = a.i("layout", 0, 0, 1);
        if (a.has("clip")) {
            throw a.unsupported("clip", "= " + a.f("clip") + "; no jrnn backend clips the gates' inputs");
        }
        if (a.has("activation_alpha") || a.has("activation_beta")) {
            throw a.unsupported(a.has("activation_alpha") ? "activation_alpha" : "activation_beta",
                    "is for parametric activations, which jrnn does not run");
        }
        List<String> activations = a.strings("activations");
        cell = switch (op) {
            case "LSTM" -> {
                activations(a, activations, List.of("Sigmoid", "Tanh", "Tanh"));
                a.i("input_forget", 0, 0, 0);
                yield CellKind.LSTM;
            }
            case "GRU" -> {
                activations(a, activations, List.of("Sigmoid", "Tanh"));
                long lbr = a.i("linear_before_reset", 0);
                if (lbr != 1) {
                    throw a.unsupported("linear_before_reset", "= " + lbr + (a.has("linear_before_reset") ? "" : " (the default)")
                            + ": the GRU that applies the reset gate before the recurrent product; jrnn's backends compute "
                            + "the linear-before-reset GRU only (linear_before_reset=1: PyTorch's, Keras' reset_after=True)");
                }
                yield CellKind.GRU;
            }
            default -> activations != null && activations.stream().allMatch(s -> s.equalsIgnoreCase("Relu"))
                    && activations.size() == dirs ? CellKind.RNN_RELU : activations(a, activations, List.of("Tanh"));
        };
        int[] order = switch (cell) {
            case LSTM -> LSTM_ORDER;
            case GRU -> GRU_ORDER;
            default -> RNN_ORDER;
        };
        int gates = order.length;
        Value w = constant(a, inputNames, 1, "W", constants), r = constant(a, inputNames, 2, "R", constants);
        Value b = inputNames.size() > 3 && !inputNames.get(3).isEmpty() ? constant(a, inputNames, 3, "B", constants) : null;
        if (w == null || r == null) {
            throw a.unsupported(w == null ? "W" : "R", "the input is required");
        }
        if (w.rank() != 3 || w.shape[0] != dirs || w.shape[1] % gates != 0 || w.type != Value.Type.FLOAT) {
            throw a.unsupported("W", "is " + w + "; expected float [" + dirs + ", " + gates + "*H, input] for direction " + direction);
        }
        hidden = w.shape[1] / gates;
        input = w.shape[2];
        long declared = a.i("hidden_size", hidden);
        if (declared != hidden) {
            throw a.unsupported("hidden_size", "= " + declared + " but W " + w + " has " + hidden + " units per gate");
        }
        if (!Arrays.equals(r.shape, new int[] {dirs, gates * hidden, hidden}) || r.type != Value.Type.FLOAT) {
            throw a.unsupported("R", "is " + r + "; expected float [" + dirs + ", " + gates * hidden + ", " + hidden + "]");
        }
        if (b != null && (!Arrays.equals(b.shape, new int[] {dirs, 2 * gates * hidden}) || b.type != Value.Type.FLOAT)) {
            throw a.unsupported("B", "is " + b + "; expected float [" + dirs + ", " + 2 * gates * hidden + "]");
        }
        if (cell == CellKind.LSTM && inputNames.size() > 7 && !inputNames.get(7).isEmpty()) {
            Value p = constant(a, inputNames, 7, "P", constants);
            for (int i = 0; i < p.size(); i++) {
                if (p.get(i) != 0) {
                    throw a.unsupported("P", "peephole weights; no jrnn backend runs an LSTM with peepholes");
                }
            }
        }
        a.checkAllRead();
        Map<String, FloatTensor> stateDict = new LinkedHashMap<>();
        for (int d = 0; d < dirs; d++) {
            String suffix = "_l0" + (d == 1 ? "_reverse" : "");
            int gh = gates * hidden;
            stateDict.put("weight_ih" + suffix, reorder(w.floats, d * gh * input, order, hidden, input));
            stateDict.put("weight_hh" + suffix, reorder(r.floats, d * gh * hidden, order, hidden, hidden));
            if (b != null) {
                stateDict.put("bias_ih" + suffix, reorder(b.floats, d * 2 * gh, order, hidden, 1).reshape(gh));
                stateDict.put("bias_hh" + suffix, reorder(b.floats, d * 2 * gh + gh, order, hidden, 1).reshape(gh));
            }
        }
        rnn = Recurrent.of(PyTorchStateDict.recurrent(stateDict, "", cell));
    }

    private static CellKind activations(Attributes a, List<String> given, List<String> defaults) {
        if (given == null) {
            return CellKind.RNN_TANH;
        }
        for (int k = 0; k < given.size(); k++) {
            if (given.size() % defaults.size() != 0 || !given.get(k).equalsIgnoreCase(defaults.get(k % defaults.size()))) {
                throw a.unsupported("activations", "= " + given + "; jrnn runs " + a.op + " with " + defaults
                        + " per direction" + (a.op.equals("RNN") ? " or [Relu] per direction" : ""));
            }
        }
        return CellKind.RNN_TANH;
    }

    private static Value constant(Attributes a, List<String> names, int k, String what, Map<String, Value> constants) {
        if (names.size() <= k || names.get(k).isEmpty()) {
            return null;
        }
        Value v = constants.get(names.get(k));
        if (v == null) {
            throw a.unsupported(what, "is '" + names.get(k) + "', computed by the graph; jrnn needs the weights as "
                    + "initializers or Constant nodes");
        }
        return v;
    }

    /** {@code [G*H, cols]} from ONNX's gate order at {@code offset} of {@code data}, in PyTorch's. */
    private static FloatTensor reorder(float[] data, int offset, int[] order, int hidden, int cols) {
        float[] out = new float[order.length * hidden * cols];
        int block = hidden * cols;
        for (int g = 0; g < order.length; g++) {
            System.arraycopy(data, offset + order[g] * block, out, g * block, block);
        }
        return FloatTensor.of(out, order.length * hidden, cols);
    }

    @Override
    public Value[] run(Value[] in) {
        Value x = in[0];
        if (x.type != Value.Type.FLOAT || x.rank() != 3) {
            throw new IllegalArgumentException("X is " + x + "; expected float " + (layout == 0 ? "[T, N, " : "[N, T, ") + input + "]");
        }
        if (layout == 1) {
            x = Operators.transpose(x, new int[] {1, 0, 2});
        }
        int steps = x.shape[0], batch = x.shape[1];
        if (x.shape[2] != input) {
            throw new IllegalArgumentException("X has " + x.shape[2] + " features; the weights take " + input);
        }
        int[] lengths = null;
        if (in.length > 4 && in[4] != null) {
            long[] given = in[4].integers("sequence_lens");
            if (in[4].rank() != 1 || given.length != batch) {
                throw new IllegalArgumentException("sequence_lens is " + in[4] + "; expected [" + batch + "]");
            }
            lengths = new int[batch];
            for (int n = 0; n < batch; n++) {
                if (given[n] < 1 || given[n] > steps) {
                    throw new IllegalArgumentException("sequence_lens[" + n + "] = " + given[n] + " is not in [1, " + steps + "]");
                }
                lengths[n] = (int) given[n];
            }
        }
        FloatTensor h0 = state(in, 5, "initial_h", batch), c0 = cell == CellKind.LSTM ? state(in, 6, "initial_c", batch) : null;
        if (reverse) {
            x = flip(x, lengths);
        }
        Recurrent.Output o = rnn.infer(x.toFloatTensor("X"), lengths, h0, c0);
        Value y = Value.of(o.y());
        if (reverse) {
            y = flip(y, lengths);
        }
        y = y.withShape(new int[] {steps, batch, dirs, hidden});
        Value hn = Value.of(o.hn()), cn = o.cn() == null ? null : Value.of(o.cn());
        if (layout == 0) {
            return new Value[] {Operators.transpose(y, new int[] {0, 2, 1, 3}), hn, cn};
        }
        int[] swap = {1, 0, 2};
        return new Value[] {Operators.transpose(y, new int[] {1, 0, 2, 3}), Operators.transpose(hn, swap),
                cn == null ? null : Operators.transpose(cn, swap)};
    }

    /** initial_h or initial_c as jrnn's {@code [D, N, H]}, or null (zeros). */
    private FloatTensor state(Value[] in, int k, String what, int batch) {
        if (in.length <= k || in[k] == null) {
            return null;
        }
        Value v = layout == 1 && in[k].rank() == 3 ? Operators.transpose(in[k], new int[] {1, 0, 2}) : in[k];
        if (v.type != Value.Type.FLOAT || !Arrays.equals(v.shape, new int[] {dirs, batch, hidden})) {
            throw new IllegalArgumentException(what + " is " + in[k] + "; expected float "
                    + (layout == 0 ? "[" + dirs + ", " + batch : "[" + batch + ", " + dirs) + ", " + hidden + "]");
        }
        return v.toFloatTensor(what);
    }

    /** {@code [T, N, C]} with each sequence's first {@code lengths[n]} steps reversed (all T without lengths). */
    private static Value flip(Value v, int[] lengths) {
        int steps = v.shape[0], batch = v.shape[1], c = v.shape[2];
        float[] out = v.floats.clone();
        for (int n = 0; n < batch; n++) {
            int len = lengths == null ? steps : lengths[n];
            for (int t = 0; t < len; t++) {
                System.arraycopy(v.floats, ((len - 1 - t) * batch + n) * c, out, (t * batch + n) * c, c);
            }
        }
        return Value.floats(v.shape, out);
    }

    @Override
    public void close() {
        rnn.close();
    }

    @Override
    public String toString() {
        return node;
    }
}
