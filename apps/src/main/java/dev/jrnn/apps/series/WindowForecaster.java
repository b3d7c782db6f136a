package dev.jrnn.apps.series;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.SequenceRegressor;
import dev.jrnn.models.train.LearningRate;
import dev.jrnn.models.train.Optimizer;
import dev.jrnn.models.train.Trainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Direct multi-step forecasting with a GRU ({@link SequenceRegressor}): from the {@code window}
 * steps before an origin it writes the next {@code horizon} values of every target at once, one
 * output per step ahead, never feeding its own predictions back (so errors do not compound the
 * way a recursive forecast's do).
 *
 * <p>Every statistic comes from the training part (steps before {@code trainEnd}) only. Targets
 * enter and leave as changes from their value just before the origin, divided by the training
 * part's standard deviation of one-step changes: a level never seen in training (CO2 keeps
 * rising) then looks like any other. Covariates enter as z-scores with the training part's mean
 * and deviation.
 */
public final class WindowForecaster implements AutoCloseable {

    /**
     * Size and training of the GRU; {@code seed} fixes initial weights and the order of windows.
     * {@code season > 0} makes the GRU forecast corrections to seasonal naive (each step's value
     * one season earlier) instead of changes from the last value. {@code validation > 0} holds the
     * training part's last {@code validation} steps out to choose the number of epochs (the one
     * with the lowest validation error, at most {@code epochs}), then trains again from the same
     * initial weights on the whole training part for that many epochs.
     */
    public record Settings(int window, int horizon, int hidden, int epochs, double rate, long seed, String backend,
                           int season, int validation, double weightDecay) {
        public Settings {
            if (window < 1 || horizon < 1 || hidden < 1 || epochs < 1) {
                throw new IllegalArgumentException("window, horizon, hidden units and epochs must be positive, got "
                        + window + ", " + horizon + ", " + hidden + ", " + epochs);
            }
            if (season > 0 && season < horizon) {
                throw new IllegalArgumentException("a seasonal base needs a season (" + season + ") of at least the horizon (" + horizon + ")");
            }
        }

        public Settings(int window, int horizon, int hidden, int epochs, double rate, long seed, String backend) {
            this(window, horizon, hidden, epochs, rate, seed, backend, 0, 0, 1e-4);
        }
    }

    private static final int BATCH = 32;

    private final double[][] targets, covariates;
    private final int trainEnd;
    private final Settings settings;
    private final double[] scale, mean, deviation;
    private SequenceRegressor model;
    private double lastLoss = Double.NaN, validationLoss = Double.NaN;
    private int epochsTrained;

    /**
     * @param targets    {@code [k][n]}: the series to forecast (no NaN)
     * @param covariates {@code [c][n]}: other inputs, known up to the step before each origin (no NaN)
     * @param trainEnd   steps {@code [0, trainEnd)} are the training part
     */
    public WindowForecaster(double[][] targets, double[][] covariates, int trainEnd, Settings settings) {
        this.targets = targets;
        this.covariates = covariates;
        this.trainEnd = trainEnd;
        this.settings = settings;
        if (trainEnd < settings.window() + settings.horizon() + 1) {
            throw new IllegalArgumentException("the training part (" + trainEnd + " steps) is shorter than one window of "
                    + settings.window() + " and a horizon of " + settings.horizon());
        }
        int lag = Math.max(1, settings.season());
        scale = new double[targets.length];
        for (int j = 0; j < targets.length; j++) {
            double[] steps = new double[trainEnd - lag];
            for (int t = lag; t < trainEnd; t++) {
                steps[t - lag] = targets[j][t] - targets[j][t - lag];
            }
            scale[j] = nonZero(deviation(steps, mean(steps)));
        }
        mean = new double[covariates.length];
        deviation = new double[covariates.length];
        for (int c = 0; c < covariates.length; c++) {
            double[] part = Arrays.copyOf(covariates[c], trainEnd);
            mean[c] = mean(part);
            deviation[c] = nonZero(deviation(part, mean[c]));
        }
        model = newModel();
    }

