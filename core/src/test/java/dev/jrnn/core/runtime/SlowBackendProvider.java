package dev.jrnn.core.runtime;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnArchitecture;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.scalar.ReferenceBackend;
import dev.jrnn.core.spi.Availability;
import dev.jrnn.core.spi.Backend;
import dev.jrnn.core.spi.BackendProvider;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Support;
import dev.jrnn.core.spi.Workspace;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Test-only backend "slow": the reference, plus 3 ms of sleep in every forward, and no GRU. Auto
 * selection must prefer "quick" (the same without the sleep); forced, it runs and is right. "slow"
 * stands for a native backend (at speed from its first call), "quick" for one the JIT compiles.
 */
public class SlowBackendProvider implements BackendProvider {

    static final AtomicInteger FORWARD_CALLS = new AtomicInteger();

    private final String name;
    private final long sleepNanos;

    public SlowBackendProvider() {
        this("slow", 3_000_000);
    }

    /** Every {@code fastEvery}-th call skips the sleep (0: none does): a backend with lucky calls. */
    private final int fastEvery;
    private final AtomicInteger calls = new AtomicInteger();

    SlowBackendProvider(String name, long sleepNanos) {
        this(name, sleepNanos, 0);
    }

    SlowBackendProvider(String name, long sleepNanos, int fastEvery) {
        this(name, sleepNanos, fastEvery, 0);
    }

    /** Forwards over {@code failAtSteps} steps throw (0: none do): a backend that fails on some of the work. */
    private final int failAtSteps;

    SlowBackendProvider(String name, long sleepNanos, int fastEvery, int failAtSteps) {
        this(name, sleepNanos, fastEvery, failAtSteps, sleepNanos == 0);
    }

    /** Whether it stands for a backend the JIT compiles (by default "quick", the one that does not sleep). */
    private final boolean jit;

    SlowBackendProvider(String name, long sleepNanos, int fastEvery, int failAtSteps, boolean compiledByJit) {
        this.jit = compiledByJit;
        this.name = name;
        this.sleepNanos = sleepNanos;
        this.fastEvery = fastEvery;
        this.failAtSteps = failAtSteps;
    }

    /** Test-only backend "quick": the reference under another name, timed by auto selection. */
    public static final class Quick extends SlowBackendProvider {
        public Quick() {
            super("quick", 0);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Availability probe() {
        return Availability.available("test backend: the reference plus " + sleepNanos / 1_000_000 + " ms per forward");
    }

    @Override
    public Backend create() {
        return new Slow();
    }

    final class Slow extends Backend {
        private final Backend reference = new ReferenceBackend();

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean compiledByJit() {
            return jit;
        }

        @Override
        public Support supports(RnnDescriptor d) {
            return d.cell() == CellKind.GRU ? Support.no("test backend without GRU") : Support.YES;
        }

        @Override
        protected PreparedRnn prepareChecked(RnnArchitecture d, RnnWeights weights) {
            PreparedRnn inner = reference.prepare(d, weights);
            return new PreparedRnn(name, d) {
                @Override
                protected void updateChecked(RnnWeights w) {
                    inner.update(w);
                }

                @Override
                protected Workspace createWorkspace() {
                    return new Wrapped(this, inner.newWorkspace());
                }

                @Override
                protected void forwardChecked(Mode mode, RnnForward io, Workspace workspace) {
                    if (workspace.steps() == failAtSteps) {
                        throw new IllegalStateException("test backend " + name + " fails at T=" + failAtSteps);
                    }
                    FORWARD_CALLS.incrementAndGet();
                    boolean lucky = fastEvery > 0 && calls.incrementAndGet() % fastEvery == 0;
                    if (sleepNanos > 0 && !lucky) {
                        LockSupport.parkNanos(sleepNanos);
                    }
                    inner.forward(mode, io, ((Wrapped) workspace).inner);
                }

                @Override
                protected void backwardChecked(RnnBackward gradients, Workspace workspace) {
                    inner.backward(gradients, ((Wrapped) workspace).inner);
                }

                @Override
                protected void release() {
                    inner.close();
                }
            };
        }
    }

    private static final class Wrapped extends Workspace {
        final Workspace inner;

        Wrapped(PreparedRnn owner, Workspace inner) {
            super(owner);
            this.inner = inner;
        }

        @Override
        protected void release() {
            inner.close();
        }
    }
}
