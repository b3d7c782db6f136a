package dev.jrnn.models.train;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.io.AtomicFiles;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Rng;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.Function;

/**
 * The training loop of every model: sets the learning rate from a schedule before each step, runs
 * the step, prints progress, validates, stops early, checkpoints, and keeps the loss history, which
 * it can write as CSV ({@link History#writeCsv}). {@link #fit} feeds batches of a data set, shuffled each
 * epoch; {@link #run} takes any step (truncated BPTT over a stream, generated data).
 *
 * <pre>{@code
 * Optimizer adam = Optimizer.adam(model, 2e-3);
 * long steps = Trainer.steps(10, examples.size(), 32);
 * Trainer.History h = new Trainer(adam, LearningRate.warmupCosine(2e-3, steps / 20, steps), steps)
 *         .progress(System.out, "sequences", 32)
 *         .validationEachEpoch(() -> model.loss(held.tokens(), held.lengths(), held.labels()))
 *         .earlyStopping(3, model)
 *         .checkpoints(100, Path.of("model.safetensors"), model)
 *         .fit(examples, 32, Batches::of, b -> model.trainStep(b.tokens(), b.lengths(), b.labels(), adam, 5.0));
 * }</pre>
 *
 * <p>Seeded ({@link #seed}): the order of the examples and {@link #random()} (for a step's own
 * randomness: augmentation, word dropout) come from generators that checkpoints save with the
 * model's (dropout), so a run resumed by {@link #resume} is bitwise the run that never stopped.
 */
public final class Trainer {

    /** One training step; returns its loss. */
    @FunctionalInterface
    public interface Step {
        double run(long step);
    }

    /** One training step on a batch; returns its mean loss. */
    @FunctionalInterface
    public interface BatchStep<B> {
        double train(B batch);
    }

    /**
     * The losses seen: training every step and validation at its interval, as (step, loss)
     * points; with {@link #fit}, each epoch's mean training loss per example as (epoch, loss);
     * the best validation (NaN without validation) and its step; the step early stopping ended
     * the run after (0: it ran to the end).
     */
    public record History(List<double[]> training, List<double[]> validation, List<double[]> epochs,
                          double bestValidation, long bestStep, long stoppedEarlyAt) {
        /**
         * The curves as CSV, one point a line: {@code series,step,loss} with the series
         * {@code training}, {@code validation} or {@code epoch} (a NaN loss is written as
         * {@code NaN}); written atomically. The library draws nothing, so it needs no charting
         * library: a spreadsheet or plotting tool draws this file, and {@code jrnn}'s commands
         * draw their curves as PNG.
         */
        public void writeCsv(Path path) throws IOException {
            StringBuilder csv = new StringBuilder("series,step,loss\n");
            String[] names = {"training", "validation", "epoch"};
            List<List<double[]>> curves = List.of(training, validation, epochs);
            for (int c = 0; c < names.length; c++) {
                for (double[] p : curves.get(c)) {
                    csv.append(names[c]).append(',').append((long) p[0]).append(',').append(p[1]).append('\n');
                }
            }
            byte[] bytes = csv.toString().getBytes(StandardCharsets.UTF_8);
            AtomicFiles.write(path, out -> out.write(bytes));
        }

        public double lastTraining() {
            return training.get(training.size() - 1)[1];
        }

        /** The mean training loss per step over the last {@code share} of the steps (at least one step). */
        public double meanOfLast(double share) {
            int from = training.size() - Math.max(1, (int) (training.size() * share));
            return training.subList(from, training.size()).stream().mapToDouble(l -> l[1]).average().orElse(Double.NaN);
        }
    }

    private final Optimizer optimizer;
    private final LearningRate schedule;
    private final long steps;
    private Consumer<String> out;
    private String unit = "steps";
    private long itemsPerStep = 1;
    private long validateEvery;
    private boolean validateEachEpoch;
    private DoubleSupplier validation;
    private int patience;
    private Module restoreBest;
    private long checkpointEvery;
    private Path checkpoint;
    private Module model;
    private Map<String, String> checkpointInfo = Map.of();
    private boolean shuffle = true, dropLast;
    private final Rng order = new Rng(0), epochStart = new Rng(0), random = new Rng(1);

    public Trainer(Optimizer optimizer, LearningRate schedule, long steps) {
        if (steps < 0) {
            throw new IllegalArgumentException("steps must not be negative, got " + steps);
        }
        this.optimizer = optimizer;
        this.schedule = schedule;
        this.steps = steps;
    }

