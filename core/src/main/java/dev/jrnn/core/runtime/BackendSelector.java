package dev.jrnn.core.runtime;

import dev.jrnn.core.rnn.Calibration;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.Precision;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.Availability;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.BackendProvider;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.SelfTest;
import dev.jrnn.core.spi.Support;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Chooses the backend that runs a descriptor, per {@link Use}.
 *
 * <p>{@code -Djrnn.backend=NAME} (or {@link #prepare(String, RnnDescriptor, RnnWeights, Use)})
 * forces one, and fails with its probe's reason when it cannot run here. Otherwise ({@code auto})
 * the candidates are every available backend that supports the descriptor, is trusted by its
 * {@linkplain SelfTest known-answer self-test} here and is not {@linkplain Backend#fallbackOnly()
 * fallback-only} (the reference is taken only when nothing else can run). {@link #prepare}
 * decides on the caller's own work: it returns a {@link RacingRnn} that times each candidate on
 * real calls and keeps the fastest. {@link #decide} times them apart from any work (a training
 * step on the first {@value #TIMING_STEPS} steps, an inference forward, or single streaming steps)
 * for {@code jrnn backends} and tests. A decision is cached per (use, descriptor with at most
 * {@value #TIMING_STEPS} steps, threads), so sequences of any longer length share it, in a map of
 * at most {@value #MAX_DECISIONS} entries, logged once with the timings and the reasons the others
 * were passed over, and remembered between processes when {@link #rememberIn} names a file.
 */
public final class BackendSelector {

    public static final String BACKEND_PROPERTY = "jrnn.backend";
    public static final String AUTO = "auto";
    /** Timing uses at most this many steps: cost grows linearly with T, so a prefix ranks backends. */
    static final int TIMING_STEPS = 8;
    /** Enough calls for the JIT to finish with the fastest backends' small shapes. */
    static final int MAX_TIMED_CALLS = 100_000;
    /** Timing may go on while the JIT compiles, up to this many budgets... */
    static final int JIT_WAIT_FACTOR = 10;
    /** ...until it has finished no compilation for this long (C2 takes a few hundred ms over a big kernel: 100 ms cut simd's timing short, cold, 0.8-1.5 ms against 0.07 warm for control's GRU, and auto trained on onednn). */
    static final long JIT_QUIET_NANOS = 500_000_000;

    private static final System.Logger LOG = System.getLogger("dev.jrnn.runtime");

    /** The outcome of one auto selection: the winner and, per backend, a timing or a reason. */
    public record Decision(String backend, Map<String, String> details) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder(backend);
            details.forEach((name, detail) -> sb.append("; ").append(name).append(": ").append(detail));
            return sb.toString();
        }
    }

    /** At most this many decisions are kept (least recently used out first): shapes may be unbounded, memory is not. */
    static final int MAX_DECISIONS = 256;
    /**
     * How much faster a later candidate (in class-path order) must time to displace an earlier
     * one: a near tie is noise, and at batch 1 a native backend that timed a hair faster on a quiet
     * core can be many times slower once another process shares the cores (its OpenMP team spins).
     */
    static final double MARGIN = 0.10;

    /** Timed calls before the best may be taken: the first call of a backend is never the one that counts. */
    static final int MIN_TIMED_CALLS = 3;

    /** Calls whose median is a backend's time (see {@code time}). */
    static final int RECENT_CALLS = 32;

    /** A decision's scope: the descriptor with at most {@value #TIMING_STEPS} steps, which stand for any longer T. */
    record Key(RnnDescriptor descriptor, int threads, Use use) {
        String describe() {
            String d = descriptor.toString();
            if (descriptor.steps() == TIMING_STEPS) {
                d = d.replace(" T=" + TIMING_STEPS + " ", " T>=" + TIMING_STEPS + " ");
            }
            return use.name().toLowerCase(Locale.ROOT) + " " + d + " threads=" + threads;
        }
    }

    private final List<BackendProvider> providers;
    private final Duration budget;
    private final Map<String, Availability> availability = new ConcurrentHashMap<>();
    private final Map<String, Backend> backends = new ConcurrentHashMap<>();
    /** Guarded by itself; access order, so the eldest is the least recently used. */
    private final Map<Key, Decision> decisions;
    /** When each decision was last asked for, on {@link #asked}'s clock. Guarded by {@code decisions}. */
    private final Map<Key, Long> lastAsked = new java.util.HashMap<>();
    /** Races started, with when on {@link #asked}'s clock, for {@link #summary}; weak: a race is its plan's owner's to keep. Guarded by {@code decisions}. */
    private final Map<RacingRnn, Long> races = new java.util.WeakHashMap<>();
    private long asked;
    /** Where decisions are remembered between processes, or null; its fingerprint is made at first use. */
    private volatile Path rememberIn;
    private DecisionStore store;

    /** @param budget time spent measuring each candidate backend for one descriptor */
    public BackendSelector(List<BackendProvider> providers, Duration budget) {
        this(providers, budget, MAX_DECISIONS);
    }

    BackendSelector(List<BackendProvider> providers, Duration budget, int maxDecisions) {
        this.decisions = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Decision> eldest) {
                return size() > maxDecisions;
            }
        };
        this.providers = List.copyOf(providers);
        this.budget = Objects.requireNonNull(budget, "budget");
        for (BackendProvider p : this.providers) {
            if (providers.stream().filter(q -> q.name().equals(p.name())).count() > 1) {
                throw new IllegalArgumentException("two backend providers are named '" + p.name() + "'");
            }
        }
    }

    public List<String> names() {
        return providers.stream().map(BackendProvider::name).toList();
    }

    /** The provider's probe, asked once. */
    public Availability availability(String name) {
        BackendProvider provider = provider(name);
        return availability.computeIfAbsent(name, n -> safeProbe(provider));
    }

    private static Availability safeProbe(BackendProvider provider) {
        try {
            return Objects.requireNonNull(provider.probe(), "probe() returned null");
        } catch (RuntimeException | LinkageError e) {
            return Availability.unavailable("probe failed: " + e);
        }
    }

    /**
     * The backend named {@code name}. Throws {@link IllegalArgumentException} for an unknown name
     * (listing the known ones) and {@link IllegalStateException} when it cannot run here (with the
     * probe's reason).
     */
    public Backend backend(String name) {
        Availability a = availability(name);
        if (!a.available()) {
            throw new IllegalStateException("backend '" + name + "' is unavailable: " + a.reason());
        }
        return backends.computeIfAbsent(name, n -> provider(n).create());
    }

    private BackendProvider provider(String name) {
        for (BackendProvider p : providers) {
            if (p.name().equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown backend '" + name + "'; known backends: " + describeAll());
    }

    private String describeAll() {
        List<String> parts = new ArrayList<>();
        for (BackendProvider p : providers) {
            Availability a = availability(p.name());
            parts.add(p.name() + (a.available() ? " (available)" : " (unavailable: " + a.reason() + ")"));
        }
        parts.add(AUTO + " (the fastest available)");
        return String.join(", ", parts);
    }

    /** Prepares for inference with the backend named by {@code -Djrnn.backend}, or the auto choice when it is unset or {@code auto}. */
    public PreparedRnn prepare(RnnDescriptor d, RnnWeights weights) {
        return prepare(System.getProperty(BACKEND_PROPERTY, AUTO), d, weights);
    }

    /** Prepares for inference with {@code backend} ({@code auto} or a backend's name). */
    public PreparedRnn prepare(String backend, RnnDescriptor d, RnnWeights weights) {
        return prepare(backend, d, weights, Use.INFERENCE);
    }

    /**
     * Prepares for {@code use} with {@code backend} ({@code auto} or a backend's name). Auto
     * prepares the backend already decided for {@code use} and {@code d}'s shape class (in this
     * process or, when remembered, an earlier one); when there is none it returns a {@link
     * RacingRnn}, which decides on the caller's own calls.
     */
    public PreparedRnn prepare(String backend, RnnDescriptor d, RnnWeights weights, Use use) {
        String name = choose(backend, d, weights, use);
        return name.equals(AUTO) ? race(d, weights, use) : backend(name).prepare(d, weights);
    }

    /**
     * {@link #prepare(String, RnnDescriptor, RnnWeights, Use)} with the weights stored in
     * {@code precision}. Float32 is that method. A reduced precision serves inference and streaming
     * only (training is refused here, with the reason); a named backend that does not run it refuses
     * it ({@link Backend#prepare(RnnDescriptor, RnnWeights, Precision)}); auto takes the first
     * backend, in class-path order, that can run {@code d} and runs {@code precision} (it does not
     * race them: the precisions' answers differ, and today one backend runs each).
     */
    public PreparedRnn prepare(String backend, RnnDescriptor d, RnnWeights weights, Use use, Precision precision) {
        return prepare(backend, d, weights, use, precision, null);
    }

    /**
     * {@link #prepare(String, RnnDescriptor, RnnWeights, Use, Precision)} with the range of the
     * inputs (null: none), for a backend that quantizes activations statically
     * ({@link Backend#needsCalibration}); without one, auto passes over such a backend.
     */
    public PreparedRnn prepare(String backend, RnnDescriptor d, RnnWeights weights, Use use, Precision precision,
                               Calibration calibration) {
        Objects.requireNonNull(precision, "precision");
        if (precision == Precision.FLOAT32) {
            return prepare(backend, d, weights, use);
        }
        Objects.requireNonNull(use, "use");
        if (use == Use.TRAINING) {
            throw new UnsupportedOperationException(precision + " weights serve inference only: train with float32 "
                    + "weights, then prepare the trained weights in " + precision);
        }
        String name = backend == null ? AUTO : backend.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty() && !name.equals(AUTO)) {
            return backend(name).prepare(d, weights, precision, calibration);
        }
        Map<String, String> details = new LinkedHashMap<>();
        for (BackendProvider p : providers) {
            String refused = refusal(p.name(), d, use);
            if (refused == null && !backend(p.name()).precisions().contains(precision)) {
                refused = "runs " + backend(p.name()).precisions().stream().map(Precision::label).sorted().toList();
            }
            if (refused == null && calibration == null && backend(p.name()).needsCalibration(precision)) {
                refused = "runs " + precision + " with a calibration of the inputs only, and none was given";
            }
            if (refused == null) {
                return backend(p.name()).prepare(d, weights, precision, calibration);
            }
            details.put(p.name(), refused);
        }
        throw new UnsupportedOperationException("no backend runs " + d + " with " + precision + " weights: " + details);
    }

    /**
     * The backend's name for {@code use}: {@code backend} itself when forced, else the auto
     * decision already made for {@code d}'s shape class, else {@value #AUTO} (a race decides; see
     * {@link #prepare(String, RnnDescriptor, RnnWeights, Use)}). Measures nothing.
     */
    public String choose(String backend, RnnDescriptor d, RnnWeights weights, Use use) {
        String name = backend == null ? AUTO : backend.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty() && !name.equals(AUTO)) {
            return name;
        }
        Decision known = known(key(d, weights, use));
        return known == null ? AUTO : known.backend();
    }

    /** A plan that races the candidates for {@code use} on its caller's calls, or the only candidate's plan. */
    private PreparedRnn race(RnnDescriptor d, RnnWeights weights, Use use) {
        Key key = key(d, weights, use);
        Map<String, String> details = new LinkedHashMap<>();
        List<String> ready = new ArrayList<>(), deferred = new ArrayList<>(), fallbacks = new ArrayList<>();
        for (BackendProvider p : providers) {
            String name = p.name();
            if (!ready.isEmpty() && !availability.containsKey(name)) {
                deferred.add(name); // not probed yet in this process: loaded only if the race gets that far
                continue;
            }
            String refused = refusal(name, key.descriptor(), use);
            if (refused != null) {
                details.put(name, refused);
            } else {
                (backend(name).fallbackOnly() ? fallbacks : ready).add(name);
            }
        }
        if (ready.isEmpty()) {
            ready.addAll(fallbacks);
        }
        if (ready.isEmpty()) {
            throw new IllegalStateException("no backend can run " + d + ": " + details);
        }
        if (ready.size() == 1 && deferred.isEmpty()) {
            String only = ready.get(0);
            details.put(only, "the only candidate");
            record(key, new Decision(only, details));
            return backend(only).prepare(d, weights);
        }
        RacingRnn race = new RacingRnn(this, key, ready.stream().map(this::backend).toList(), deferred, d.architecture(),
                weights, JIT_WAIT_FACTOR * budget.toNanos(), budget.toNanos());
        synchronized (decisions) {
            races.put(race, ++asked);
        }
        return race;
    }

    private static Key key(RnnDescriptor d, RnnWeights weights, Use use) {
        Objects.requireNonNull(d, "descriptor");
        Objects.requireNonNull(use, "use");
        weights.checkFits(d);
        RnnDescriptor timed = d.withSteps(use == Use.STREAMING ? 1 : Math.min(d.steps(), TIMING_STEPS));
        return new Key(timed, Parallelism.threads(), use);
    }

    /** The decision made for {@code key} in this process or remembered from an earlier one, or null. */
    private Decision known(Key key) {
        synchronized (decisions) {
            lastAsked.put(key, ++asked);
            if (lastAsked.size() > 2 * MAX_DECISIONS) { // forget what the bounded map forgot
                lastAsked.keySet().retainAll(decisions.keySet());
            }
            Decision known = decisions.get(key);
            if (known != null) {
                return known;
            }
        }
        DecisionStore remembered = store();
        Decision recalled = remembered == null ? null : recall(remembered, key);
        if (recalled != null) {
            synchronized (decisions) {
                decisions.putIfAbsent(key, recalled);
            }
        }
        return recalled;
    }

    /** Keeps (and, when remembering, stores) a decision made by measuring or by a race. */
    void record(Key key, Decision decision) {
        synchronized (decisions) {
            decisions.putIfAbsent(key, decision);
            lastAsked.put(key, ++asked);
        }
        DecisionStore remembered = store();
        if (remembered != null) {
            remembered.remember(key.describe(), decision.backend());
        }
        LOG.log(Level.INFO, "jrnn auto backend for {0} {1} threads={2}: {3}", key.use().name().toLowerCase(Locale.ROOT),
                key.descriptor(), key.threads(), decision);
    }

    /** The auto choice for inference on {@code d}. */
    public Decision decide(RnnDescriptor d, RnnWeights weights) {
        return decide(d, weights, Use.INFERENCE);
    }

    /**
     * The auto choice for {@code use} on {@code d}, measured on first use and cached per (descriptor
     * with T capped, threads, use). Streaming is timed on single steps of {@code d}'s batch.
     */
    public Decision decide(RnnDescriptor d, RnnWeights weights, Use use) {
        Key key = key(d, weights, use);
        Decision known = known(key);
        if (known != null) {
            return known;
        }
        // measured outside the lock (it takes up to seconds); two threads may both measure a new shape once
        record(key, measure(key.descriptor(), weights, use));
        synchronized (decisions) {
            return decisions.get(key);
        }
    }

    /** Decisions made so far, by use, descriptor and thread count. */
    public Map<String, Decision> decisions() {
        Map<String, Decision> out = new LinkedHashMap<>();
        synchronized (decisions) {
            decisions.forEach((k, v) -> out.put(k.describe(), v));
        }
        return out;
    }

    /**
     * Remembers decisions in {@code file} between processes ({@link DecisionStore}), or not (null).
     * Returns this selector.
     */
    public BackendSelector rememberIn(Path file) {
        this.rememberIn = file;
        synchronized (this) {
            store = null;
        }
        return this;
    }

    /** The store for this machine, JDK and jrnn build, or null. */
    private synchronized DecisionStore store() {
        Path file = rememberIn;
        if (file == null) {
            return null;
        }
        if (store == null) {
            // what decides the timings, without loading any backend (loading oneDNN alone takes 0.4 s, 5%
            // of a short command): the CPU, the JDK, oneDNN's ISA cap, and each provider's build; a
            // remembered backend is still probed, checked and self-tested before it serves
            StringBuilder fingerprint = new StringBuilder(SelfTest.cpu()).append("; JDK ").append(Runtime.version());
            String isa = System.getenv("ONEDNN_MAX_CPU_ISA");
            if (isa != null) {
                fingerprint.append("; ONEDNN_MAX_CPU_ISA=").append(isa);
            }
            for (BackendProvider p : providers) {
                fingerprint.append("; ").append(p.name()).append(build(p.getClass()));
            }
            store = new DecisionStore(file, fingerprint.toString());
        }
        return store;
    }

    /**
     * Which build of a backend's code this is: its jar's (or class folder's) modification time, so
     * that a rebuilt or upgraded jrnn measures again rather than trusting decisions its older
     * kernels earned. Empty when the JVM does not say where the class came from.
     */
    private static String build(Class<?> type) {
        try {
            var source = type.getProtectionDomain().getCodeSource();
            if (source == null) {
                return "";
            }
            Path where = Path.of(source.getLocation().toURI());
            return ", built " + java.nio.file.Files.getLastModifiedTime(where).toInstant().getEpochSecond();
        } catch (Exception e) { // a security manager, an unusual class loader: remember by version only
            return "";
        }
    }

    /** A mark on the clock of asked decisions, for {@link #summary(long)}. */
    public long mark() {
        synchronized (decisions) {
            return asked;
        }
    }

    /**
     * The decisions asked for since {@code mark}, in one line, per use: which backends auto chose
     * and for how many shape classes, e.g. {@code "training: simd (2 shapes); streaming: onednn"},
     * and races not yet settled ({@code "inference: simd, racing onednn"}); empty if none.
     */
    public String summary(long mark) {
        Map<Use, Map<String, Integer>> chosen = new java.util.EnumMap<>(Use.class);
        synchronized (decisions) {
            decisions.forEach((k, v) -> {
                if (lastAsked.getOrDefault(k, 0L) > mark) {
                    chosen.computeIfAbsent(k.use(), u -> new java.util.TreeMap<>()).merge(v.backend(), 1, Integer::sum);
                }
            });
            races.forEach((race, started) -> {
                if (started > mark && race.decided() == null) { // the work ended before the race settled
                    chosen.computeIfAbsent(race.use(), u -> new java.util.TreeMap<>()).merge(race.describe(), 1, Integer::sum);
                }
            });
        }
        List<String> parts = new ArrayList<>();
        chosen.forEach((use, winners) -> {
            List<String> names = new ArrayList<>();
            winners.forEach((name, shapes) -> names.add(shapes == 1 ? name : name + " (" + shapes + " shapes)"));
            parts.add(use.name().toLowerCase(Locale.ROOT) + ": " + String.join(", ", names));
        });
        return String.join("; ", parts);
    }

    /** The decision an earlier process made for {@code key}, if that backend can still serve it here; else null. */
    private Decision recall(DecisionStore remembered, Key key) {
        String name = remembered.recall(key.describe());
        if (name == null || !providers.stream().anyMatch(p -> p.name().equals(name)) || !availability(name).available()
                || !backend(name).supports(key.descriptor()).supported()
                || !SelfTest.verdict(backend(name), key.descriptor(),
                        key.use() == Use.TRAINING ? Mode.TRAINING : Mode.INFERENCE).trusted()) {
            return null;
        }
        Decision decision = new Decision(name, Map.of(name, "measured by an earlier run, remembered in " + remembered.file()));
        LOG.log(Level.INFO, "jrnn auto backend for {0} {1} threads={2}: {3}", key.use().name().toLowerCase(Locale.ROOT),
                key.descriptor(), key.threads(), decision);
        return decision;
    }

    /**
     * The backends auto may choose for {@code use} on {@code d}, in class-path order: available,
     * supporting it, trusted by their self-test, and not fallback-only unless nothing else can run
     * it. Why each other backend was passed over goes into {@code details}.
     */
    private List<String> candidates(RnnDescriptor d, Use use, Map<String, String> details) {
        List<String> candidates = new ArrayList<>();
        List<String> fallbacks = new ArrayList<>();
        for (BackendProvider p : providers) {
            String refused = refusal(p.name(), d, use);
            if (refused != null) {
                details.put(p.name(), refused);
            } else {
                (backend(p.name()).fallbackOnly() ? fallbacks : candidates).add(p.name());
            }
        }
        if (candidates.isEmpty()) {
            candidates.addAll(fallbacks);
        } else {
            fallbacks.forEach(name -> details.put(name, "fallback only, not timed"));
        }
        if (candidates.isEmpty()) {
            throw new IllegalStateException("no backend can run " + d + ": " + details);
        }
        return candidates;
    }

    /**
     * Why backend {@code name} cannot run {@code use} on {@code d} here (unavailable, unsupported,
     * or refused by its self-test), or null when it can. Loads it.
     */
    String refusal(String name, RnnDescriptor d, Use use) {
        Availability a = availability(name);
        if (!a.available()) {
            return "unavailable (" + a.reason() + ")";
        }
        Support s = backend(name).supports(d);
        if (!s.supported()) {
            return "unsupported (" + s.reason() + ")";
        }
        SelfTest.Verdict trust = SelfTest.verdict(backend(name), d, use == Use.TRAINING ? Mode.TRAINING : Mode.INFERENCE);
        return trust.trusted() ? null : "refused (" + trust.reason() + ")";
    }

    /** Times every candidate apart from any work (for {@link #decide}: {@code jrnn backends}, tests). */
    private Decision measure(RnnDescriptor d, RnnWeights weights, Use use) {
        Map<String, String> details = new LinkedHashMap<>();
        String best = null;
        double bestMillis = Double.POSITIVE_INFINITY;
        List<String> candidates = candidates(d, use, details);
        for (String name : candidates) {
            if (candidates.size() == 1) {
                details.put(name, "the only candidate");
                best = name;
                break;
            }
            try {
                double millis = time(backend(name), d, weights, use);
                details.put(name, String.format(Locale.ROOT, "%.3f ms per %d-step %s", millis, d.steps(),
                        use == Use.TRAINING ? "forward, backward and update" : "forward"));
                if (millis < bestMillis * (best == null ? 1 : 1 - MARGIN)) {
                    bestMillis = millis;
                    best = name;
                }
            } catch (RuntimeException e) {
                details.put(name, "failed while timed (" + e + ")");
            }
        }
        if (best == null) {
            throw new IllegalStateException("every backend failed on " + d + ": " + details);
        }
        return new Decision(best, details);
    }

    /**
     * Typical time of one warm call of {@code use} on {@code d} (whose T is already capped), in
     * milliseconds: an inference forward, a training step (forward, backward and the update that
     * packs the optimizer's new weights: control's memoryless GRU, T 1 and N 256, timed 0.10 ms a
     * step on onednn without it and trained 13 times slower than on simd; 0.20 ms with it), or one streaming step
     * with states in and out. A Vector
     * API backend runs at speed only once C2 has compiled it, which in a new JVM takes seconds of
     * calls on two cores, while a native one is fast from its first call: so timing runs for the
     * budget and then on while the JIT is still compiling (up to {@value #JIT_WAIT_FACTOR} times
     * the budget), so that it ranks the backends rather than the JIT's progress. The time is the
     * median of the last {@value #RECENT_CALLS} calls, not the best: a backend whose threads
     * collapse when another process takes a core (oneDNN's OpenMP barriers) has lucky fast calls
     * among slow ones. Measured on a shared 2-core Zen 5, the best call made auto train `jrnn
     * control` and `jrnn music` on onednn, 18 and 8 times slower than on simd.
     */
    private double time(Backend backend, RnnDescriptor d, RnnWeights weights, Use use) {
        FloatTensor x = FloatTensor.zeros(d.srcLayerShape());
        for (long i = 0; i < x.size(); i++) {
            x.setFlat(i, (float) Math.sin(i)); // deterministic, not all zeros: no special paths
        }
        FloatTensor y = FloatTensor.zeros(d.dstLayerShape());
        boolean lstm = d.cell().hasCellState();
        try (PreparedRnn prepared = backend.prepare(d, weights); Workspace ws = prepared.newWorkspace()) {
            RnnForward io = RnnForward.of(x, y);
            if (use == Use.STREAMING) { // the state goes in and out every step
                FloatTensor h = FloatTensor.zeros(d.iterShape()), c = lstm ? FloatTensor.zeros(d.iterShape()) : null;
                io = io.withInitialState(h, c).withFinalState(FloatTensor.zeros(d.iterShape()),
                        lstm ? FloatTensor.zeros(d.iterShape()) : null);
            }
            RnnBackward gradients = null;
            if (use == Use.TRAINING) {
                FloatTensor dy = FloatTensor.zeros(d.dstLayerShape());
                dy.fill(1e-3f);
                gradients = RnnBackward.of(dy, FloatTensor.zeros(d.srcLayerShape()), RnnWeights.zeros(d));
            }
            Mode mode = use == Use.TRAINING ? Mode.TRAINING : Mode.INFERENCE;
            long start = System.nanoTime();
            long budgetEnd = start + budget.toNanos(), hardEnd = start + JIT_WAIT_FACTOR * budget.toNanos();
            long[] recent = new long[RECENT_CALLS];
            int timed = 0;
            JitWatch jit = new JitWatch();
            for (int run = 0; run < MAX_TIMED_CALLS; run++) {
                long callStart = System.nanoTime();
                prepared.forward(mode, io, ws);
                if (gradients != null) { // a training step: forward, backward, and the optimizer's new weights
                    prepared.backward(gradients, ws);
                    prepared.update(weights);
                }
                long now = System.nanoTime();
                if (run > 0) { // the cold first call never counts
                    recent[timed++ % RECENT_CALLS] = now - callStart;
                }
                jit.look(now);
                boolean jitQuiet = jit.quietNanos(now) >= JIT_QUIET_NANOS;
                if (run >= MIN_TIMED_CALLS && (now >= hardEnd || (now >= budgetEnd && jitQuiet))) {
                    break;
                }
            }
            long[] last = Arrays.copyOf(recent, Math.min(timed, RECENT_CALLS));
            Arrays.sort(last);
            return last[last.length / 2] / 1e6;
        }
    }

    /** Every backend, its availability and reason, and the decisions made so far. */
    public String report() {
        StringBuilder sb = new StringBuilder();
        sb.append("CPU ").append(SelfTest.cpu()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores\n");
        sb.append(String.format(Locale.ROOT, "%-10s %-9s %s%n", "backend", "available", "reason"));
        for (BackendProvider p : providers) {
            Availability a = availability(p.name());
            sb.append(String.format(Locale.ROOT, "%-10s %-9s %s%n", p.name(), a.available() ? "yes" : "no", a.reason()));
        }
        decisions().forEach((key, decision) -> sb.append("auto ").append(key).append(" -> ").append(decision).append('\n'));
        SelfTest.verdicts().forEach((kind, verdict) -> sb.append("self-test ").append(kind).append(": ").append(verdict)
                .append('\n'));
        return sb.toString();
    }
}
