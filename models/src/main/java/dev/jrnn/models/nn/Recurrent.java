package dev.jrnn.models.nn;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.BackendSelector;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.io.PyTorchStateDict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * PyTorch's {@code nn.RNN} / {@code nn.LSTM} / {@code nn.GRU} (time-first: {@code [T, N, C]};
 * pass {@code x.permute(1, 0, 2)} for batch-first data), run by a backend over whole sequences.
 *
 * <p><b>Variable lengths.</b> With {@code lengths}, sequence {@code n} is its first
 * {@code lengths[n]} steps: outputs past its end are zero and its final states are those after its
 * last step, in both directions: exactly what running it alone gives (PyTorch's packed sequences).
 * The whole batch is one backend call ({@link RnnForward#lengths()}).
 *
 * <p><b>Backends.</b> The first forward picks one ({@link #backend}, else {@code -Djrnn.backend},
 * else {@code auto}) and keeps it for every shape. One stack is prepared for it, with one
 * workspace, and serves every length and batch size; when an optimizer changes the parameters
 * ({@link Parameter#version()}), the new values are packed into the same stack
 * ({@link PreparedRnn#update}). Close the layer to release them.
 */
public final class Recurrent extends Module implements AutoCloseable {

    /** Outputs of a forward: {@code y [T, N, D*H]}, {@code hn} and ({@code LSTM}) {@code cn} {@code [L*D, N, H]}. */
    public record Output(FloatTensor y, FloatTensor hn, FloatTensor cn) {
    }

    private record Prepared(PreparedRnn rnn, Workspace workspace) {
    }

    private final RnnDescriptor architecture;
    private final List<Parameter> parameters = new ArrayList<>();
    private final RnnWeights weights, grads;
    /** The one stack (and workspace) of the backend in use, or null before the first forward. */
    private Prepared prepared;
    private String backend;
    /** With dropout between layers: one single-layer stack per layer, sharing this stack's parameters. */
    private Recurrent[] perLayer;
    private Dropout[] between;
    private boolean batchFirst;
    private long preparedVersion = -1;
    /** Whether the workspace holds a training forward that backward may use. */
    private boolean forwardHeld;
    /** The output of the last forward and the input gradient of the last backward: reused buffers. */
    private final Scratch output = new Scratch(), inputGrad = new Scratch();

    /** A stack initialized as PyTorch does: every parameter from {@code U(-1/sqrt(H), 1/sqrt(H))}. */
    public Recurrent(CellKind cell, int inputSize, int hiddenSize, int layers, Direction direction, long seed) {
        this(new RnnDescriptor(cell, layers, direction, 1, 1, inputSize, hiddenSize), null, seed);
    }

    /** PyTorch's trained weights, e.g. from {@link PyTorchStateDict#recurrent}. */
    public static Recurrent of(PyTorchStateDict module) {
        return new Recurrent(module.architecture(), module.weights(), 0);
    }

    private Recurrent(RnnDescriptor architecture, RnnWeights initial, long seed) {
        this.architecture = architecture.withSteps(1).withBatch(1);
        Map<String, FloatTensor> values = new LinkedHashMap<>(), gradients = new LinkedHashMap<>();
        SplittableRandom random = new SplittableRandom(seed);
        double bound = 1 / Math.sqrt(architecture.hiddenSize());
        RnnWeights.zeros(this.architecture).named().forEach((name, shape) -> {
            Parameter p = new Parameter(name, shape.shape().dims());
            if (initial != null) {
                p.value().copyFrom(initial.named().get(name));
            } else {
                float[] v = p.values();
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) random.nextDouble(-bound, bound);
                }
            }
            parameters.add(register(name, p));
            values.put(name, p.value());
            gradients.put(name, p.grad());
        });
        weights = RnnWeights.fromNamed(this.architecture, values);
        grads = RnnWeights.fromNamed(this.architecture, gradients);
    }

    /** The layers of {@code stack} one by one, over its parameters: layer {@code l}'s tensors renamed to layer 0's. */
    private Recurrent(Recurrent stack, int layer) {
        this.architecture = new RnnDescriptor(stack.architecture.cell(), 1, stack.architecture.direction(), 1, 1,
                stack.architecture.layerInputSize(layer), stack.architecture.hiddenSize());
        Map<String, FloatTensor> values = new LinkedHashMap<>(), gradients = new LinkedHashMap<>();
        for (int dir = 0; dir < architecture.directions(); dir++) {
            for (RnnWeights.Param param : RnnWeights.Param.values()) {
                String mine = RnnWeights.name(param, 0, dir), theirs = RnnWeights.name(param, layer, dir);
                Parameter p = stack.parameters.stream().filter(q -> q.name().equals(theirs)).findFirst().orElseThrow();
                parameters.add(register(theirs, p)); // a view: not a child, so the stack's names stay the only ones
                values.put(mine, p.value());
                gradients.put(mine, p.grad());
            }
        }
        weights = RnnWeights.fromNamed(architecture, values);
        grads = RnnWeights.fromNamed(architecture, gradients);
        backend = stack.backend;
    }

    /**
     * Dropout with probability {@code p} on the outputs of every layer but the last, in training
     * (PyTorch's {@code dropout} argument). The layers then run one backend call each.
     */
    public Recurrent dropout(double p, long seed) {
        closePrepared();
        for (int l = 0; between != null && l < between.length; l++) {
            replace(dropoutName(l), null);
        }
        if (p == 0 || architecture.layers() == 1) {
            perLayer = null;
            between = null;
            return this;
        }
        perLayer = new Recurrent[architecture.layers()];
        between = new Dropout[architecture.layers() - 1];
        for (int l = 0; l < perLayer.length; l++) {
            perLayer[l] = new Recurrent(this, l);
            if (l > 0) { // children, so that train()/eval() reach them and checkpoints save their generators
                between[l - 1] = register(dropoutName(l - 1), new Dropout(p, seed + l));
                between[l - 1].train(isTraining());
            }
        }
        return this;
    }

    /** Sequences as {@code [N, T, C]} in and out ({@code batch_first=True}); time-first otherwise. */
    public Recurrent batchFirst(boolean value) {
        batchFirst = value;
        return this;
    }

    /** The dropout after layer {@code l}. */
    private static String dropoutName(int l) {
        return "dropout_l" + l;
    }

    /** {@link #train(boolean)}: training mode (the default: dropout active) or evaluation mode (dropout off). */
    public Recurrent training(boolean value) {
        train(value);
        return this;
    }

    /** Uses {@code name} ({@code auto} or a backend's name) from the next forward on. */
    public Recurrent backend(String name) {
        closePrepared();
        backend = name;
        if (perLayer != null) {
            for (Recurrent layer : perLayer) {
                layer.backend(name);
            }
        }
        return this;
    }

    public RnnDescriptor architecture() {
        return architecture;
    }

    /** The parameters as PyTorch's state_dict would name them (live views). */
    public RnnWeights weights() {
        return weights;
    }

    /**
     * Runs {@code x [T, N, I]} from {@code h0}, {@code c0} (null: zeros); all sequences {@code T} long.
     * The output {@code y} is this layer's buffer, valid until its next forward (copy it to keep it):
     * a training step then allocates no output; {@code hn} and {@code cn} are new tensors.
     */
    public Output forward(FloatTensor x, FloatTensor h0, FloatTensor c0) {
        return forward(x, null, h0, c0);
    }

    /**
     * Runs {@code x [T, N, I]} ({@code [N, T, I]} if {@link #batchFirst}); sequence {@code n} is
     * {@code lengths[n]} steps long (null: all {@code T}). {@code y} is this layer's buffer, as above.
     */
    public Output forward(FloatTensor x, int[] lengths, FloatTensor h0, FloatTensor c0) {
        if (batchFirst) {
            Output o = forwardTimeFirst(x.permute(1, 0, 2), lengths, h0, c0);
            return new Output(o.y().permute(1, 0, 2), o.hn(), o.cn());
        }
        return forwardTimeFirst(x, lengths, h0, c0);
    }

    private Output forwardTimeFirst(FloatTensor x, int[] lengths, FloatTensor h0, FloatTensor c0) {
        if (perLayer != null) {
            return forwardLayerByLayer(x, lengths, h0, c0);
        }
        if (x.rank() != 3 || x.dim(2) != architecture.inputSize()) {
            throw new IllegalArgumentException("Recurrent takes [T, N, " + architecture.inputSize() + "], got " + x.shape());
        }
        int steps = x.dim(0), batch = x.dim(1);
        RnnDescriptor full = architecture.withSteps(steps).withBatch(batch);
        boolean lstm = architecture.cell() == CellKind.LSTM;
        int outs = full.dstLayerShape().dim(2);
        FloatTensor y = output.view(steps, batch, outs), hn = FloatTensor.zeros(full.iterShape()); // y: every element written
        FloatTensor cn = lstm ? FloatTensor.zeros(full.iterShape()) : null;
        Prepared p = prepared(full);
        forwardHeld = false;
        p.rnn().forward(Mode.TRAINING, new RnnForward(x, h0, c0, y, hn, cn, lengths), p.workspace());
        forwardHeld = true;
        return new Output(y, hn, cn);
    }

    /**
     * Backpropagation through time for the last forward: {@code dy [T, N, D*H]} (positions past a
     * sequence's end are ignored), {@code dhn}, {@code dcn} (null: zeros). Accumulates the
     * parameter gradients; returns the input's {@code [T, N, I]} (zero past each end), this layer's
     * buffer, valid until its next backward. Pass {@code dh0} and {@code dc0} (or null) to receive
     * the initial states' gradients.
     */
    public FloatTensor backward(FloatTensor dy, FloatTensor dhn, FloatTensor dcn, FloatTensor dh0, FloatTensor dc0) {
        if (batchFirst) {
            return backwardTimeFirst(dy.permute(1, 0, 2), dhn, dcn, dh0, dc0).permute(1, 0, 2);
        }
        return backwardTimeFirst(dy, dhn, dcn, dh0, dc0);
    }

    private Output forwardLayerByLayer(FloatTensor x, int[] lengths, FloatTensor h0, FloatTensor c0) {
        int dirs = architecture.directions();
        RnnDescriptor full = architecture.withSteps(x.dim(0)).withBatch(x.dim(1));
        FloatTensor hn = FloatTensor.zeros(full.iterShape());
        FloatTensor cn = architecture.cell() == CellKind.LSTM ? FloatTensor.zeros(full.iterShape()) : null;
        FloatTensor input = x;
        Output out = null;
        for (int l = 0; l < perLayer.length; l++) {
            out = perLayer[l].forwardTimeFirst(input, lengths, rows(h0, l), rows(c0, l));
            hn.slice(0, l * dirs, (l + 1) * dirs).copyFrom(out.hn());
            if (cn != null) {
                cn.slice(0, l * dirs, (l + 1) * dirs).copyFrom(out.cn());
            }
            input = l + 1 < perLayer.length ? between[l].forward(out.y()) : out.y();
        }
        return new Output(out.y(), hn, cn);
    }

    /** Layer {@code l}'s rows of a state {@code [L*D, N, H]}, or null. */
    private FloatTensor rows(FloatTensor states, int l) {
        int dirs = architecture.directions();
        return states == null ? null : states.slice(0, l * dirs, (l + 1) * dirs);
    }

    private FloatTensor backwardTimeFirst(FloatTensor dy, FloatTensor dhn, FloatTensor dcn, FloatTensor dh0, FloatTensor dc0) {
        if (perLayer != null) {
            FloatTensor grad = dy;
            for (int l = perLayer.length - 1; l >= 0; l--) {
                FloatTensor dx = perLayer[l].backwardTimeFirst(grad, rows(dhn, l), rows(dcn, l), rows(dh0, l), rows(dc0, l));
                grad = l > 0 ? between[l - 1].backward(dx) : dx;
            }
            return grad;
        }
        if (!forwardHeld) {
            throw new IllegalStateException("backward needs a forward first");
        }
        Workspace ws = prepared.workspace();
        FloatTensor dx = inputGrad.view(ws.steps(), ws.batch(), architecture.inputSize()); // overwritten by the backend
        boolean lstm = architecture.cell() == CellKind.LSTM;
        prepared.rnn().backward(new RnnBackward(dy, dhn, lstm ? dcn : null, dx, dh0, lstm ? dc0 : null, grads), ws);
        return dx;
    }

    /**
     * The states {@code [L*D, N, H]} of the sequences {@code rows} (in that order, repeats allowed),
     * e.g. to carry the surviving beams of a beam search; {@code states} itself when {@code rows}
     * is every sequence in order.
     */
    public static FloatTensor batchRows(FloatTensor states, int[] rows) {
        boolean identity = rows.length == states.dim(1);
        for (int k = 0; identity && k < rows.length; k++) {
            identity = rows[k] == k;
        }
        if (identity) {
            return states;
        }
        FloatTensor out = FloatTensor.zeros(states.dim(0), rows.length, states.dim(2));
        for (int l = 0; l < states.dim(0); l++) {
            for (int k = 0; k < rows.length; k++) {
                out.select(0, l).select(0, k).copyFrom(states.select(0, l).select(0, rows[k]));
            }
        }
        return out;
    }

    /** The stack for this layer's backend, prepared at the first forward; new parameter values packed into it. */
    private Prepared prepared(RnnDescriptor first) {
        long version = 0;
        for (Parameter p : parameters) {
            version += p.version();
        }
        if (prepared == null) {
            BackendSelector selector = Backends.selector();
            if (backend == null) { // as Backends.prepare: -Djrnn.backend, else auto
                backend = System.getProperty(BackendSelector.BACKEND_PROPERTY, BackendSelector.AUTO);
            }
            if (backend.equals(BackendSelector.AUTO)) {
                backend = selector.decide(first, weights).backend();
            }
            PreparedRnn rnn = selector.prepare(backend, first, weights);
            prepared = new Prepared(rnn, rnn.newWorkspace());
        } else if (version != preparedVersion) {
            prepared.rnn().update(weights);
        }
        preparedVersion = version;
        return prepared;
    }

    private void closePrepared() {
        if (prepared != null) {
            prepared.workspace().close();
            prepared.rnn().close();
            prepared = null;
        }
        forwardHeld = false;
    }

    /** Prepared stacks this layer holds (one, or one per layer when they run separately): bounded whatever lengths arrive. */
    public int preparedStacks() {
        int held = prepared == null ? 0 : 1;
        if (perLayer != null) {
            for (Recurrent layer : perLayer) {
                held += layer.preparedStacks();
            }
        }
        return held;
    }

    /** The backend in use, once the first forward chose it. */
    public String backendName() {
        return backend;
    }

    @Override
    public void close() {
        closePrepared();
        if (perLayer != null) {
            for (Recurrent layer : perLayer) {
                layer.close();
            }
        }
    }
}