    private SequenceRegressor newModel() {
        return new SequenceRegressor(CellKind.GRU, targets.length + covariates.length, settings.hidden(), 1,
                targets.length * settings.horizon(), settings.seed()).backend(settings.backend());
    }

    /** The value each forecast of target {@code j} at step {@code o + h} is a correction to. */
    private double base(int j, int o, int h) {
        return settings.season() > 0 ? targets[j][o + h - settings.season()] : targets[j][o - 1];
    }

    /** Origins whose windows and targets lie in {@code [from, to)} (windows may start before {@code from}). */
    private List<Integer> origins(int from, int to) {
        List<Integer> origins = new ArrayList<>();
        for (int o = Math.max(from, Math.max(settings.window(), settings.season())); o + settings.horizon() <= to; o++) {
            origins.add(o);
        }
        return origins;
    }

    /**
     * Trains on every window whose targets lie in the training part, in shuffled batches, AdamW with
     * a cosine-decayed rate; with a validation part, first chooses the number of epochs on it.
     */
    public WindowForecaster fit() {
        int epochs = settings.epochs();
        if (settings.validation() > 0) {
            int cut = trainEnd - settings.validation();
            List<Integer> training = origins(0, cut), validation = origins(cut, trainEnd);
            if (training.isEmpty() || validation.isEmpty()) {
                throw new IllegalArgumentException("a validation part of " + settings.validation() + " steps leaves no training or no validation window");
            }
            epochs = train(training, validation, epochs);
            model.close();
            model = newModel();
        }
        List<Integer> all = origins(0, trainEnd);
        if (all.isEmpty()) {
            throw new IllegalArgumentException("the training part (" + trainEnd + " steps) holds no whole window and horizon");
        }
        train(all, null, epochs);
        epochsTrained = epochs;
        return this;
    }

    /**
     * Runs up to {@code stop} of the settings' epochs (the rate's schedule spans all of them) and
     * returns the epoch count with the lowest loss on {@code validation} (or {@code stop} without one).
     */
    private int train(List<Integer> origins, List<Integer> validation, int stop) {
        long steps = Trainer.steps(settings.epochs(), origins.size(), BATCH), perEpoch = Trainer.steps(1, origins.size(), BATCH);
        LearningRate schedule = LearningRate.warmupCosine(settings.rate(), Math.max(1, steps / 20), steps);
        Optimizer adam = Optimizer.adamW(model, settings.rate(), settings.weightDecay());
        Trainer trainer = new Trainer(adam, schedule, stop * perEpoch).seed(settings.seed());
        int[] checked = validation == null ? null : validation.stream().mapToInt(Integer::intValue).toArray();
        if (checked != null) {
            trainer.validationEachEpoch(() -> {
                float[] y = model.predict(inputs(checked)).toArray(), truth = outputs(checked).toArray();
                double loss = 0;
                for (int i = 0; i < y.length; i++) {
                    loss += (y[i] - truth[i]) * (y[i] - truth[i]);
                }
                return loss / y.length;
            });
        }
        Trainer.History h = trainer.fit(origins, BATCH, batch -> batch.stream().mapToInt(Integer::intValue).toArray(),
                batch -> model.trainStep(inputs(batch), outputs(batch), adam, 1.0));
        List<double[]> last = h.training().subList(Math.max(0, h.training().size() - (int) perEpoch), h.training().size());
        lastLoss = last.stream().mapToDouble(l -> l[1]).average().orElse(Double.NaN);
        validationLoss = checked == null ? Double.POSITIVE_INFINITY : h.bestValidation();
        return checked == null ? stop : (int) (h.bestStep() / perEpoch);
    }

    /** The trained GRU and its head. */
    public SequenceRegressor model() {
        return model;
    }

