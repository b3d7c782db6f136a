package dev.jrnn.apps;

import dev.jrnn.apps.control.CartPole;
import dev.jrnn.apps.charts.LineChart;
import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.nn.Linear;
import dev.jrnn.models.nn.Module;
import dev.jrnn.models.nn.Recurrent;
import dev.jrnn.models.stream.StreamState;
import dev.jrnn.models.stream.StreamingRnn;
import dev.jrnn.models.train.LearningRate;
import dev.jrnn.models.train.Losses;
import dev.jrnn.models.train.Optimizer;
import dev.jrnn.models.train.Trainer;
import java.awt.Color;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code jrnn control}: a recurrent controller that balances a simulated {@link CartPole} while
 * seeing only positions (cart position and pole angle, with sensor noise), never velocities, so it
 * must remember to tell where things are going. It learns by imitating an expert that sees the
 * whole state (the linear-quadratic regulator): behaviour cloning on demonstrations in which the
 * expert's executed force is perturbed (Laskey et al.'s DART), so the data show how to recover
 * from the mistakes a learner makes. The same GRU trained on single steps, its state reset at
 * every step, is the memoryless controller it is compared with.
 */
@Command(name = "control", mixinStandardHelpOptions = true,
        description = "Robot control from positions only (a simulated cart-pole): a GRU controller imitating a full-state expert, against the same GRU without memory; reports the share of held-out episodes kept balanced.")
final class ControlCommand implements Callable<Integer> {

    /** Inputs: cart position and pole angle, each scaled to about [-1, 1] by its failure bound. */
    private static final int INPUTS = 2;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--demonstrations", defaultValue = "200", description = "expert episodes to learn from (default ${DEFAULT-VALUE})")
    int demonstrations;

    @Option(names = "--seconds", defaultValue = "5", description = "length of a demonstration (default ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--test-episodes", defaultValue = "200", description = "held-out episodes, new initial states and noise (default ${DEFAULT-VALUE})")
    int testEpisodes;

    @Option(names = "--test-seconds", defaultValue = "20", description = "how long a held-out episode must stay balanced (default ${DEFAULT-VALUE})")
    double testSeconds;

    @Option(names = "--hidden", defaultValue = "32", description = "GRU units (default ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--steps", defaultValue = "600", description = "training steps of each controller (default ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--sensor-noise", defaultValue = "0.002", description = "standard deviation of the position (m) and angle (rad) readings (default ${DEFAULT-VALUE})")
    double sensorNoise;

    @Option(names = "--disturbance", defaultValue = "2", description = "standard deviation of a random push on the cart at every step of a held-out episode, in N (default ${DEFAULT-VALUE})")
    double disturbance;

    @Option(names = "--out", defaultValue = "jrnn-control", description = "folder for the picture of the first held-out episode (default ${DEFAULT-VALUE})")
    java.nio.file.Path out;

    @Mixin
    BackendOption backend = new BackendOption();

