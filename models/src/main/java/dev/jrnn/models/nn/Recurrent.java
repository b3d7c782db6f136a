package dev.jrnn.models.nn;

import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.runtime.BackendSelector;
import dev.jrnn.core.runtime.Backends;
import dev.jrnn.core.runtime.RacingRnn;
import dev.jrnn.core.runtime.Use;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.io.PyTorchStateDict;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * PyTorch's {@code nn.RNN} / {@code nn.LSTM} / {@code nn.GRU} (time-first: {@code [T, N, C]};
 * pass {@code x.permute(1, 0, 2)} for batch-first data), run by a backend over whole sequences.
 *
 * <p><b>Variable lengths.</b> With {@code lengths}, sequence {@code n} is its first
 * {@code lengths[n]} steps: outputs past its end are zero and its final states are those after its
 * last step, in both directions: exactly what running it alone gives (PyTorch's packed sequences).
 * The whole batch is one backend call ({@link RnnForward#lengths()}).
 *
 * <p><b>Backends.</b> Training ({@link #forward}, {@link #backward}) and inference
 * ({@link #infer}) each use {@link #backend} if one is named (else {@code -Djrnn.backend}, else
 * {@code auto}); auto decides per use on that use's own first calls, which race the candidate
 * backends ({@link dev.jrnn.core.runtime.RacingRnn}), unless a decision for the shape is already
 * known. One stack is prepared per backend in use (at most one per use) and serves every length
 * and batch size; when an optimizer
 * changes the parameters ({@link Parameter#version()}), the new values are packed into the same
 * stack ({@link PreparedRnn#update}). Close the layer to release them.
 *
 * <p><b>Threads.</b> {@link #forward} and {@link #backward} keep the training step's state in the
 * layer: one thread trains. {@link #infer} keeps nothing: any number of threads may call it at once
 * (each call borrows a workspace from a pool as large as the most calls that ran together), as
 * long as no thread trains or changes the parameters meanwhile.
 */
public final class Recurrent extends Module implements AutoCloseable {

    /** Outputs of a forward: {@code y [T, N, D*H]}, {@code hn} and ({@code LSTM}) {@code cn} {@code [L*D, N, H]}. */
    public record Output(FloatTensor y, FloatTensor hn, FloatTensor cn) {
    }

    /** A backend's stack, the parameter version packed into it, and its idle inference workspaces. */
    private static final class Plan {
        final PreparedRnn rnn;
        long version;
        final ConcurrentLinkedDeque<Workspace> idle = new ConcurrentLinkedDeque<>();

        Plan(PreparedRnn rnn, long version) {
            this.rnn = rnn;
            this.version = version;
        }
    }

    private final RnnDescriptor architecture;
    private final List<Parameter> parameters = new ArrayList<>();
    private final RnnWeights weights, grads;
    /** The backend asked for ({@code auto} or a name), or null: {@code -Djrnn.backend}, else auto. */
    private String backend;
    /** How inference stores the weights ({@link #precision(Precision)}); training is always float32. */
    private Precision precision = Precision.FLOAT32;
    /** The range of layer 0's inputs, for a backend that stores them in 8 bits ({@link #precision(Precision, Calibration)}); or null. */
    private Calibration calibration;
    /** The backend each use runs on, once its first call chose it. Guarded by {@code this}. */
    private final Map<Use, String> chosen = new EnumMap<>(Use.class);
    /** The key in {@link #plans} of a use's race, followed by the use. */
    private static final String RACE = "race for ";
    /** One stack per backend in use. Guarded by {@code this}. */
    private final Map<String, Plan> plans = new HashMap<>();
    /** The training step's stack and workspace (one thread trains). */
    private Plan training;
    private Workspace trainingWorkspace;
    /** With dropout between layers: one single-layer stack per layer, sharing this stack's parameters. */
    private Recurrent[] perLayer;
    private Dropout[] between;
    private boolean batchFirst;
    /** Whether the training workspace holds a forward that backward may use. */
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
        precision = stack.precision;
        calibration = layer == 0 ? stack.calibration : upper(stack.calibration);
    }

    /** An upper layer's inputs are the states of the one below, in [-1, 1] (tanh; o tanh(c)), whatever layer 0 reads. */
    private static Calibration upper(Calibration layer0) {
        return layer0 == null ? null : new Calibration(-1, 1);
    }

    /**
     * Dropout with probability {@code p} on the outputs of every layer but the last, in training
     * (PyTorch's {@code dropout} argument). The layers then run one backend call each.
     */
    public Recurrent dropout(double p, long seed) {
        closePlans();
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

    /** Whether sequences are {@code [N, T, C]} ({@link #batchFirst(boolean)}). */
    public boolean isBatchFirst() {
        return batchFirst;
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

    /** Uses {@code name} ({@code auto} or a backend's name) for every use from the next call on. */
    public Recurrent backend(String name) {
        closePlans();
        backend = name;
        if (perLayer != null) {
            for (Recurrent layer : perLayer) {
                layer.backend(name);
            }
        }
        return this;
    }

    /**
     * Stores the weights in {@code precision} for inference ({@link #infer}) from the next call on:
     * after training, an {@code eval()} model converts this way (its parameters stay float32, and
     * a later {@code precision(FLOAT32)} returns to them exactly). A reduced precision serves
     * inference only: {@link #forward} (training) is then refused. The backend must run it
     * ({@code Backend.precisions()}; auto takes one that does), else the first inference call throws.
     */
    public Recurrent precision(Precision value) {
        return precision(value, null);
    }

    /**
     * {@link #precision(Precision)} with the range of the inputs this stack will read, for a backend
     * that stores them in 8 bits ({@code Backend.needsCalibration}: int8 on onednn), e.g.
     * {@code Calibration.of(sampleInputs)} or, after an embedding, the range of its table; null for
     * none, which such a backend refuses (and auto passes it over).
     */
    public Recurrent precision(Precision value, Calibration inputs) {
        java.util.Objects.requireNonNull(value, "precision");
        closePlans();
        precision = value;
        calibration = inputs;
        if (perLayer != null) {
            for (int l = 0; l < perLayer.length; l++) {
                perLayer[l].precision(value, l == 0 ? inputs : upper(inputs));
            }
        }
        return this;
    }

    /** How inference stores the weights ({@link #precision(Precision)}). */
    public Precision precision() {
        return precision;
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
        if (precision != Precision.FLOAT32) {
            throw new UnsupportedOperationException("this Recurrent runs " + precision + " weights, which serve "
                    + "inference only (infer): call precision(Precision.FLOAT32) to train");
        }
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
        Plan plan = plan(Use.TRAINING, full);
        if (training != plan) {
            closeTrainingWorkspace();
            trainingWorkspace = plan.rnn.newWorkspace();
            training = plan;
        }
        forwardHeld = false;
        plan.rnn.forward(Mode.TRAINING, new RnnForward(x, h0, c0, y, hn, cn, lengths), trainingWorkspace);
        forwardHeld = true;
        return new Output(y, hn, cn);
    }

    /**
     * Inference ({@code torch.no_grad()} in evaluation mode): the outputs of {@code x} as
     * {@link #forward(FloatTensor, int[], FloatTensor, FloatTensor)} gives them without dropout,
     * in new tensors, keeping nothing for backward. Safe to call from many threads at once (see the
     * class comment).
     */
    public Output infer(FloatTensor x, int[] lengths, FloatTensor h0, FloatTensor c0) {
        if (batchFirst) {
            Output o = inferTimeFirst(x.permute(1, 0, 2), lengths, h0, c0);
            return new Output(o.y().permute(1, 0, 2), o.hn(), o.cn());
        }
        return inferTimeFirst(x, lengths, h0, c0);
    }

    private Output inferTimeFirst(FloatTensor x, int[] lengths, FloatTensor h0, FloatTensor c0) {
        if (x.rank() != 3 || x.dim(2) != architecture.inputSize()) {
            throw new IllegalArgumentException("Recurrent takes [T, N, " + architecture.inputSize() + "], got " + x.shape());
        }
        RnnDescriptor full = architecture.withSteps(x.dim(0)).withBatch(x.dim(1));
        FloatTensor y = FloatTensor.zeros(full.dstLayerShape()), hn = FloatTensor.zeros(full.iterShape());
        FloatTensor cn = architecture.cell() == CellKind.LSTM ? FloatTensor.zeros(full.iterShape()) : null;
        Plan plan = plan(Use.INFERENCE, full); // the whole stack: without dropout the layers need not run apart
        Workspace ws = plan.idle.poll();
        if (ws == null) {
            ws = plan.rnn.newWorkspace();
        }
        try {
            plan.rnn.forward(Mode.INFERENCE, new RnnForward(x, h0, c0, y, hn, cn, lengths), ws);
        } finally {
            plan.idle.push(ws);
        }
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
        Workspace ws = trainingWorkspace;
        FloatTensor dx = inputGrad.view(ws.steps(), ws.batch(), architecture.inputSize()); // overwritten by the backend
        boolean lstm = architecture.cell() == CellKind.LSTM;
        training.rnn.backward(new RnnBackward(dy, dhn, lstm ? dcn : null, dx, dh0, lstm ? dc0 : null, grads), ws);
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

    /**
     * The stack {@code use} runs on: the backend chosen at its first call (or, when auto has no
     * decision for {@code first}'s shape yet, a race of its own), prepared once per backend, with
     * the parameters' current values packed in.
     */
    private synchronized Plan plan(Use use, RnnDescriptor first) {
        long version = 0;
        for (Parameter p : parameters) {
            version += p.version();
        }
        String name = chosen.get(use);
        if (name == null) {
            name = use != Use.TRAINING && precision != Precision.FLOAT32 ? requestedBackend() // no race: see BackendSelector
                    : Backends.selector().choose(requestedBackend(), first, weights, use);
            if (name.equals(BackendSelector.AUTO)) {
                name = RACE + use; // each use races apart: training's winner need not be inference's
            }
            chosen.put(use, name);
        }
        Plan plan = plans.get(name);
        if (plan == null) {
            String backend = name.startsWith(RACE) ? BackendSelector.AUTO : name;
            plan = new Plan(Backends.selector().prepare(backend, first, weights, use,
                    use == Use.TRAINING ? Precision.FLOAT32 : precision, calibration), version);
            plans.put(name, plan);
        } else if (plan.version != version) {
            plan.rnn.update(weights);
            plan.version = version;
            if (plan == training) {
                forwardHeld = false; // computed with the old weights
            }
        }
        return plan;
    }

    /** The backend asked for: {@link #backend(String)}'s, else {@code -Djrnn.backend}, else {@code auto}. */
    public String requestedBackend() {
        return backend != null ? backend : System.getProperty(BackendSelector.BACKEND_PROPERTY, BackendSelector.AUTO);
    }

    private void closeTrainingWorkspace() {
        if (trainingWorkspace != null) {
            trainingWorkspace.close();
            trainingWorkspace = null;
        }
        training = null;
        forwardHeld = false;
    }

    private synchronized void closePlans() {
        closeTrainingWorkspace();
        for (Plan plan : plans.values()) {
            for (Workspace ws; (ws = plan.idle.poll()) != null; ) {
                ws.close();
            }
            plan.rnn.close();
        }
        plans.clear();
        chosen.clear();
    }

    /** Prepared stacks this layer holds (one per backend in use, and per layer when they run separately): bounded whatever lengths arrive. */
    public int preparedStacks() {
        int held;
        synchronized (this) {
            held = plans.size();
        }
        if (perLayer != null) {
            for (Recurrent layer : perLayer) {
                held += layer.preparedStacks();
            }
        }
        return held;
    }

    /** The backend {@code use} runs on, or null before its first call; {@code "simd, racing onednn"} while auto decides. */
    public synchronized String backendName(Use use) {
        String name = chosen.get(use);
        return name == null || !name.startsWith(RACE) ? name : RacingRnn.runningOn(plans.get(name).rnn);
    }

    /**
     * The backend in use: its name when every use so far chose the same one (null before the
     * first call), else each use's, e.g. {@code "simd (training), onednn (inference)"}.
     */
    public String backendName() {
        Map<Use, String> uses = new EnumMap<>(Use.class);
        synchronized (this) {
            chosen.keySet().forEach(use -> uses.put(use, backendName(use)));
        }
        String layers = perLayer == null ? null : perLayer[0].backendName(Use.TRAINING);
        if (layers != null) {
            uses.putIfAbsent(Use.TRAINING, layers);
        }
        if (uses.values().stream().distinct().count() <= 1) {
            return uses.isEmpty() ? null : uses.values().iterator().next();
        }
        List<String> parts = new ArrayList<>();
        uses.forEach((use, name) -> parts.add(name + " (" + use.name().toLowerCase(java.util.Locale.ROOT) + ")"));
        return String.join(", ", parts);
    }

    @Override
    public void close() {
        closePlans();
        if (perLayer != null) {
            for (Recurrent layer : perLayer) {
                layer.close();
            }
        }
    }
}
