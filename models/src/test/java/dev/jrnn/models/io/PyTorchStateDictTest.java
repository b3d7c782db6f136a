package dev.jrnn.models.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.tensor.FloatTensor;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The architecture read off a state_dict's names and shapes, and what is refused, with the reason. */
class PyTorchStateDictTest {

    private static Map<String, FloatTensor> stateDict(RnnDescriptor d, String prefix) {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        out.put("embedding.weight", FloatTensor.zeros(10, d.inputSize()));
        RnnWeights.uniform(d, 1).named().forEach((k, v) -> out.put(prefix + k, v));
        out.put("head.weight", FloatTensor.zeros(2, d.hiddenSize()));
        return out;
    }

    @Test
    void infersCellLayersDirectionsAndSizesUnderAPrefix() {
        for (CellKind cell : CellKind.values()) {
            RnnDescriptor d = new RnnDescriptor(cell, 3, Direction.BIDIRECTIONAL, 1, 1, 5, 7);
            boolean elman = cell == CellKind.RNN_TANH || cell == CellKind.RNN_RELU;
            PyTorchStateDict loaded = PyTorchStateDict.recurrent(stateDict(d, "encoder.rnn."), "encoder.rnn.", elman ? cell : null);
            assertEquals(d, loaded.architecture());
            assertEquals(stateDict(d, "").get("weight_hh_l2_reverse").get(3, 4),
                    loaded.weights().get(RnnWeights.Param.WEIGHT_HH, 2, 1).get(3, 4));
        }
    }

    @Test
    void aModuleWithoutBiasesGetsZeros() {
        RnnDescriptor d = new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 1, 1, 3, 4);
        Map<String, FloatTensor> noBias = new LinkedHashMap<>(stateDict(d, ""));
        noBias.keySet().removeIf(k -> k.startsWith("bias_"));
        PyTorchStateDict loaded = PyTorchStateDict.recurrent(noBias, "", null);
        assertEquals(0f, loaded.weights().get(RnnWeights.Param.BIAS_HH, 0, 0).get(5));
    }

    @Test
    void ambiguousMissingOrMisshapenWeightsAreRefusedWithTheReason() {
        RnnDescriptor rnn = new RnnDescriptor(CellKind.RNN_TANH, 1, Direction.UNIDIRECTIONAL, 1, 1, 3, 4);
        assertTrue(refused(stateDict(rnn, ""), "", null).contains("tanh or relu"));
        assertTrue(refused(stateDict(rnn, ""), "", CellKind.LSTM).contains("not a LSTM's"));
        assertTrue(refused(stateDict(rnn, "rnn."), "lstm.", null)
                .contains("no recurrent weights under prefix 'lstm.': expected lstm.weight_ih_l0"));
        Map<String, FloatTensor> bad = new LinkedHashMap<>(stateDict(rnn, ""));
        bad.put("weight_hh_l0", FloatTensor.zeros(5, 4));
        assertTrue(refused(bad, "", CellKind.RNN_TANH).contains("are not [G*H, I] and [G*H, H]"));
        RnnDescriptor lstm = new RnnDescriptor(CellKind.LSTM, 2, Direction.UNIDIRECTIONAL, 1, 1, 3, 4);
        Map<String, FloatTensor> missing = new LinkedHashMap<>(stateDict(lstm, ""));
        missing.remove("bias_hh_l1");
        assertTrue(refused(missing, "", null).contains("bias_hh_l1"));
    }

    private static String refused(Map<String, FloatTensor> dict, String prefix, CellKind cell) {
        return assertThrows(IllegalArgumentException.class, () -> PyTorchStateDict.recurrent(dict, prefix, cell)).getMessage();
    }
}
