package dev.jrnn.models.train;

import java.io.PrintStream;
import java.util.function.Consumer;
import java.time.Duration;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * One line of progress for a long training run, printed at most once per interval:
 * {@code step 1200/5000 (24%)  loss 1.873  412 tokens/s  elapsed 0:49  left 2:36}. The loss shown
 * is an exponential moving average, so the line is readable while single steps are noisy.
 */
public final class Progress {

    private final String unit;
    private final long total;
    private final Consumer<String> out;
    private final LongSupplier clock;
    private final long intervalNanos, start;
    private long lastPrint, items;
    private double average = Double.NaN;

    public Progress(long totalSteps, String unit, PrintStream out) {
        this(totalSteps, unit, out::println);
    }

    /** Progress lines go to {@code lines} (a logger, a terminal writer). */
    public Progress(long totalSteps, String unit, Consumer<String> lines) {
        this(totalSteps, unit, lines, System::nanoTime, Duration.ofSeconds(1));
    }

    Progress(long totalSteps, String unit, Consumer<String> out, LongSupplier clock, Duration interval) {
        this.total = totalSteps;
        this.unit = unit;
        this.out = out;
        this.clock = clock;
        this.intervalNanos = interval.toNanos();
        this.start = clock.getAsLong();
        this.lastPrint = start;
    }

    /** Records step {@code step} (from 1) with its loss and the items (tokens, sequences) it processed. */
    public void update(long step, double loss, long processed) {
        items += processed;
        average = Double.isNaN(average) ? loss : 0.9 * average + 0.1 * loss;
        long now = clock.getAsLong();
        if (now - lastPrint >= intervalNanos || step == total) {
            lastPrint = now;
            out.accept(line(step, now));
        }
    }

    public double averageLoss() {
        return average;
    }

    String line(long step, long now) {
        double seconds = Math.max(1e-9, (now - start) / 1e9);
        double left = step == 0 ? 0 : seconds / step * (total - step);
        return String.format(Locale.ROOT, "step %d/%d (%d%%)  loss %.4f  %.0f %s/s  elapsed %s  left %s",
                step, total, step * 100 / Math.max(1, total), average, items / seconds, unit, clock(seconds), clock(left));
    }

    private static String clock(double seconds) {
        long s = Math.round(seconds);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