    /** The steps of {@code epochs} passes over {@code examples} in batches of {@code batchSize} (the last one may be smaller). */
    public static long steps(int epochs, int examples, int batchSize) {
        if (epochs < 0 || examples < 1 || batchSize < 1) {
            throw new IllegalArgumentException("epochs " + epochs + ", examples " + examples + " and batch size " + batchSize
                    + ": the examples and the batch size must be positive");
        }
        return (long) epochs * ((examples + batchSize - 1) / batchSize);
    }

    /** Prints a progress line about once a second to {@code out}, counting {@code itemsPerStep} {@code unit} a step. */
    public Trainer progress(PrintStream out, String unit, long itemsPerStep) {
        return progress(out::println, unit, itemsPerStep);
    }

    /** As {@link #progress(PrintStream, String, long)}, with the lines (and validation results) going to {@code lines}. */
    public Trainer progress(Consumer<String> lines, String unit, long itemsPerStep) {
        this.out = lines;
        this.unit = unit;
        this.itemsPerStep = itemsPerStep;
        return this;
    }

    /** Computes the validation loss every {@code every} steps and at the end. */
    public Trainer validation(long every, DoubleSupplier loss) {
        if (every < 1) {
            throw new IllegalArgumentException("validation interval must be positive, got " + every);
        }
        this.validateEvery = every;
        this.validateEachEpoch = false;
        this.validation = loss;
        return this;
    }

    /** With {@link #fit}: computes the validation loss after every epoch. */
    public Trainer validationEachEpoch(DoubleSupplier loss) {
        this.validateEachEpoch = true;
        this.validation = loss;
        return this;
    }

    /**
     * Stops when the validation loss has not improved for {@code patience} validations in a row;
     * then, if {@code restoreBest} is not null, puts back its weights from the best validation.
     */
    public Trainer earlyStopping(int patience, Module restoreBest) {
        if (patience < 1) {
            throw new IllegalArgumentException("patience must be positive, got " + patience);
        }
        this.patience = patience;
        this.restoreBest = restoreBest;
        return this;
    }

    /**
     * Saves a {@link Checkpoint} of {@code model}, the optimizer and every generator (the model's
     * and the loop's) every {@code every} steps and at the end, atomically.
     */
    public Trainer checkpoints(long every, Path path, Module model) {
        return checkpoints(every, path, model, Map.of());
    }

    /** As {@link #checkpoints(long, Path, Module)}, with {@code info} in every checkpoint's metadata. */
    public Trainer checkpoints(long every, Path path, Module model, Map<String, String> info) {
        if (every < 1) {
            throw new IllegalArgumentException("checkpoint interval must be positive, got " + every);
        }
        this.checkpointEvery = every;
        this.checkpoint = path;
        this.model = model;
        this.checkpointInfo = Map.copyOf(info);
        return this;
    }

    /** Seeds the order of the examples and {@link #random()} (default seed 0). */
    public Trainer seed(long seed) {
        order.state(seed);
        random.state(seed ^ 0x5DEECE66DL);
        return this;
    }

    /** With {@link #fit}: whether each epoch visits the examples in a new random order (the default) or as given. */
    public Trainer shuffle(boolean value) {
        shuffle = value;
        return this;
    }

    /** With {@link #fit}: whether an epoch skips its last, smaller batch (default: it does not). */
    public Trainer dropLast(boolean value) {
        dropLast = value;
        return this;
    }

    /** A generator for a step's own randomness (augmentation, word dropout), saved in checkpoints. */
    public Rng random() {
        return random;
    }

    private Map<String, Rng> generators() {
        Map<String, Rng> g = new LinkedHashMap<>();
        g.put("trainer.order", order);
        g.put("trainer.epoch_start", epochStart);
        g.put("trainer.random", random);
        return g;
    }

    /**
     * Restores the model and optimizer of {@link #checkpoints} and this loop's generators from
     * {@code path}, so that the next {@link #fit} or {@link #run} continues at the saved step as
     * if it had never stopped. Returns the checkpoint's metadata. The temporary files that a
     * killed run's unfinished checkpoint writes left beside the checkpoint path are deleted: this
     * run is now the one writing it.
     */
    public Map<String, String> resume(Path path) throws IOException {
        if (model == null) {
            throw new IllegalStateException("resume needs the model: call checkpoints(every, path, model) first");
        }
        Map<String, String> info = Checkpoint.load(path, model, optimizer, generators());
        AtomicFiles.removeLeftovers(checkpoint);
        return info;
    }

