package dev.jrnn.onednn;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Keeps native memory alive while calls use it: {@link #enter()} before a call touches native
 * memory, {@link #exit()} after; {@link #closeAndAwait()} refuses new calls and waits for running
 * ones, so closing from another thread can never free memory under a running primitive.
 * Allocation-free.
 */
final class Guard {

    private final AtomicInteger running = new AtomicInteger();
    private volatile boolean closing;
    private final String what;

    Guard(String what) {
        this.what = what;
    }

    void enter() {
        running.incrementAndGet();
        if (closing) {
            running.decrementAndGet();
            throw new IllegalStateException(what + " was closed");
        }
    }

    void exit() {
        running.decrementAndGet();
    }

    void closeAndAwait() {
        closing = true;
        while (running.get() != 0) {
            Thread.yield();
        }
    }
}
