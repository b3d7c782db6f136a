package dev.jrnn.onednn;

import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_WEIGHTS_ITER;
import static dev.jrnn.onednn.dnnl_h.DNNL_ARG_WEIGHTS_LAYER;

import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.rnn.RnnWeights.Param;
import dev.jrnn.core.runtime.Parallelism;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.core.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * A recurrent stack planned for oneDNN: the weights in oneDNN's layouts, for any problem size.
 * oneDNN makes its primitives for one {@code T} and {@code N}; those live in each workspace
 * ({@link OneDnnWorkspace}, a bounded number of sizes, least recently used dropped) as
 * {@link OneDnnShape}s, while the weights live here once: the plain copy ({@code ldgoi}, bias
 * {@code ldgo}) and one reordered copy per layout a primitive chose ({@code format_tag any}; a
 * handful at most, whatever the sizes). {@link #update} rewrites all of them in place. Primitives
 * take a user scratchpad, which each execution brings, so any thread may run them. The thread
 * count is {@link Parallelism}'s at prepare.
 *
 * <p>Every call runs as the pieces of a {@link LengthPlan}, one execution each: a call whose
 * sequences are all {@code T} long is one piece of its exact size. oneDNN's RNN primitives have no
 * per-sequence lengths, so with lengths a unidirectional stack runs time segments over the
 * length-sorted batch ({@code N} shrinking as sequences end, rounded up to a few sizes, states
 * carried from piece to piece, {@code T} split into powers of two), and a bidirectional one runs
 * its sequences of each distinct length together. A sequence ending inside a piece runs on to the
 * piece's end on zero inputs; its final states are read from the layer outputs at its own last
 * step, and in backward its final-state gradients are added to the output gradients there, so
 * the steps past its end get zero gradients and add nothing.
 *
 * <p>PyTorch to oneDNN: LSTM gates {@code i, f, g, o} are the same in both; PyTorch's GRU is
 * oneDNN's linear-before-reset GRU with gates {@code u, r, o} = PyTorch's {@code z, r, n} and a
 * four-part bias {@code (b_iz + b_hz, b_ir + b_hr, b_in, b_hn)}; the other cells' bias is
 * {@code b_ih + b_hh}.
 *
 * <p>Reduced precisions (inference only). {@link Precision#BF16}: oneDNN's bf16 RNN takes bf16
 * inputs, states and outputs (f32 bias and cell state; no mixed f32/bf16 configuration but its
 * "bf32", which would convert the weights on every call), so each layer's f32 inputs are converted
 * to bf16 and its bf16 outputs back to f32 by reorders around the primitive ({@link
 * OneDnnExecution}): two passes over the layer's activations per call, against the gates' products
 * over every weight; the activations are rounded to bf16 as well as the weights. {@link
 * Precision#INT8}: oneDNN's u8s8 RNN (LSTM only: it has no int8 linear-before-reset GRU or vanilla
 * RNN), u8 layer inputs quantized by a reorder before each layer ({@code u8 = scale * x + shift},
 * from a {@link Calibration} of the layer-0 inputs; upper layers read [-1, 1]), f32 states and
 * outputs (oneDNN keeps {@code h} in u8 inside, so they are dequantized u8 values), s8 weights with a
 * scale per gate and output unit ({@link #int8Attr}).
 */
final class OneDnnRnn extends PreparedRnn {

    static final String NAME = "onednn";
    static final int INFERENCE = 0, TRAINING = 1, BACKWARD = 2;

    final CellKind cell;
    final int hidden, dirs, layers, gates, biasGates;
    /**
     * OpenMP threads, from {@link Parallelism} at prepare: oneDNN plans a primitive's work for the
     * thread count current when it is created, so it is set then, and again before every execution.
     */
    private final int threads;
    /** oneDNN gate {@code g} is PyTorch gate {@code torchGate[g]}. */
    private final int[] torchGate;
    final Guard guard;
    private final Resources resources = new Resources();
    /** Weights in oneDNN's layouts; read by every thread. */
    private final Arena arena = resources.add(Arena.ofShared()); // closed last
    /** How the weights are stored, and the data types of a layer's activations and weights for it. */
    final Precision precision;
    final int dataType, weightsType;
    /** User-scratchpad attributes: for every primitive of float32 and bf16, for training and gradient reorders. */
    final DnnlHandle attr;
    /** Per layer, the attributes of its inference primitives: {@link #attr}, or for int8 with its quantization. */
    private final DnnlHandle[] layerAttr;
    /** int8: per layer, the data quantization {@code u8 = dataScale * x + dataShift}; null otherwise. */
    final float[] dataScale, dataShift;
    /** Per layer: plain weights ({@code ldgoi}) and bias ({@code ldgo}), and their descriptors. */
    final MemorySegment[] plainLayer, plainIter, bias;
    final DnnlHandle[] plainLayerMd, plainIterMd, biasMd;
    /** Per layer: the layout of the weight gradients, {@code ldigo} (see {@link WeightGradients}). */
    final DnnlHandle[] diffLayerMd, diffIterMd;
    /** The reordered copies of the weights, one per (layer, argument, layout); guarded by itself. */
    private final List<Reordered> reordered = new ArrayList<>();
    private volatile String implementation = "not yet run";

    /** Layer {@code layer}'s weights for {@code arg} in the layout {@code layout} describes. */
    private record Reordered(int layer, int arg, DnnlHandle layout, MemorySegment data) {
        MemorySegment md() {
            return layout.address();
        }
    }

    OneDnnRnn(RnnArchitecture a, RnnWeights w) {
        this(a, w, Precision.FLOAT32, null);
    }

    /** {@code calibration}: the layer-0 input range, needed by int8 only. */
    OneDnnRnn(RnnArchitecture a, RnnWeights w, Precision precision, Calibration calibration) {
        super(NAME, a, precision);
        this.precision = precision;
        if (precision == Precision.INT8 && a.cell() != CellKind.LSTM) {
            throw new UnsupportedOperationException("backend '" + NAME + "' runs int8 for LSTM only: oneDNN has no int8 "
                    + (a.cell() == CellKind.GRU ? "linear-before-reset GRU (PyTorch's GRU)" : "vanilla RNN (" + a.cell() + ")")
                    + "; run " + a.cell() + " in bf16 or float32");
        }
        if (precision == Precision.INT8 && calibration == null) {
            throw new IllegalArgumentException("int8 on " + NAME + " needs a Calibration of the inputs");
        }
        dataType = switch (precision) {
            case FLOAT32 -> dnnl_h.dnnl_f32;
            case BF16 -> dnnl_h.dnnl_bf16;
            case INT8 -> dnnl_h.dnnl_u8;
        };
        weightsType = switch (precision) {
            case FLOAT32 -> dnnl_h.dnnl_f32;
            case BF16 -> dnnl_h.dnnl_bf16;
            case INT8 -> dnnl_h.dnnl_s8;
        };
        cell = a.cell();
        hidden = a.hiddenSize();
        dirs = a.directions();
        layers = a.layers();
        gates = a.gates();
        biasGates = cell == CellKind.GRU ? 4 : gates;
        torchGate = cell == CellKind.GRU ? new int[] {1, 0, 2} : identity(gates);
        guard = new Guard("this " + NAME + " " + a);
        threads = Parallelism.threads();
        try {
            useThreads();
            attr = resources.add(Dnnl.userScratchpadAttr());
            layerAttr = new DnnlHandle[layers];
            dataScale = precision == Precision.INT8 ? new float[layers] : null;
            dataShift = precision == Precision.INT8 ? new float[layers] : null;
            if (precision != Precision.INT8) {
                java.util.Arrays.fill(layerAttr, attr);
            } else {
                for (int l = 0; l < layers; l++) { // layer 0 reads the calibrated inputs and its states; the others [-1, 1]
                    float lo = l == 0 ? Math.min(calibration.min(), -1) : -1, hi = l == 0 ? Math.max(calibration.max(), 1) : 1;
                    // an integer shift, so that 0 (padding, zero states) is exact; the larger side spans the byte
                    float shift = Math.clamp(Math.round(255 * -lo / (hi - lo)), 1, 254);
                    dataShift[l] = shift;
                    dataScale[l] = Math.min(shift / -lo, (255 - shift) / hi);
                    layerAttr[l] = resources.add(Dnnl.int8Attr(dataScale[l], dataShift[l], weightScales(w, l)));
                }
            }
            plainLayer = new MemorySegment[layers];
            plainIter = new MemorySegment[layers];
            bias = new MemorySegment[layers];
            plainLayerMd = new DnnlHandle[layers];
            plainIterMd = new DnnlHandle[layers];
            biasMd = new DnnlHandle[layers];
            diffLayerMd = new DnnlHandle[layers];
            diffIterMd = new DnnlHandle[layers];
            for (int l = 0; l < layers; l++) {
                int in = l == 0 ? a.inputSize() : dirs * hidden;
                plainLayerMd[l] = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_ldgoi, 1, dirs, in, gates, hidden));
                plainIterMd[l] = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_ldgoi, 1, dirs, hidden, gates, hidden));
                biasMd[l] = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_ldgo, 1, dirs, biasGates, hidden));
                diffLayerMd[l] = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_ldigo, 1, dirs, in, gates, hidden));
                diffIterMd[l] = resources.add(Dnnl.memoryDesc(dnnl_h.dnnl_ldigo, 1, dirs, hidden, gates, hidden));
                plainLayer[l] = arena.allocate((long) dirs * gates * hidden * in * Float.BYTES, 64);
                plainIter[l] = arena.allocate((long) dirs * gates * hidden * hidden * Float.BYTES, 64);
                bias[l] = arena.allocate((long) dirs * biasGates * hidden * Float.BYTES, 64);
            }
            writePlain(w);
        } catch (RuntimeException | Error e) {
            resources.close();
            throw e;
        }
    }

    /**
     * Layer {@code l}'s int8 weight scales in oneDNN's gate order ({@code g * H + o}): {@code 127 /
     * max|w|} over the row of both matrices in both directions (symmetric: the largest weight maps
     * to 127), so a weight moves by at most half a step, {@code max|w| / 254}.
     */
    float[] weightScales(RnnWeights w, int l) {
        float[] scales = new float[gates * hidden];
        for (int g = 0; g < gates; g++) {
            for (int o = 0; o < hidden; o++) {
                float max = 0;
                for (int d = 0; d < dirs; d++) {
                    for (Param p : new Param[] {Param.WEIGHT_IH, Param.WEIGHT_HH}) {
                        FloatTensor row = w.get(p, l, d).select(0, torchGate[g] * hidden + o);
                        for (int k = 0; k < row.dim(0); k++) {
                            max = Math.max(max, Math.abs(row.get(k)));
                        }
                    }
                }
                scales[g * hidden + o] = max == 0 ? 1 : 127 / max;
            }
        }
        return scales;
    }

    /** Layer {@code l}'s attributes for inference: user scratchpad, and the quantization for int8. */
    DnnlHandle attr(int l) {
        return layerAttr[l];
    }

    private static int[] identity(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        return p;
    }

    /** The implementation oneDNN chose for the first layer's inference, e.g. {@code brgemm:avx512_core}. */
    String implementation() {
        return implementation;
    }

    /** Writes PyTorch's weights into the plain copies. */
    private void writePlain(RnnWeights w) {
        for (int l = 0; l < layers; l++) {
            int in = l == 0 ? architecture().inputSize() : dirs * hidden;
            plainWeights(w, l, Param.WEIGHT_IH, in, plainLayer[l]);
            plainWeights(w, l, Param.WEIGHT_HH, hidden, plainIter[l]);
            plainBias(w, l, bias[l]);
        }
    }

    /**
     * Layer {@code l}'s weights for {@code arg} ({@code DNNL_ARG_WEIGHTS_LAYER} or {@code _ITER}) in
     * the layout primitive descriptor {@code pd} chose: the plain copy, a reordered copy made
     * earlier for the same layout, or a new one (kept for the plan's life, with a copy of its
     * descriptor: {@code pd} may be dropped before the plan).
     */
    MemorySegment weightsIn(int l, int arg, DnnlHandle pd) {
        if (implementation.equals("not yet run")) {
            implementation = Dnnl.implementation(pd);
        }
        MemorySegment md = Dnnl.argumentDesc(pd, arg);
        boolean layer = arg == DNNL_ARG_WEIGHTS_LAYER;
        DnnlHandle plainMd = layer ? plainLayerMd[l] : plainIterMd[l];
        if (Dnnl.sameLayout(md, plainMd.address())) {
            return layer ? plainLayer[l] : plainIter[l];
        }
        synchronized (reordered) {
            for (Reordered r : reordered) {
                if (r.layer() == l && r.arg() == arg && Dnnl.sameLayout(md, r.md())) {
                    return r.data();
                }
            }
            DnnlHandle layout = resources.add(Dnnl.clone(md));
            MemorySegment data = arena.allocate(Dnnl.size(md), 64);
            Reordered r = new Reordered(l, arg, layout, data);
            reorderWeights(r);
            reordered.add(r);
            return data;
        }
    }

    /**
     * Converts the plain weights into {@code r}'s layout. A reduced precision goes through {@code
     * ldigo}: oneDNN's int8 RNN weight reorder reads no other layout, so bf16 takes the same road.
     */
    private void reorderWeights(Reordered r) {
        int l = r.layer();
        boolean layer = r.arg() == DNNL_ARG_WEIGHTS_LAYER;
        MemorySegment plainMd = (layer ? plainLayerMd : plainIterMd)[l].address();
        MemorySegment plain = layer ? plainLayer[l] : plainIter[l];
        if (precision == Precision.FLOAT32) {
            Dnnl.reorder(plainMd, plain, r.md(), r.data());
            return;
        }
        MemorySegment igoMd = (layer ? diffLayerMd : diffIterMd)[l].address(); // f32 ldigo, the same dims
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment igo = scratch.allocate(Dnnl.size(igoMd), 64);
            Dnnl.reorder(plainMd, plain, igoMd, igo);
            Dnnl.reorder(igoMd, igo, r.md(), r.data(), layerAttr[l]);
        }
    }

    @Override
    protected void updateChecked(RnnWeights w) {
        if (precision == Precision.INT8) { // the scales are in every primitive's attributes, made at prepare
            throw new UnsupportedOperationException("this " + this + " quantized its weights with scales fixed when it "
                    + "was prepared: prepare a new int8 plan for new weights");
        }
        guard.enter();
        try {
            writePlain(w);
            synchronized (reordered) {
                for (Reordered r : reordered) {
                    reorderWeights(r);
                }
            }
        } finally {
            guard.exit();
        }
    }

    /** PyTorch's {@code [G*H, cols]} matrices of both directions as oneDNN's plain {@code ldgoi}: {@code [D][G][H][cols]}. */
    private void plainWeights(RnnWeights w, int l, Param param, int cols, MemorySegment plain) {
        FloatTensor rows = FloatTensor.wrap(plain, Shape.of(dirs * gates * hidden, cols));
        for (int d = 0; d < dirs; d++) {
            FloatTensor torch = w.get(param, l, d);
            for (int g = 0; g < gates; g++) {
                int row = (d * gates + g) * hidden;
                int torchRow = torchGate[g] * hidden;
                rows.slice(0, row, row + hidden).copyFrom(torch.slice(0, torchRow, torchRow + hidden));
            }
        }
    }

    /** oneDNN's {@code ldgo} bias {@code [D][G'][H]}, see the class comment. */
    private void plainBias(RnnWeights w, int l, MemorySegment bias) {
        for (int d = 0; d < dirs; d++) {
            FloatTensor bih = w.get(Param.BIAS_IH, l, d), bhh = w.get(Param.BIAS_HH, l, d);
            for (int g = 0; g < biasGates; g++) {
                for (int o = 0; o < hidden; o++) {
                    float value;
                    if (cell == CellKind.GRU && g == 2) {
                        value = bih.get(2 * hidden + o);
                    } else if (cell == CellKind.GRU && g == 3) {
                        value = bhh.get(2 * hidden + o);
                    } else {
                        int t = torchGate[g] * hidden + o;
                        value = bih.get(t) + bhh.get(t);
                    }
                    bias.setAtIndex(dnnl_h.C_FLOAT, ((long) d * biasGates + g) * hidden + o, value);
                }
            }
        }
    }

    @Override
    protected Workspace createWorkspace() {
        guard.enter();
        try {
            return new OneDnnWorkspace(this);
        } finally {
            guard.exit();
        }
    }

    /**
     * Makes the primitives of {@code steps} by {@code batch} (a reduced precision: inference only)
     * and returns the implementation oneDNN chose for the first layer's inference; oneDNN answers
     * {@code unimplemented} if it cannot.
     */
    String tryShape(int steps, int batch) {
        guard.enter();
        try {
            useThreads();
            try (OneDnnShape shape = new OneDnnShape(this, steps, batch)) {
                shape.make(INFERENCE);
                if (precision == Precision.FLOAT32) {
                    shape.make(TRAINING);
                }
                return Dnnl.implementation(shape.layer[0].pd[INFERENCE]);
            }
        } finally {
            guard.exit();
        }
    }

    @Override
    protected void forwardChecked(Mode mode, RnnForward io, Workspace workspace) {
        OneDnnWorkspace ws = (OneDnnWorkspace) workspace;
        boolean training = mode == Mode.TRAINING;
        // rows run past their end or as padding only where their values stay finite in training
        // (zero gradients through them stay zero): not relu; and end inside a piece only where no
        // cell state must be read or injected there
        boolean pad = !(training && cell == CellKind.RNN_RELU);
        boolean mayEndInside = pad && !(cell == CellKind.LSTM && (training || io.dstIterC() != null));
        guard.enter();
        try {
            ws.guard.enter();
            try {
                useThreads();
                LengthPlan plan = ws.plan;
                plan.plan(io.lengths(), ws.batch(), ws.steps(), dirs == 2, pad, mayEndInside);
                ws.executionsForPlan(training ? TRAINING : INFERENCE);
                for (int p = 0; p < plan.pieces; p++) {
                    OneDnnExecution e = ws.pieceExecution[p];
                    e.load(io, plan, p, plan.continues(p) ? ws.pieceExecution[p - 1] : null);
                    for (int l = 0; l < layers; l++) {
                        e.forward(l, training ? TRAINING : INFERENCE, ws.stream);
                    }
                    Dnnl.check(dnnl_h.dnnl_stream_wait(ws.stream.address()), "dnnl_stream_wait");
                    e.store(io, plan, p);
                }
                OneDnnExecution.zeroPastEnds(io.dstLayer(), plan, ws.batch());
            } finally {
                ws.guard.exit();
            }
        } finally {
            guard.exit();
        }
    }

    @Override
    protected void backwardChecked(RnnBackward gradients, Workspace workspace) {
        OneDnnWorkspace ws = (OneDnnWorkspace) workspace;
        guard.enter();
        try {
            ws.guard.enter();
            try {
                useThreads();
                LengthPlan plan = ws.plan;
                if (gradients.diffWeights() != null) {
                    ws.gradients.zero();
                }
                for (int p = plan.pieces - 1; p >= 0; p--) {
                    OneDnnExecution e = ws.pieceExecution[p];
                    e.load(gradients, plan, p, p + 1 < plan.pieces && plan.continues(p + 1) ? ws.pieceExecution[p + 1] : null);
                    runBackward(gradients, ws, e, plan, p);
                    e.store(gradients, plan, p);
                }
                if (gradients.diffSrcLayer() != null) {
                    OneDnnExecution.zeroPastEnds(gradients.diffSrcLayer(), plan, ws.batch());
                }
                if (gradients.diffWeights() != null) {
                    ws.gradients.addTo(gradients.diffWeights(), ws.stream);
                }
            } finally {
                ws.guard.exit();
            }
        } finally {
            guard.exit();
        }
    }

    /** Piece {@code p}'s backward, top layer first; weight gradients add to the workspace's. */
    private void runBackward(RnnBackward gradients, OneDnnWorkspace ws, OneDnnExecution e, LengthPlan plan, int p) {
        for (int l = layers - 1; l >= 0; l--) {
            e.addFinalGradients(gradients, plan, p, l); // after the layer above wrote this layer's output gradients
            Dnnl.execute(e.shape.layer[l].primitive[BACKWARD], ws.stream, e.args[l][BACKWARD]);
            Dnnl.check(dnnl_h.dnnl_stream_wait(ws.stream.address()), "dnnl_stream_wait");
        }
    }

    /** oneDNN's OpenMP thread count belongs to the calling thread, so it is set before each call. */
    private void useThreads() {
        if (omp_h.present()) {
            omp_h.omp_set_num_threads(threads);
        }
    }

    /** Adds layer {@code l}'s gradients, in oneDNN's plain layouts ({@code ldgoi}, {@code ldgo}), to PyTorch's tensors. */
    void accumulate(RnnWeights diff, int l, MemorySegment diffLayer, MemorySegment diffIter, MemorySegment db) {
        int in = l == 0 ? architecture().inputSize() : dirs * hidden;
        for (int d = 0; d < dirs; d++) {
            FloatTensor dwih = diff.get(Param.WEIGHT_IH, l, d), dwhh = diff.get(Param.WEIGHT_HH, l, d);
            FloatTensor dbih = diff.get(Param.BIAS_IH, l, d), dbhh = diff.get(Param.BIAS_HH, l, d);
            for (int g = 0; g < gates; g++) {
                long block = (long) (d * gates + g) * hidden;
                addRows(dwih, torchGate[g] * hidden, diffLayer, block * in, in);
                addRows(dwhh, torchGate[g] * hidden, diffIter, block * hidden, hidden);
            }
            for (int g = 0; g < biasGates; g++) {
                for (int o = 0; o < hidden; o++) {
                    float v = db.getAtIndex(dnnl_h.C_FLOAT, ((long) d * biasGates + g) * hidden + o);
                    if (cell == CellKind.GRU && g >= 2) {
                        FloatTensor target = g == 2 ? dbih : dbhh;
                        target.set(2 * hidden + o, target.get(2 * hidden + o) + v);
                    } else {
                        int t = torchGate[g] * hidden + o;
                        dbih.set(t, dbih.get(t) + v);
                        dbhh.set(t, dbhh.get(t) + v);
                    }
                }
            }
        }
    }

    /** {@code dst[row0 + r][c] += src[from + r * cols + c]} for the {@code hidden} rows of one gate. */
    private void addRows(FloatTensor dst, int row0, MemorySegment src, long from, int cols) {
        if (dst.isContiguous()) { // the usual case: one flat loop, which C2 vectorizes
            MemorySegment d = dst.segment();
            long base = dst.offset() + (long) row0 * cols;
            for (long k = 0, n = (long) hidden * cols; k < n; k++) {
                d.setAtIndex(FloatTensor.ELEMENT, base + k,
                        d.getAtIndex(FloatTensor.ELEMENT, base + k) + src.getAtIndex(dnnl_h.C_FLOAT, from + k));
            }
            return;
        }
        for (int r = 0; r < hidden; r++) {
            long rowStart = from + (long) r * cols;
            for (int c = 0; c < cols; c++) {
                dst.set(row0 + r, c, dst.get(row0 + r, c) + src.getAtIndex(dnnl_h.C_FLOAT, rowStart + c));
            }
        }
    }

    @Override
    protected void release() {
        guard.closeAndAwait();
        resources.close();
    }

    @Override
    public String toString() {
        return NAME + " (" + implementation + ") " + architecture();
    }
}
