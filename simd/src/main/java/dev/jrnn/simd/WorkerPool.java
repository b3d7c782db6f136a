package dev.jrnn.simd;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One small persistent pool shared by every prepared stack: the caller is worker 0 and up to
 * {@code threads - 1} daemon helpers join it. A task partitions its work by (worker, parties)
 * with fixed arithmetic, so its results do not depend on how many parties ran it; that lets a
 * call that finds the pool busy (another thread is using it) simply run alone, with the same result.
 *
 * <p>Waiting spins briefly, then yields, then (idle helpers) parks: a busy machine's other threads
 * get the core instead of a spinning waiter.
 */
final class WorkerPool {

    /** Work split by (worker, parties); {@code barrier} synchronises the parties of one run. */
    interface Task {
        void run(int worker, int parties, Barrier barrier);
    }

    /** Spins (about 28 ns each here) before a barrier waiter yields: ~30 us, several steps' work at batch 1. */
    private static final int SPINS = 1 << 10;
    /** Spins before an idle helper parks: ~0.1 ms, so back-to-back calls find it awake but a quiet service does not pay a spinning core. */
    private static final int IDLE_SPINS = 1 << 12;

    private static final class Holder {
        static final WorkerPool SHARED = new WorkerPool(Math.max(0, Runtime.getRuntime().availableProcessors() - 1));
    }

    static WorkerPool shared() {
        return Holder.SHARED;
    }

    private final Helper[] helpers;
    private final ReentrantLock lock = new ReentrantLock();
    private final Barrier barrier = new Barrier();
    private volatile int pending;
    private volatile Throwable failure;

    WorkerPool(int helperCount) {
        helpers = new Helper[helperCount];
    }

    /** The most parties a run can have. */
    int maxParties() {
        return helpers.length + 1;
    }

    /** Runs {@code task} with {@code parties} workers (fewer when the pool is busy or small); returns when all finished. */
    void run(Task task, int parties) {
        parties = Math.min(parties, maxParties());
        if (parties <= 1 || !lock.tryLock()) {
            task.run(0, 1, Barrier.NONE);
            return;
        }
        try {
            failure = null;
            barrier.reset(parties);
            pending = parties - 1;
            for (int w = 1; w < parties; w++) {
                helper(w - 1).post(task, w, parties);
            }
            try {
                task.run(0, parties, barrier);
            } catch (RuntimeException | Error e) {
                barrier.breakBarrier();
                throw e;
            } finally {
                for (int spins = 0; pending > 0; spins++) {
                    pause(spins);
                }
            }
            Throwable f = failure;
            if (f != null) {
                throw new IllegalStateException("a jrnn worker thread failed", f);
            }
        } finally {
            lock.unlock();
        }
    }

    private Helper helper(int i) {
        Helper h = helpers[i];
        if (h == null) {
            h = new Helper(this, i + 1);
            helpers[i] = h;
            h.thread.start();
        }
        return h;
    }

    private static void pause(int spins) {
        if (spins < SPINS) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    private static final VarHandle PENDING;

    static {
        try {
            PENDING = MethodHandles.lookup().findVarHandle(WorkerPool.class, "pending", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private void finished(Throwable t) {
        if (t != null) {
            failure = t;
            barrier.breakBarrier();
        }
        PENDING.getAndAdd(this, -1);
    }

    private static final class Helper implements Runnable {
        final WorkerPool pool;
        final Thread thread;
        private volatile int posted; // generation of the last posted task
        private Task task;
        private int worker, parties;

        Helper(WorkerPool pool, int index) {
            this.pool = pool;
            this.thread = new Thread(this, "jrnn-simd-worker-" + index);
            thread.setDaemon(true);
        }

        void post(Task t, int w, int p) {
            task = t;
            worker = w;
            parties = p;
            posted = posted + 1; // volatile write publishes the fields above
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            int done = 0;
            while (true) {
                for (int spins = 0; posted == done; spins++) {
                    if (spins < IDLE_SPINS) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                }
                done = posted;
                Throwable thrown = null;
                try {
                    task.run(worker, parties, pool.barrier);
                } catch (Throwable t) {
                    thrown = t;
                }
                task = null;
                pool.finished(thrown);
            }
        }
    }

    /** A reusable barrier for the parties of one run; broken when a party fails, so the others do not wait forever. */
    static final class Barrier {
        static final Barrier NONE = new Barrier();

        private volatile int arrived;
        private volatile int generation;
        private volatile boolean broken;
        private int parties = 1;

        private static final VarHandle ARRIVED;

        static {
            try {
                ARRIVED = MethodHandles.lookup().findVarHandle(Barrier.class, "arrived", int.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        void reset(int p) {
            parties = p;
            arrived = 0;
            broken = false;
        }

        void breakBarrier() {
            broken = true;
        }

        /** Waits until every party has arrived. */
        void await() {
            if (parties <= 1) {
                return;
            }
            int gen = generation;
            if ((int) ARRIVED.getAndAdd(this, 1) == parties - 1) {
                arrived = 0;
                generation = gen + 1;
                return;
            }
            for (int spins = 0; generation == gen; spins++) {
                if (broken) {
                    throw new IllegalStateException("another jrnn worker failed");
                }
                pause(spins);
            }
        }
    }
}
