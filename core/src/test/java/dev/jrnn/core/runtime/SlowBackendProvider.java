package dev.jrnn.core.runtime;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
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
 * selection must never pick it while the reference can run; forced, it runs and is right.
 */
public final class SlowBackendProvider implements BackendProvider {

    static final String NAME = "slow";
    static final AtomicInteger FORWARD_CALLS = new AtomicInteger();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Availability probe() {
        return Availability.available("test backend: the reference plus 3 ms per forward");
    }

    @Override
    public Backend create() {
        return new Slow();
    }

    static final class Slow extends Backend {
        private final Backend reference = new ReferenceBackend();

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public Support supports(RnnDescriptor d) {
            return d.cell() == CellKind.GRU ? Support.no("test backend without GRU") : Support.YES;
        }

        @Override
        protected PreparedRnn prepareChecked(RnnDescriptor d, RnnWeights weights) {
            PreparedRnn inner = reference.prepare(d, weights);
            return new PreparedRnn(NAME, d) {
                @Override
                protected Workspace createWorkspace() {
                    return new Wrapped(this, inner.newWorkspace());
                }

                @Override
                protected void forwardChecked(Mode mode, RnnForward io, Workspace workspace) {
                    FORWARD_CALLS.incrementAndGet();
                    LockSupport.parkNanos(3_000_000);
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
