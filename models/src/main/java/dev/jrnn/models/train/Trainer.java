package dev.jrnn.models.train;

import dev.jrnn.models.nn.Module;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * A training loop: sets the learning rate from a schedule before each step, runs the step (the
 * model's own {@code trainStep}), prints progress, evaluates and checkpoints at intervals, and
 * keeps the loss history, which it can draw ({@link History#writeSvg}).
 *
 * <pre>{@code
 * Trainer.History h = new Trainer(adam, LearningRate.warmupCosine(2e-3, 100, 5000), 5000)
 *         .progress(System.out, "tokens", 64 * 100)
 *         .validation(250, () -> model.loss(validInputs, validTargets))
 *         .checkpoints(1000, Path.of("model.safetensors"), model)
 *         .run(step -> model.trainStep(inputs(step), targets(step), null, adam, 1.0).loss());
 * h.writeSvg(Path.of("loss.svg"), "char-LSTM");
 * }</pre>
 */
public final class Trainer {

    /** One training step; returns its loss. */
    @FunctionalInterface
    public interface Step {
        double run(long step);
    }

    /** The losses seen: training every step, validation at its interval, as (step, loss) points. */
    public record History(List<double[]> training, List<double[]> validation) {
        public void writeSvg(Path path, String title) throws IOException {
            Map<String, LossCurve.Series> series = new LinkedHashMap<>();
            series.put("training", new LossCurve.Series(training));
            if (!validation.isEmpty()) {
                series.put("validation", new LossCurve.Series(validation));
            }
            LossCurve.writeSvg(path, title, series);
        }

        public double lastTraining() {
            return training.get(training.size() - 1)[1];
        }
    }

    private final Optimizer optimizer;
    private final LearningRate schedule;
    private final long steps;
    private java.util.function.Consumer<String> out;
    private String unit = "steps";
    private long itemsPerStep = 1;
    private long validateEvery;
    private DoubleSupplier validation;
    private long checkpointEvery;
    private Path checkpoint;
    private Module model;

    public Trainer(Optimizer optimizer, LearningRate schedule, long steps) {
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.steps = steps;
    }

    /** Prints a progress line about once a second to {@code out}, counting {@code itemsPerStep} {@code unit} a step. */
    public Trainer progress(PrintStream out, String unit, long itemsPerStep) {
        return progress(out::println, unit, itemsPerStep);
    }

    /** As {@link #progress(PrintStream, String, long)}, with the lines (and validation results) going to {@code lines}. */
    public Trainer progress(java.util.function.Consumer<String> lines, String unit, long itemsPerStep) {
        this.out = lines;
        this.unit = unit;
        this.itemsPerStep = itemsPerStep;
        return this;
    }

    public Trainer validation(long every, DoubleSupplier loss) {
        this.validateEvery = every;
        this.validation = loss;
        return this;
    }

    /** Saves a {@link Checkpoint} of {@code model} every {@code every} steps and at the end, atomically. */
    public Trainer checkpoints(long every, Path path, Module model) {
        this.checkpointEvery = every;
        this.checkpoint = path;
        this.model = model;
        return this;
    }

    /** Runs from the optimizer's current step (0, or where a loaded checkpoint left off) to {@code steps}. */
    public History run(Step step) {
        List<double[]> training = new ArrayList<>(), validated = new ArrayList<>();
        Progress progress = out == null ? null : new Progress(steps, unit, out);
        for (long s = optimizer.steps(); s < steps; s++) {
            optimizer.learningRate(schedule.at(s));
            double loss = step.run(s);
            if (!Double.isFinite(loss)) {
                throw new IllegalStateException("the loss became " + loss + " at step " + (s + 1)
                        + ": lower the learning rate or clip gradients harder");
            }
            training.add(new double[] {s + 1, loss});
            if (progress != null) {
                progress.update(s + 1, loss, itemsPerStep);
            }
            if (validation != null && ((s + 1) % validateEvery == 0 || s + 1 == steps)) {
                double v = validation.getAsDouble();
                validated.add(new double[] {s + 1, v});
                if (out != null) {
                    out.accept(String.format(java.util.Locale.ROOT, "step %d: validation loss %.4f", s + 1, v));
                }
            }
            if (checkpoint != null && ((s + 1) % checkpointEvery == 0 || s + 1 == steps)) {
                try {
                    Checkpoint.save(checkpoint, model, optimizer, Map.of());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot save the checkpoint " + checkpoint, e);
                }
            }
        }
        return new History(training, validated);
    }
}
