package dev.jrnn.core.runtime;

import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Auto selection on the caller's own work: each call runs on one of the candidate backends and is
 * timed, whatever it costs that backend (its plan, its first call, a new shape's primitives, the
 * optimizer's re-pack); once every candidate's time has settled the fastest is kept, the others
 * are closed, and the decision is recorded in the {@link BackendSelector} (and remembered between
 * processes when it remembers). No call is spent on timing alone: timing apart from the work cost
 * a command's first run 1.3-2x its time (three to six decisions, each timing two backends until
 * the JIT had been quiet for half a second) and ranked backends by a call that left out what the
 * work really paid (control's GRU timed 20% faster on oneDNN and trained 13 times slower there).
 *
 * <p>While racing, the next call goes to the unsettled candidate that has spent the least time
 * (its cold first call not counted), so a slow candidate costs at most as much time as a fast one
 * spends settling. A backend no one in the process has loaded yet joins only once the others
 * have spent the selector's budget or settled. A candidate has settled after {@value #MIN_SAMPLES}
 * timed calls (its first never counts) and, when the JIT compiles it ({@link
 * Backend#compiledByJit()}), once the JIT has compiled nothing for {@value
 * BackendSelector#JIT_QUIET_NANOS} ns or the candidate has spent its cap; a native candidate
 * whose every call is {@value #OUTCLASSED} times another's median leaves after two samples; the
 * race ends early when a candidate the JIT still compiles already leads. A candidate's
 * time is the median of its last {@value BackendSelector#RECENT_CALLS} calls per sequence step
 * (training: forward, backward and update together). Calls are serialized while racing (the
 * candidates' weights are packed lazily, and a plan may not be updated while it runs), and run
 * without a lock on the winner afterwards.
 */
public final class RacingRnn extends PreparedRnn {

    /** Timed calls a candidate needs before its time counts. */
    static final int MIN_SAMPLES = 5;

    /** How many times slower than another's median a native candidate's every call must be to leave the race early. */
    static final double OUTCLASSED = 2;

    private final BackendSelector selector;
    private final BackendSelector.Key key;
    private final Runner[] runners;
    private final long capNanos, deferNanos;
    /** The weights of the last prepare or update, packed into a candidate before its next call; null once settled. */
    private RnnWeights weights;
    private long weightsVersion;
    private final JitWatch jit = new JitWatch();
    private volatile PreparedRnn winner;

    /** One candidate: its backend (loaded at its first call when deferred), its plan (made then) and what its calls cost. */
    private static final class Runner {
        final String name;
        /** Null until loaded: a backend no one in this process had loaded yet waits until the race needs it. */
        Backend backend;
        PreparedRnn prepared;
        /** Why it left the race (it failed on the work, or it turned out not to be a candidate), or null. */
        String excluded;
        long packedVersion;
        /** Time of its calls but the first (a cold first call, oneDNN's primitives or the JIT's first compilations, must not hold back its samples), and of all. */
        long spentNanos, totalNanos;
        int calls;
        final double[] recent = new double[BackendSelector.RECENT_CALLS];
        int samples;
        /** The sample of the last forward (backward adds to it), or -1 for a first call; its work in sequence steps. */
        int lastSlot = -1;
        long lastWork;

        Runner(String name, Backend backend) {
            this.name = name;
            this.backend = backend;
        }

        double median() {
            double[] last = Arrays.copyOf(recent, Math.min(samples, recent.length));
            Arrays.sort(last);
            return last[last.length / 2];
        }
    }

    /**
     * @param ready    loaded candidates, in the order preferred on a near tie
     * @param deferred backends not loaded yet in this process (oneDNN takes 0.4 s), tried once the
     *                 ready ones have spent {@code deferNanos} or settled: work too short to pay for
     *                 loading one never loads it
     */
    RacingRnn(BackendSelector selector, BackendSelector.Key key, List<Backend> ready, List<String> deferred,
            RnnArchitecture architecture, RnnWeights weights, long capNanos, long deferNanos) {
        super(BackendSelector.AUTO, architecture);
        if (ready.isEmpty() || ready.size() + deferred.size() < 2) {
            throw new IllegalArgumentException("a race needs a loaded candidate and another: " + ready + ", " + deferred);
        }
        this.selector = selector;
        this.key = key;
        this.runners = new Runner[ready.size() + deferred.size()];
        for (int i = 0; i < ready.size(); i++) {
            runners[i] = new Runner(ready.get(i).name(), ready.get(i));
        }
        for (int i = 0; i < deferred.size(); i++) {
            runners[ready.size() + i] = new Runner(deferred.get(i), null);
        }
        this.weights = weights;
        this.capNanos = capNanos;
        this.deferNanos = deferNanos;
    }

    /** The backend the race settled on, or null while it runs. */
    public String decided() {
        PreparedRnn won = winner;
        return won == null ? null : won.backendName();
    }

    /**
     * The backend {@code plan} runs on: its own, or a race's winner, or while it races the
     * candidate that has run the most calls and those it races, e.g. {@code "simd, racing onednn"}
     * (work too short for the race to settle is reported so).
     */
    public static String runningOn(PreparedRnn plan) {
        return plan instanceof RacingRnn race ? race.describe() : plan.backendName();
    }

    synchronized String describe() {
        PreparedRnn won = winner;
        if (won != null) {
            return won.backendName();
        }
        Runner leader = runners[0];
        for (Runner r : runners) {
            if (r.calls > leader.calls) {
                leader = r;
            }
        }
        List<String> others = new java.util.ArrayList<>();
        for (Runner r : runners) {
            if (r != leader) {
                others.add(r.name);
            }
        }
        return leader.name + ", racing " + String.join(", ", others);
    }

    /** Calls {@code backend} has run so far (tests). */
    synchronized int calls(String backend) {
        return Arrays.stream(runners).filter(r -> r.name.equals(backend)).mapToInt(r -> r.calls).sum();
    }

    /** The use this race decides for. */
    Use use() {
        return key.use();
    }

    /** The candidates, in the order they are preferred on a near tie. */
    public List<String> candidates() {
        return Arrays.stream(runners).map(r -> r.name).toList();
    }

    @Override
    protected Workspace createWorkspace() {
        return new RacingWorkspace(this, runners.length);
    }

    @Override
    protected void forwardChecked(Mode mode, RnnForward io, Workspace workspace) {
        RacingWorkspace ws = (RacingWorkspace) workspace;
        PreparedRnn won = winner;
        if (won != null) {
            runOn(won, mode, io, ws);
            return;
        }
        synchronized (this) {
            Runner runner;
            long start;
            while (true) {
                runner = winner == null ? next() : null;
                if (runner == null) {
                    runOn(winner, mode, io, ws);
                    return;
                }
                start = System.nanoTime();
                try {
                    if (runner.backend == null) { // a deferred candidate's first call: load and check it (timed with the call)
                        String refused = selector.refusal(runner.name, key.descriptor(), key.use());
                        if (refused != null) {
                            runner.excluded = refused;
                            continue;
                        }
                        if (selector.backend(runner.name).fallbackOnly()) {
                            runner.excluded = "fallback only, not timed";
                            continue;
                        }
                        runner.backend = selector.backend(runner.name);
                    }
                    if (runner.prepared == null) {
                        runner.prepared = runner.backend.prepare(architecture(), weights);
                        runner.packedVersion = weightsVersion;
                    } else if (runner.packedVersion != weightsVersion) {
                        runner.prepared.update(weights);
                        runner.packedVersion = weightsVersion;
                    }
                    runOn(runner.prepared, mode, io, ws);
                    break;
                } catch (RuntimeException e) { // the arguments passed our checks: the candidate failed, not the call
                    runner.excluded = "failed on the work (" + e + ")";
                    if (Arrays.stream(runners).allMatch(r -> r.excluded != null)) {
                        throw e;
                    }
                }
            }
            long now = System.nanoTime();
            long work = 0;
            for (int n = 0; n < ws.batch(); n++) {
                work += ws.length(n);
            }
            runner.totalNanos += now - start;
            if (runner.calls > 0) {
                runner.spentNanos += now - start;
            }
            runner.lastWork = Math.max(1, work);
            runner.lastSlot = runner.calls++ == 0 ? -1 : runner.samples++ % runner.recent.length;
            if (runner.lastSlot >= 0) {
                runner.recent[runner.lastSlot] = (double) (now - start) / runner.lastWork;
            }
            jit.look(now);
        }
    }

    private static void runOn(PreparedRnn plan, Mode mode, RnnForward io, RacingWorkspace ws) {
        ws.active = plan;
        plan.forward(mode, io, ws.inner(plan));
    }

    @Override
    protected void backwardChecked(RnnBackward gradients, Workspace workspace) {
        RacingWorkspace ws = (RacingWorkspace) workspace;
        PreparedRnn ran = ws.active;
        if (ran == null || ran.isClosed()) {
            throw new IllegalStateException("auto settled on " + decided() + " after this workspace's training forward ran on "
                    + (ran == null ? "nothing" : ran.backendName()) + ": run the forward again before backward");
        }
        if (ran == winner) {
            ran.backward(gradients, ws.inner(ran));
            return;
        }
        synchronized (this) {
            long start = System.nanoTime();
            ran.backward(gradients, ws.inner(ran));
            long nanos = System.nanoTime() - start;
            for (Runner r : runners) {
                if (r.prepared == ran) {
                    r.totalNanos += nanos;
                    if (r.lastSlot >= 0) { // the backward of a first call is part of that cold call
                        r.spentNanos += nanos;
                        r.recent[r.lastSlot] += (double) nanos / r.lastWork;
                    }
                }
            }
        }
    }

    @Override
    protected void updateChecked(RnnWeights newWeights) {
        PreparedRnn won = winner;
        if (won != null) {
            won.update(newWeights);
            return;
        }
        synchronized (this) {
            if (winner != null) {
                winner.update(newWeights);
            } else { // packed into each candidate before its next call, timed as part of it
                weights = newWeights;
                weightsVersion++;
            }
        }
    }

    /** The candidate to run next, or null after settling the race (then {@link #winner} is set). Holds the lock. */
    private Runner next() {
        long now = System.nanoTime();
        boolean startedSettled = true;
        long mostSpent = 0;
        for (Runner r : runners) {
            if (r.backend != null) {
                startedSettled &= settled(r, now);
                mostSpent = Math.max(mostSpent, r.spentNanos);
            }
        }
        boolean loadDeferred = startedSettled || mostSpent >= deferNanos;
        Runner next = null;
        for (Runner r : runners) {
            if (settled(r, now) || (r.backend == null && !loadDeferred)) {
                continue;
            }
            if (next == null || r.spentNanos < next.spentNanos) {
                next = r;
            }
        }
        if (next == null || warmingLeader()) {
            settle();
            return null;
        }
        return next;
    }

    /**
     * Whether every candidate has its samples and the fastest so far is one the JIT is still
     * compiling: it only gets faster, so waiting for the JIT would spend calls on the others for
     * nothing (most of a short command's work, measured on anomalies' four small GRUs).
     */
    private boolean warmingLeader() {
        for (Runner r : runners) {
            if (!sampled(r)) {
                return false;
            }
        }
        return best().backend.compiledByJit();
    }

    /** The fastest that did not fail (a later candidate must be {@link BackendSelector#MARGIN} faster to displace an earlier one). */
    private Runner best() {
        Runner best = null;
        for (Runner r : runners) {
            if (r.excluded == null && (best == null || r.median() < best.median() * (1 - BackendSelector.MARGIN))) {
                best = r;
            }
        }
        return best;
    }

    private boolean settled(Runner r, long now) {
        if (!sampled(r)) {
            return false;
        }
        if (r.excluded != null || r.samples < MIN_SAMPLES) {
            return true; // left the race, or outclassed
        }
        return !r.backend.compiledByJit() || jit.quietNanos(now) >= BackendSelector.JIT_QUIET_NANOS
                || r.spentNanos >= capNanos;
    }

    /** Whether {@code r} needs no more calls to be ranked: it left the race, has its samples, or is outclassed. */
    private boolean sampled(Runner r) {
        return r.excluded != null || r.samples >= MIN_SAMPLES
                || (r.samples >= 2 && !r.backend.compiledByJit() && outclassed(r));
    }

    /**
     * Whether even {@code r}'s fastest call took more than {@value #OUTCLASSED} times another
     * candidate's median (over its {@value #MIN_SAMPLES} samples or more). Asked only of a backend
     * at speed from its first call: one the JIT compiles may still get faster.
     */
    private boolean outclassed(Runner r) {
        double fastest = Double.POSITIVE_INFINITY;
        for (int i = 0; i < Math.min(r.samples, r.recent.length); i++) {
            fastest = Math.min(fastest, r.recent[i]);
        }
        for (Runner o : runners) {
            if (o != r && o.excluded == null && o.samples >= MIN_SAMPLES && fastest > OUTCLASSED * o.median()) {
                return true;
            }
        }
        return false;
    }

    /** Keeps the fastest, closes the others, records the decision. */
    private void settle() {
        Runner best = best();
        Map<String, String> details = new LinkedHashMap<>();
        for (Runner r : runners) {
            details.put(r.name, r.excluded != null ? r.excluded : String.format(Locale.ROOT, "%.3f us per sequence step, median of %d of %d calls on the work (%.0f ms)",
                    r.median() / 1e3, Math.min(r.samples, r.recent.length), r.calls, r.totalNanos / 1e6));
        }
        if (best.packedVersion != weightsVersion) {
            best.prepared.update(weights);
        }
        for (Runner r : runners) {
            if (r != best && r.prepared != null) {
                r.prepared.close();
            }
        }
        weights = null;
        winner = best.prepared;
        selector.record(key, new BackendSelector.Decision(best.backend.name(), details));
    }

    @Override
    protected synchronized void release() {
        long now = System.nanoTime();
        if (winner == null && (Arrays.stream(runners).allMatch(r -> settled(r, now)) || warmingLeader())) {
            settle(); // the work ended where the next call would have settled the race: keep what it found
        }
        for (Runner r : runners) {
            if (r.prepared != null) {
                r.prepared.close();
            }
        }
        weights = null;
    }

    /** One caller's workspaces, one per candidate it has run on; those of closed candidates are freed at the next call. */
    private static final class RacingWorkspace extends Workspace {
        private final PreparedRnn[] plans;
        private final Workspace[] inner;
        PreparedRnn active;

        RacingWorkspace(RacingRnn owner, int candidates) {
            super(owner);
            this.plans = new PreparedRnn[candidates];
            this.inner = new Workspace[candidates];
        }

        Workspace inner(PreparedRnn plan) {
            Workspace found = null;
            for (int i = 0; i < inner.length; i++) {
                if (plans[i] == plan) {
                    found = inner[i];
                } else if (plans[i] != null && plans[i].isClosed()) { // a candidate that lost
                    inner[i].close();
                    plans[i] = null;
                    inner[i] = null;
                }
            }
            if (found == null) {
                for (int i = 0; i < inner.length; i++) {
                    if (plans[i] == null) {
                        plans[i] = plan;
                        inner[i] = found = plan.newWorkspace();
                        break;
                    }
                }
            }
            return found;
        }

        @Override
        protected void release() {
            for (int i = 0; i < inner.length; i++) {
                if (inner[i] != null) {
                    inner[i].close();
                }
            }
        }
    }
}
