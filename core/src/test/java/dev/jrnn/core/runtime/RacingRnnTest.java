package dev.jrnn.core.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.Mode;
import dev.jrnn.core.rnn.RnnBackward;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnForward;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.scalar.ReferenceBackend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.spi.Workspace;
import dev.jrnn.core.tensor.FloatTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Auto selection on the caller's own calls, over the test backends "quick" (the reference, timed
 * as JIT-compiled) and "slow" (the reference plus 3 ms a forward, timed as native).
 */
class RacingRnnTest {

    private static final int MAX_CALLS = 100_000;

    private final RnnDescriptor lstm = new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 9, 3, 5, 7);
    private final RnnWeights weights = RnnWeights.uniform(lstm, 1);
    private final BackendSelector selector = new BackendSelector(
            List.of(new SlowBackendProvider("slow", 3_000_000), new SlowBackendProvider.Quick()), Duration.ofMillis(20));

    @Test
    void theRaceRunsOnTheCallersWorkAndKeepsTheFastest() {
        FloatTensor x = random(lstm.srcLayerShape(), 2);
        FloatTensor expected = FloatTensor.zeros(lstm.dstLayerShape()), y = FloatTensor.zeros(lstm.dstLayerShape());
        try (PreparedRnn reference = new ReferenceBackend().prepare(lstm, weights);
                Workspace refWs = reference.newWorkspace()) {
            reference.forward(Mode.INFERENCE, RnnForward.of(x, expected), refWs);
        }
        int slowBefore = SlowBackendProvider.FORWARD_CALLS.get();
        long mark = selector.mark();
        RacingRnn race = assertInstanceOf(RacingRnn.class, selector.prepare(BackendSelector.AUTO, lstm, weights, Use.INFERENCE));
        assertEquals(List.of("slow", "quick"), race.candidates());
        int calls = 0;
        try (race; Workspace ws = race.newWorkspace()) {
            race.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
            calls++;
            assertEquals("inference: slow, racing quick", selector.summary(mark), "the first call goes to the first candidate");
            assertEquals("slow, racing quick", RacingRnn.runningOn(race));
            for (; race.decided() == null && calls < MAX_CALLS; calls++) {
                y.fill(Float.NaN);
                race.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
                assertArrayEquals(expected.toArray(), y.toArray(), 0f, "call " + calls + " on either candidate");
            }
            assertEquals("quick", race.decided());
            // every forward either backend ran was one of ours: nothing was spent on timing apart from the work
            assertEquals(calls, SlowBackendProvider.FORWARD_CALLS.get() - slowBefore);
            race.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
            assertArrayEquals(expected.toArray(), y.toArray(), 0f);
        }
        assertEquals("inference: quick", selector.summary(mark));
        BackendSelector.Decision decision = selector.decisions().values().iterator().next();
        assertEquals("quick", decision.backend());
        assertTrue(decision.details().get("slow").contains("us per sequence step"), decision::toString);
        assertEquals("quick", selector.choose(BackendSelector.AUTO, lstm.withSteps(50), weights, Use.INFERENCE),
                "a longer T shares the decision");
        assertEquals(BackendSelector.AUTO, selector.choose(BackendSelector.AUTO, lstm, weights, Use.TRAINING),
                "training is decided apart");
    }

    @Test
    void aSettledNativeCandidateGetsNoMoreCallsWhileASlowerJitCompiledOneWarms() {
        BackendSelector s = new BackendSelector(List.of(new SlowBackendProvider("native", 1_000_000),
                new SlowBackendProvider("warming", 3_000_000, 0, 0, true)), Duration.ofMillis(20));
        BackendSelector.Decision decision = race(s);
        assertEquals("native", decision.backend());
        String nativeDetails = decision.details().get("native");
        // its first call and the samples it needs; every later call went to the one still warming (until the JIT was quiet or its cap)
        assertTrue(nativeDetails.contains("median of " + RacingRnn.MIN_SAMPLES + " of " + (RacingRnn.MIN_SAMPLES + 1) + " calls"),
                nativeDetails);
    }

    @Test
    void anOutclassedCandidateLeavesEarlyAndTheRaceEndsAsSoonAsOneTheJitStillCompilesLeads() {
        BackendSelector s = new BackendSelector(List.of(new SlowBackendProvider.Quick(), new SlowBackendProvider("slow", 3_000_000)),
                Duration.ofMillis(20)); // "slow" is loaded once "quick" has spent 20 ms
        BackendSelector.Decision decision = race(s);
        assertEquals("quick", decision.backend(), decision::toString);
        String slow = decision.details().get("slow");
        // every call of "slow" took more than twice quick's median: two samples (and its first call) were enough to lose
        assertTrue(slow.contains("median of 2 of 3 calls"), slow);
    }


    @Test
    void workThatEndsWhereTheNextCallWouldSettleStillDecides() {
        FloatTensor x = random(lstm.srcLayerShape(), 9), y = FloatTensor.zeros(lstm.dstLayerShape());
        RacingRnn race = (RacingRnn) selector.prepare(BackendSelector.AUTO, lstm, weights, Use.INFERENCE);
        try (race; Workspace ws = race.newWorkspace()) {
            // "slow" is outclassed after two samples; "quick" needs its five
            while (race.decided() == null && (race.calls("slow") < 3 || race.calls("quick") < RacingRnn.MIN_SAMPLES + 1)) {
                race.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
            }
            assertNull(race.decided(), "settled before the calls ran out");
        }
        assertEquals("quick", race.decided());
        assertEquals("quick", selector.choose(BackendSelector.AUTO, lstm, weights, Use.INFERENCE));
    }

    @Test
    void aBackendNotLoadedYetWaitsUntilTheWorkIsWorthLoadingIt() {
        BackendSelector s = new BackendSelector(List.of(new SlowBackendProvider.Quick(), new SlowBackendProvider("slow", 3_000_000)),
                Duration.ofSeconds(5));
        FloatTensor x = random(lstm.srcLayerShape(), 10), y = FloatTensor.zeros(lstm.dstLayerShape());
        try (RacingRnn race = (RacingRnn) s.prepare(BackendSelector.AUTO, lstm, weights, Use.INFERENCE);
                Workspace ws = race.newWorkspace()) {
            for (int call = 0; call < RacingRnn.MIN_SAMPLES; call++) { // too few for "quick" to settle
                race.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
            }
            assertEquals(0, race.calls("slow"), "a short job loaded a backend it could not gain from");
            assertEquals("quick, racing slow", RacingRnn.runningOn(race));
        }
        assertTrue(s.decisions().isEmpty(), "nothing was decided");
    }

    /** Runs inference on {@code s}'s race until it settles; its decision. */
    private BackendSelector.Decision race(BackendSelector s) {
        FloatTensor x = random(lstm.srcLayerShape(), 3), y = FloatTensor.zeros(lstm.dstLayerShape());
        try (RacingRnn race = (RacingRnn) s.prepare(BackendSelector.AUTO, lstm, weights, Use.INFERENCE);
                Workspace ws = race.newWorkspace()) {
            for (int calls = 0; race.decided() == null && calls < MAX_CALLS; calls++) {
                race.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
            }
        }
        return s.decisions().values().iterator().next();
    }

    @Test
    void trainingAcrossTheRaceEqualsTrainingOnOneBackend() {
        RnnWeights raced = RnnWeights.uniform(lstm, 4), alone = RnnWeights.uniform(lstm, 4);
        FloatTensor x = random(lstm.srcLayerShape(), 5), dy = random(lstm.dstLayerShape(), 6);
        try (RacingRnn race = (RacingRnn) selector.prepare(BackendSelector.AUTO, lstm, raced, Use.TRAINING);
                Workspace ws = race.newWorkspace();
                PreparedRnn reference = new ReferenceBackend().prepare(lstm, alone);
                Workspace refWs = reference.newWorkspace()) {
            int steps = 0;
            for (boolean settledSeen = false; steps < MAX_CALLS && !settledSeen; steps++) {
                settledSeen = race.decided() != null && steps > 0;
                RnnWeights g1 = step(race, ws, raced, x, dy), g2 = step(reference, refWs, alone, x, dy);
                int at = steps;
                g2.named().forEach((name, expected) -> assertArrayEquals(expected.toArray(), g1.named().get(name).toArray(), 0f,
                        name + " at step " + at));
                sgd(raced, g1, race);
                sgd(alone, g2, reference);
            }
            assertEquals("quick", race.decided());
        }
    }

    @Test
    void aRememberedDecisionServesWithoutARace(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("decisions.tsv");
        selector.rememberIn(file);
        FloatTensor x = random(lstm.srcLayerShape(), 7), y = FloatTensor.zeros(lstm.dstLayerShape());
        try (RacingRnn race = (RacingRnn) selector.prepare(BackendSelector.AUTO, lstm, weights, Use.STREAMING);
                Workspace ws = race.newWorkspace()) {
            for (int calls = 0; race.decided() == null && calls < MAX_CALLS; calls++) {
                race.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
            }
        }
        assertTrue(Files.readString(file).contains("quick"));
        BackendSelector next = new BackendSelector(
                List.of(new SlowBackendProvider("slow", 3_000_000), new SlowBackendProvider.Quick()), Duration.ofMillis(20))
                .rememberIn(file);
        try (PreparedRnn served = next.prepare(BackendSelector.AUTO, lstm, weights, Use.STREAMING)) {
            assertFalse(served instanceof RacingRnn);
            assertEquals("quick", served.backendName());
        }
    }

    @Test
    void aCandidateThatFailsOnTheWorkLeavesTheRaceAndTheCallStillRuns() {
        BackendSelector s = new BackendSelector(List.of(new SlowBackendProvider("broken", 0, 0, lstm.steps()),
                new SlowBackendProvider("steady", 1_000_000)), Duration.ofMillis(20));
        FloatTensor x = random(lstm.srcLayerShape(), 8), y = FloatTensor.zeros(lstm.dstLayerShape());
        FloatTensor expected = FloatTensor.zeros(lstm.dstLayerShape());
        try (PreparedRnn reference = new ReferenceBackend().prepare(lstm, weights)) {
            expected.copyFrom(reference.forward(x, null, null).output());
        }
        try (RacingRnn race = (RacingRnn) s.prepare(BackendSelector.AUTO, lstm, weights, Use.INFERENCE);
                Workspace ws = race.newWorkspace()) {
            for (int calls = 0; race.decided() == null && calls < MAX_CALLS; calls++) {
                y.fill(Float.NaN);
                race.forward(Mode.INFERENCE, RnnForward.of(x, y), ws);
                assertArrayEquals(expected.toArray(), y.toArray(), 0f);
            }
            assertEquals("steady", race.decided());
        }
        String broken = s.decisions().values().iterator().next().details().get("broken");
        assertTrue(broken.startsWith("failed on the work (java.lang.IllegalStateException: test backend broken fails"), broken);
    }

    @Test
    void oneCandidateIsNoRace() {
        BackendSelector alone = new BackendSelector(List.of(new SlowBackendProvider.Quick()), Duration.ofMillis(20));
        try (PreparedRnn rnn = alone.prepare(BackendSelector.AUTO, lstm, weights, Use.INFERENCE)) {
            assertEquals("quick", rnn.backendName());
        }
        assertEquals("the only candidate", alone.decisions().values().iterator().next().details().get("quick"));
    }

    /** One training step: forward, backward with fresh gradients; returns the weight gradients. */
    private RnnWeights step(PreparedRnn rnn, Workspace ws, RnnWeights w, FloatTensor x, FloatTensor dy) {
        FloatTensor y = FloatTensor.zeros(lstm.dstLayerShape());
        rnn.forward(Mode.TRAINING, RnnForward.of(x, y), ws);
        RnnWeights grads = RnnWeights.zeros(lstm);
        rnn.backward(RnnBackward.of(dy, FloatTensor.zeros(lstm.srcLayerShape()), grads), ws);
        return grads;
    }

    /** w -= 0.1 g, in place, then packed into the plan as an optimizer step would. */
    private static void sgd(RnnWeights w, RnnWeights g, PreparedRnn rnn) {
        w.named().forEach((name, value) -> {
            FloatTensor grad = g.named().get(name);
            for (long i = 0; i < value.size(); i++) {
                value.setFlat(i, value.getFlat(i) - 0.1f * grad.getFlat(i));
            }
        });
        rnn.update(w);
    }

    private static FloatTensor random(dev.jrnn.core.tensor.Shape shape, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        FloatTensor t = FloatTensor.zeros(shape);
        for (long i = 0; i < t.size(); i++) {
            t.setFlat(i, (float) r.nextDouble(-1, 1));
        }
        return t;
    }
}