    /**
     * Trains on {@code examples} in batches of {@code batchSize}, epoch after epoch until the
     * step count, each epoch in a new seeded order (unless {@link #shuffle}(false));
     * {@code collate} turns a batch's examples into what {@code step} trains on (e.g.
     * {@code dev.jrnn.models.data.Batches}).
     */
    public <E, B> History fit(List<E> examples, int batchSize, Function<List<E>, B> collate, BatchStep<B> step) {
        int n = examples.size();
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        int perEpoch = dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
        if (perEpoch == 0) {
            throw new IllegalArgumentException(n + " examples make no " + (dropLast ? "whole " : "") + "batch of " + batchSize);
        }
        int[] permutation = new int[n];
        long[] drawnFor = {-1};
        double[] epochSum = new double[2]; // loss * examples, examples
        List<double[]> epochs = new ArrayList<>();
        History h = loop(s -> {
            long epoch = s / perEpoch;
            int index = (int) (s % perEpoch);
            if (drawnFor[0] != epoch) {
                if (index == 0) {
                    epochStart.state(order.state()); // a new epoch: checkpoints keep where its order came from
                } else {
                    order.state(epochStart.state()); // resumed inside an epoch: draw its order again
                }
                for (int i = 0; i < n; i++) {
                    permutation[i] = i;
                }
                if (shuffle) {
                    order.shuffle(permutation);
                }
                drawnFor[0] = epoch;
                epochSum[0] = epochSum[1] = 0;
            }
            int from = index * batchSize, to = Math.min(n, from + batchSize);
            List<E> batch = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                batch.add(examples.get(permutation[i]));
            }
            double loss = step.train(collate.apply(batch));
            epochSum[0] += loss * batch.size();
            epochSum[1] += batch.size();
            if (index == perEpoch - 1) {
                epochs.add(new double[] {epoch + 1, epochSum[0] / epochSum[1]});
            }
            return loss;
        }, validateEachEpoch ? perEpoch : validateEvery);
        return new History(h.training(), h.validation(), epochs, h.bestValidation(), h.bestStep(), h.stoppedEarlyAt());
    }

    /** Runs {@code step} from the optimizer's current step (0, or where a resumed checkpoint left off) to the step count. */
    public History run(Step step) {
        if (validateEachEpoch) {
            throw new IllegalStateException("validation each epoch needs fit (run has no epochs): use validation(every, loss)");
        }
        return loop(step, validateEvery);
    }

    private History loop(Step step, long validateEvery) {
        List<double[]> training = new ArrayList<>(), validated = new ArrayList<>();
        Progress progress = out == null ? null : new Progress(steps, unit, out);
        double best = Double.NaN;
        long bestStep = 0, stoppedAt = 0;
        int worse = 0;
        Map<String, FloatTensor> bestWeights = null;
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
            boolean stop = false;
            if (validation != null && ((s + 1) % validateEvery == 0 || s + 1 == steps)) {
                double v = validation.getAsDouble();
                validated.add(new double[] {s + 1, v});
                if (out != null) {
                    out.accept(String.format(Locale.ROOT, "step %d: validation loss %.4f", s + 1, v));
                }
                if (Double.isNaN(best) || v < best) {
                    best = v;
                    bestStep = s + 1;
                    worse = 0;
                    bestWeights = patience > 0 && restoreBest != null ? copy(restoreBest.stateDict()) : null;
                } else if (patience > 0 && ++worse >= patience) {
                    stop = true;
                }
            }
            if (checkpoint != null && ((s + 1) % checkpointEvery == 0 || s + 1 == steps || stop)) {
                try {
                    Checkpoint.save(checkpoint, model, optimizer, checkpointInfo, generators());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot save the checkpoint " + checkpoint, e);
                }
            }
            if (stop) {
                stoppedAt = s + 1;
                if (bestWeights != null) {
                    restoreBest.loadStateDict(bestWeights, true);
                }
                if (out != null) {
                    out.accept(String.format(Locale.ROOT, "step %d: no better validation loss for %d validations: stopped early "
                            + "(best %.4f at step %d%s)", s + 1, patience, best, bestStep, bestWeights != null ? ", weights restored" : ""));
                }
                break;
            }
        }
        return new History(training, validated, List.of(), best, bestStep, stoppedAt);
    }

    private static Map<String, FloatTensor> copy(Map<String, FloatTensor> state) {
        Map<String, FloatTensor> out = new LinkedHashMap<>();
        state.forEach((k, v) -> out.put(k, v.copy()));
        return out;
    }
}