    /**
     * How the model's inputs and outputs relate to the series, for a checkpoint's info: the window
     * and horizon, each target's scale (inputs and outputs are changes from the last observed
     * value, or from seasonal naive, divided by it) and each covariate's mean and deviation.
     */
    public Map<String, String> description() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("forecast.window", Integer.toString(settings.window()));
        d.put("forecast.horizon", Integer.toString(settings.horizon()));
        d.put("forecast.season", Integer.toString(settings.season()));
        d.put("forecast.inputs", "per step of the window: (target - target at the step before the origin) / target scale, "
                + "then (covariate - mean) / deviation");
        d.put("forecast.outputs", "per target, per step ahead: (value - base) / target scale, the base being "
                + (settings.season() > 0 ? "the value one season earlier" : "the value at the step before the origin"));
        d.put("forecast.target_scale", join(scale));
        d.put("forecast.covariate_mean", join(mean));
        d.put("forecast.covariate_deviation", join(deviation));
        return d;
    }

    private static String join(double[] v) {
        return String.join(",", Arrays.stream(v).mapToObj(Double::toString).toList());
    }

    /** Epochs of the final training (chosen on the validation part when there is one). */
    public int epochsTrained() {
        return epochsTrained;
    }

    /** The lowest validation loss (MSE in scaled units) over the epochs, NaN without a validation part. */
    public double validationLoss() {
        return settings.validation() > 0 ? validationLoss : Double.NaN;
    }

    /** The backend the GRU runs on (known after the first forward). */
    public String backendName() {
        return model.backendName();
    }

    /** Mean training loss (MSE in scaled units) of the last epoch. */
    public double lastLoss() {
        return lastLoss;
    }

    /**
     * Forecasts {@code [origins][k][horizon]}: for each origin {@code o}, the targets at steps
     * {@code o .. o+horizon-1} from steps {@code o-window .. o-1}.
     */
    public double[][][] forecast(int[] origins) {
        double[][][] out = new double[origins.length][targets.length][settings.horizon()];
        for (int from = 0; from < origins.length; from += 256) {
            int[] batch = Arrays.copyOfRange(origins, from, Math.min(origins.length, from + 256));
            float[] y = model.predict(inputs(batch)).toArray();
            int width = targets.length * settings.horizon();
            for (int n = 0; n < batch.length; n++) {
                for (int j = 0; j < targets.length; j++) {
                    for (int h = 0; h < settings.horizon(); h++) {
                        out[from + n][j][h] = base(j, batch[n], h) + scale[j] * y[n * width + j * settings.horizon() + h];
                    }
                }
            }
        }
        return out;
    }

    /** {@code [window, N, k + c]}: per step, each target's change from the last observed value, then the covariates' z-scores. */
    private FloatTensor inputs(int[] origins) {
        int w = settings.window(), k = targets.length, width = k + covariates.length;
        FloatTensor x = FloatTensor.zeros(w, origins.length, width);
        for (int n = 0; n < origins.length; n++) {
            int o = origins[n];
            if (o < w || o > targets[0].length) {
                throw new IllegalArgumentException("origin " + o + " needs steps " + (o - w) + " to " + (o - 1));
            }
            for (int t = 0; t < w; t++) {
                int s = o - w + t;
                for (int j = 0; j < k; j++) {
                    x.set(t, n, j, (float) ((targets[j][s] - targets[j][o - 1]) / scale[j]));
                }
                for (int c = 0; c < covariates.length; c++) {
                    x.set(t, n, k + c, (float) ((covariates[c][s] - mean[c]) / deviation[c]));
                }
            }
        }
        return x;
    }

    /** {@code [N, k * horizon]}: the scaled changes to forecast. */
    private FloatTensor outputs(int[] origins) {
        int k = targets.length, horizon = settings.horizon();
        FloatTensor y = FloatTensor.zeros(origins.length, k * horizon);
        for (int n = 0; n < origins.length; n++) {
            int o = origins[n];
            for (int j = 0; j < k; j++) {
                for (int h = 0; h < horizon; h++) {
                    y.set(n, j * horizon + h, (float) ((targets[j][o + h] - base(j, o, h)) / scale[j]));
                }
            }
        }
        return y;
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    static double deviation(double[] v, double mean) {
        double s = 0;
        for (double x : v) {
            s += (x - mean) * (x - mean);
        }
        return Math.sqrt(s / v.length);
    }

    /** A constant input or target would divide by zero: scale it by 1 instead. */
    private static double nonZero(double d) {
        return d > 1e-12 ? d : 1;
    }

    @Override
    public void close() {
        model.close();
    }
}
