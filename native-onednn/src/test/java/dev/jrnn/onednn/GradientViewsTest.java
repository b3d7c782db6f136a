package dev.jrnn.onednn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.testing.Tensors;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Weight gradients accumulate the same into strided views (rows of a wider buffer) as into plain tensors. */
class GradientViewsTest {

    @ParameterizedTest
    @EnumSource(CellKind.class)
    void stridedGradientTensorsReceiveTheSameSums(CellKind cell) {
        RnnDescriptor d = new RnnDescriptor(cell, 2, Direction.BIDIRECTIONAL, 5, 3, 4, 6);
        SplittableRandom random = new SplittableRandom(3);
        FloatTensor x = Tensors.uniform(d.srcLayerShape(), random), dy = Tensors.uniform(d.dstLayerShape(), random);
        RnnWeights plain = RnnWeights.zeros(d);
        Map<String, FloatTensor> views = new LinkedHashMap<>();
        plain.named().forEach((name, t) -> {
            int[] dims = t.shape().dims();
            FloatTensor wide = dims.length == 2 ? FloatTensor.zeros(dims[0], dims[1] + 5) : FloatTensor.zeros(2, dims[0]);
            views.put(name, dims.length == 2 ? wide.slice(1, 2, 2 + dims[1]) : wide.select(0, 1));
        });
        RnnWeights strided = RnnWeights.fromNamed(d, views);
        assertFalse(strided.get(RnnWeights.Param.WEIGHT_IH, 0, 0).isContiguous());
        try (PreparedRnn rnn = new OneDnnBackend().prepare(d, RnnWeights.uniform(d, 1)); Workspace ws = rnn.newWorkspace()) {
            for (RnnWeights into : new RnnWeights[] {plain, strided, strided}) { // twice: accumulation too
                rnn.forward(Mode.TRAINING, RnnForward.of(x, FloatTensor.zeros(d.dstLayerShape())), ws);
                rnn.backward(RnnBackward.of(dy, null, into), ws);
            }
            rnn.forward(Mode.TRAINING, RnnForward.of(x, FloatTensor.zeros(d.dstLayerShape())), ws);
            rnn.backward(RnnBackward.of(dy, null, plain), ws);
        }
        plain.named().forEach((name, t) -> assertArrayEquals(t.toArray(), strided.named().get(name).toArray(), name));
    }
}