    @Override
    public Integer call() throws java.io.IOException {
        require(demonstrations >= 1 && testEpisodes >= 1 && steps >= 1 && hidden >= 1,
                "--demonstrations, --test-episodes, --steps and --hidden must be positive");
        require(seconds >= 2 * CartPole.DT && testSeconds >= CartPole.DT, "--seconds must be at least "
                + 2 * CartPole.DT + " and --test-seconds at least " + CartPole.DT);
        require(sensorNoise >= 0, "--sensor-noise must not be negative, got " + sensorNoise);
        require(disturbance >= 0, "--disturbance must not be negative, got " + disturbance);
        PrintWriter say = spec.commandLine().getOut();
        double[] gains = CartPole.lqrGains();
        say.printf(Locale.ROOT, "expert: u = -K s with K = [%.2f, %.2f, %.2f, %.2f] (LQR on the linearized cart-pole; sees velocities)%n",
                gains[0], gains[1], gains[2], gains[3]);
        int demoSteps = (int) Math.round(seconds / CartPole.DT), testSteps = (int) Math.round(testSeconds / CartPole.DT);
        Demonstrations data = demonstrate(gains, demonstrations, demoSteps, new SplittableRandom(1));
        say.printf(Locale.ROOT, "%d demonstrations of %.1f s (%d steps), the expert's force perturbed; %d held-out episodes of %.1f s%n",
                demonstrations, seconds, demoSteps, testEpisodes, testSeconds);
        long start = System.nanoTime();
        Controller expert = new Expert(gains);
        double[] time = new double[testSteps];
        for (int t = 0; t < testSteps; t++) {
            time[t] = (t + 1) * CartPole.DT;
        }
        double[] trace = new double[testSteps];
        LineChart chart = new LineChart("Pole angle in the first held-out episode (random pushes on the cart)", "seconds", "degrees from upright");
        double expertShare = evaluate(expert, testEpisodes, testSteps, trace);
        chart.line("expert (sees velocities)", time, trace.clone(), new Color(0, 0, 0));
        say.printf(Locale.ROOT, "  %-40s balanced %5.1f%% of held-out episodes%n", "expert (full state)", 100 * expertShare);
        for (boolean memory : new boolean[] {true, false}) {
            start = System.nanoTime();
            try (Policy policy = new Policy(hidden, memory, backend.name())) {
                double loss = policy.train(data, steps, new SplittableRandom(2));
                double seconds = (System.nanoTime() - start) / 1e9;
                double share = evaluate(policy, testEpisodes, testSteps, trace);
                chart.line(memory ? "GRU, positions only" : "same GRU without memory", time, trace.clone(),
                        memory ? new Color(30, 100, 220) : new Color(220, 60, 40));
                say.printf(Locale.ROOT, "  %-40s balanced %5.1f%% of held-out episodes (imitation loss %.4f, trained in %.1f s on %s)%n",
                        memory ? "GRU controller (positions only)" : "same GRU without memory (positions only)",
                        100 * share, loss, seconds, policy.backendName());
            }
        }
        java.nio.file.Path picture = out.resolve("pole-angle.png");
        chart.writePng(picture, 900, 420);
        say.printf("the pole's angle in the first held-out episode: %s%n", picture);
        say.flush();
        return 0;
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Chooses a force from what it sees; may remember earlier steps of the same episode. */
    interface Controller {
        void reset();

        double force(double[] state, double[] observed);
    }

    private record Expert(double[] gains) implements Controller {
        @Override
        public void reset() {
        }

        @Override
        public double force(double[] state, double[] observed) {
            return act(gains, state);
        }
    }

    private static double act(double[] gains, double[] state) {
        double u = 0;
        for (int i = 0; i < 4; i++) {
            u -= gains[i] * state[i];
        }
        return Math.max(-CartPole.MAX_FORCE, Math.min(CartPole.MAX_FORCE, u));
    }

    /** Observations {@code [T, N, 2]} with lengths, and the expert's force at each step, scaled to [-1, 1]. */
    record Demonstrations(FloatTensor observations, int[] lengths, FloatTensor forces) {
    }

    private double[] observe(double[] state, SplittableRandom noise) {
        return new double[] {
            (state[0] + sensorNoise * noise.nextGaussian()) / CartPole.MAX_POSITION,
            (state[2] + sensorNoise * noise.nextGaussian()) / CartPole.MAX_ANGLE};
    }

    private static double[] initialState(SplittableRandom random) {
        return new double[] {
            random.nextDouble(-0.5, 0.5), random.nextDouble(-0.3, 0.3),
            random.nextDouble(-0.1, 0.1), random.nextDouble(-0.3, 0.3)};
    }

    /**
     * Expert episodes in which the executed force is the expert's plus Gaussian noise (standard
     * deviation a fifth of the force limit) while the label stays the expert's clean choice.
     */
    private Demonstrations demonstrate(double[] gains, int episodes, int length, SplittableRandom random) {
        FloatTensor observations = FloatTensor.zeros(length, episodes, INPUTS), forces = FloatTensor.zeros(length, episodes, 1);
        int[] lengths = new int[episodes];
        double[] next = new double[4];
        for (int n = 0; n < episodes; n++) {
            double[] state = initialState(random);
            int t = 0;
            while (t < length && CartPole.upright(state)) {
                double[] seen = observe(state, random);
                double u = act(gains, state);
                observations.set(t, n, 0, (float) seen[0]);
                observations.set(t, n, 1, (float) seen[1]);
                forces.set(t, n, 0, (float) (u / CartPole.MAX_FORCE));
                CartPole.step(state, u + 0.2 * CartPole.MAX_FORCE * random.nextGaussian(), next);
                System.arraycopy(next, 0, state, 0, 4);
                t++;
            }
            lengths[n] = t;
        }
        return new Demonstrations(observations, lengths, forces);
    }

    /**
     * The share of held-out episodes (their own seeds) in which {@code controller} keeps the pole up
     * throughout while the cart is pushed at random: a controller that cannot damp the pole's swing
     * (one that does not know velocities) lets the pushes build it up until it falls. The first
     * episode's angles, in degrees, go into {@code firstAngles} (NaN after a fall).
     */
    private double evaluate(Controller controller, int episodes, int length, double[] firstAngles) {
        SplittableRandom random = new SplittableRandom(1_000_003);
        int balanced = 0;
        double[] next = new double[4];
        java.util.Arrays.fill(firstAngles, Double.NaN); // past a fall: no line
        for (int e = 0; e < episodes; e++) {
            double[] state = initialState(random);
            controller.reset();
            boolean up = true;
            for (int t = 0; t < length && up; t++) {
                double push = disturbance * random.nextGaussian(); // what the controller must damp out
                CartPole.step(state, controller.force(state, observe(state, random)) + push, next);
                System.arraycopy(next, 0, state, 0, 4);
                up = CartPole.upright(state);
                if (e == 0) {
                    firstAngles[t] = Math.toDegrees(state[2]);
                }
            }
            balanced += up ? 1 : 0;
        }
        return balanced / (double) episodes;
    }

    /** A GRU and a linear head from positions to force; without memory it is trained on single steps and reset before each. */
    private static final class Policy extends Module implements Controller, AutoCloseable {
        private final Recurrent rnn;
        private final Linear head;
        private final boolean memory;
        private StreamingRnn stream;
        private StreamState state;
        private final float[] in = new float[INPUTS], out, force = new float[1];

        Policy(int hidden, boolean memory, String backend) {
            this.memory = memory;
            rnn = register("rnn", new Recurrent(CellKind.GRU, INPUTS, hidden, 1, Direction.UNIDIRECTIONAL, 3).backend(backend));
            head = register("head", new Linear(hidden, 1, 4));
            out = new float[hidden];
        }

        /** Where it trained and where it streams, e.g. {@code "simd (training), onednn (streaming)"}. */
        String backendName() {
            String trained = rnn.backendName(), streams = stream == null ? null : stream.backendName();
            return streams == null || streams.equals(trained) ? trained
                    : trained + " (training), " + streams + " (streaming)";
        }

        /** Behaviour cloning by mean squared error on the expert's forces; returns the last step's loss. */
        double train(Demonstrations data, int steps, SplittableRandom random) {
            Optimizer adam = Optimizer.adam(this, 1);
            LearningRate rate = LearningRate.warmupCosine(5e-3, steps / 20, steps);
            FloatTensor x = data.observations(), y = data.forces();
            int length = x.dim(0), episodes = x.dim(1);
            double[] loss = {Double.NaN};
            new Trainer(adam, rate, steps).run(step -> {
                adam.zeroGrad();
                FloatTensor input, target;
                int[] lengths;
                if (memory) { // 16 whole episodes
                    int batch = Math.min(16, episodes);
                    input = FloatTensor.zeros(length, batch, INPUTS);
                    target = FloatTensor.zeros(length, batch, 1);
                    lengths = new int[batch];
                    for (int n = 0; n < batch; n++) {
                        int e = random.nextInt(episodes);
                        lengths[n] = Math.max(1, data.lengths()[e]);
                        input.slice(1, n, n + 1).copyFrom(x.slice(1, e, e + 1));
                        target.slice(1, n, n + 1).copyFrom(y.slice(1, e, e + 1));
                    }
                } else { // 256 single steps, each a sequence of its own
                    int batch = 256;
                    input = FloatTensor.zeros(1, batch, INPUTS);
                    target = FloatTensor.zeros(1, batch, 1);
                    lengths = null;
                    for (int n = 0; n < batch; n++) {
                        int e, t;
                        do {
                            e = random.nextInt(episodes);
                            t = random.nextInt(length);
                        } while (t >= data.lengths()[e]);
                        input.slice(1, n, n + 1).copyFrom(x.slice(0, t, t + 1).slice(1, e, e + 1));
                        target.slice(1, n, n + 1).copyFrom(y.slice(0, t, t + 1).slice(1, e, e + 1));
                    }
                }
                Recurrent.Output o = rnn.forward(input, lengths, null, null);
                FloatTensor prediction = head.forward(o.y());
                if (lengths != null) { // padded steps neither predict nor count
                    zeroPastLengths(prediction, lengths);
                }
                Losses.Loss l = Losses.meanSquaredError(prediction, target);
                loss[0] = l.value();
                FloatTensor dPrediction = l.gradient();
                if (lengths != null) {
                    zeroPastLengths(dPrediction, lengths);
                }
                rnn.backward(head.backward(dPrediction), null, null, null, null);
                Optimizer.clipGradNorm(parameters(), 1.0);
                adam.step();
                return loss[0];
            });
            stream = StreamingRnn.prepare(rnn.architecture(), rnn.weights(), rnn.requestedBackend()); // auto: timed on single steps
            state = stream.newState();
            return loss[0];
        }

        private static void zeroPastLengths(FloatTensor t, int[] lengths) {
            for (int n = 0; n < lengths.length; n++) {
                if (lengths[n] < t.dim(0)) {
                    t.slice(0, lengths[n], t.dim(0)).slice(1, n, n + 1).fill(0);
                }
            }
        }

        @Override
        public void reset() {
            state.reset();
        }

        /** One streaming step: the state carries what earlier positions said about velocities. */
        @Override
        public double force(double[] ignoredState, double[] observed) {
            if (!memory) {
                state.reset();
            }
            in[0] = (float) observed[0];
            in[1] = (float) observed[1];
            stream.step(in, state, out);
            head.forwardRow(out, force);
            return CartPole.MAX_FORCE * force[0];
        }

        @Override
        public void close() {
            if (state != null) {
                state.close();
                stream.close();
            }
            rnn.close();
        }
    }
}
