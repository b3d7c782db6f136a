package dev.jrnn.models.io;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A PyTorch {@code nn.LSTM}, {@code nn.GRU} or {@code nn.RNN} state_dict, as jrnn weights. The
 * architecture is read off the names and shapes: layers from {@code _l{k}}, directions from
 * {@code _reverse}, input and hidden sizes and the gate count from {@code weight_ih_l0} and
 * {@code weight_hh_l0} ({@code [G*H, I]}, {@code [G*H, H]}): 4 gates is an LSTM, 3 a GRU, 1 an
 * Elman RNN, whose tanh or ReLU only the caller can say. Keys may sit under a prefix (a whole
 * model's state_dict, {@code encoder.rnn.}); keys outside it, and keys of submodules below it
 * (with a dot after the prefix), are ignored; every other key must be one of the stack's. A module built with
 * {@code bias=False} has no bias keys: its biases are zeros.
 *
 * @param architecture the stack, with {@code T = N = 1}: use {@code withSteps} and {@code withBatch}
 * @param weights      the tensors, checked against the architecture
 */
public record PyTorchStateDict(RnnDescriptor architecture, RnnWeights weights) {

    private static final Pattern NAME = Pattern.compile("(weight|bias)_(ih|hh)_l(\\d+)(_reverse)?");

    /**
     * Reads the recurrent stack under {@code prefix} ("" for none). {@code cell} may be null when
     * the shapes decide it (LSTM, GRU); an Elman RNN needs {@link CellKind#RNN_TANH} or
     * {@link CellKind#RNN_RELU}. Throws {@link IllegalArgumentException} saying what is missing,
     * unexpected, misshapen or ambiguous.
     */
    public static PyTorchStateDict recurrent(Map<String, FloatTensor> stateDict, String prefix, CellKind cell) {
        String p = prefix == null ? "" : prefix;
        Map<String, FloatTensor> named = new LinkedHashMap<>();
        int layers = 0;
        boolean reverse = false;
        for (Map.Entry<String, FloatTensor> e : stateDict.entrySet()) {
            String name = e.getKey().startsWith(p) ? e.getKey().substring(p.length()) : null;
            if (name == null || name.contains(".")) {
                continue; // outside the prefix, or a submodule's ("head.weight")
            }
            named.put(name, e.getValue());
            Matcher m = NAME.matcher(name);
            if (m.matches()) {
                layers = Math.max(layers, Integer.parseInt(m.group(3)) + 1);
                reverse |= m.group(4) != null;
            }
        }
        FloatTensor wih = named.get("weight_ih_l0"), whh = named.get("weight_hh_l0");
        if (wih == null || whh == null) {
            throw new IllegalArgumentException("no recurrent weights under prefix '" + p + "': expected " + p
                    + "weight_ih_l0 and " + p + "weight_hh_l0; the keys are " + summary(stateDict));
        }
        if (wih.rank() != 2 || whh.rank() != 2 || whh.dim(1) == 0 || whh.dim(0) % whh.dim(1) != 0
                || wih.dim(0) != whh.dim(0)) {
            throw new IllegalArgumentException(p + "weight_ih_l0 " + wih.shape() + " and " + p + "weight_hh_l0 "
                    + whh.shape() + " are not [G*H, I] and [G*H, H]");
        }
        int hidden = whh.dim(1), gates = whh.dim(0) / hidden;
        CellKind inferred = switch (gates) {
            case 4 -> CellKind.LSTM;
            case 3 -> CellKind.GRU;
            case 1 -> cell == CellKind.RNN_RELU ? CellKind.RNN_RELU : CellKind.RNN_TANH;
            default -> throw new IllegalArgumentException(p + "weight_hh_l0 " + whh.shape() + " has " + gates
                    + " gates of " + hidden + " units: not an LSTM (4), GRU (3) or RNN (1)");
        };
        if (cell == null && gates == 1) {
            throw new IllegalArgumentException("the weights are an Elman RNN's: say whether its nonlinearity is "
                    + "tanh or relu (the state_dict does not record it)");
        }
        if (cell != null && cell != inferred) {
            throw new IllegalArgumentException("the weights are a " + inferred + "'s (" + gates + " gates of "
                    + hidden + " units), not a " + cell + "'s");
        }
        RnnDescriptor architecture = new RnnDescriptor(inferred, layers,
                reverse ? Direction.BIDIRECTIONAL : Direction.UNIDIRECTIONAL, 1, 1, wih.dim(1), hidden);
        addZeroBiasesIfNone(architecture, named);
        return new PyTorchStateDict(architecture, RnnWeights.fromNamed(architecture, named));
    }

    private static void addZeroBiasesIfNone(RnnDescriptor d, Map<String, FloatTensor> named) {
        if (named.keySet().stream().anyMatch(k -> k.startsWith("bias_"))) {
            return;
        }
        for (int layer = 0; layer < d.layers(); layer++) {
            for (int dir = 0; dir < d.directions(); dir++) {
                for (RnnWeights.Param param : new RnnWeights.Param[] {RnnWeights.Param.BIAS_IH, RnnWeights.Param.BIAS_HH}) {
                    named.put(RnnWeights.name(param, layer, dir), FloatTensor.zeros(RnnWeights.shape(d, param, layer)));
                }
            }
        }
    }

    private static String summary(Map<String, FloatTensor> stateDict) {
        TreeSet<String> keys = new TreeSet<>(stateDict.keySet());
        String shown = String.join(", ", keys.stream().limit(8).toList());
        return keys.isEmpty() ? "none" : shown + (keys.size() > 8 ? " and " + (keys.size() - 8) + " more" : "");
    }
}
