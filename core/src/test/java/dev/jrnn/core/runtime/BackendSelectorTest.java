package dev.jrnn.core.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.core.rnn.Direction;
import dev.jrnn.core.rnn.RnnDescriptor;
import dev.jrnn.core.rnn.RnnWeights;
import dev.jrnn.core.scalar.ReferenceBackend;
import dev.jrnn.core.spi.PreparedRnn;
import dev.jrnn.core.testing.Tensors;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runtime selection over the backends the service loader finds on the test class path: the
 * reference (fallback only), the test-only "quick" and "slow" ones (the reference with 0 and 3 ms
 * of sleep per forward; no GRU) and the test-only "absent" one.
 */
class BackendSelectorTest {

    private final RnnDescriptor lstm = new RnnDescriptor(CellKind.LSTM, 1, Direction.UNIDIRECTIONAL, 20, 2, 8, 16);
    private final RnnWeights weights = RnnWeights.uniform(lstm, 1);
    private final BackendSelector selector = new BackendSelector(Backends.discover(), Duration.ofMillis(30));

    @AfterEach
    void restore() {
        System.clearProperty(BackendSelector.BACKEND_PROPERTY);
        Parallelism.setThreads(0);
    }

    @Test
    void discoveryFindsEveryProvider() {
        assertEquals(java.util.Set.of("reference", "quick", "slow", "absent"), java.util.Set.copyOf(selector.names()));
    }

    @Test
    void autoTimesTheCandidatesAndPicksTheFastest() {
        BackendSelector.Decision decision = selector.decide(lstm, weights);
        assertEquals("quick", decision.backend());
        assertTrue(decision.details().get("slow").contains("ms per 8-step forward"), decision::toString);
        assertTrue(decision.details().get("quick").contains("ms per 8-step forward"), decision::toString);
        assertEquals("fallback only, not timed", decision.details().get("reference"), decision::toString);
        assertTrue(decision.details().get("absent").contains(AbsentBackendProvider.REASON), decision::toString);
        try (PreparedRnn rnn = selector.prepare(lstm, weights)) {
            assertEquals("quick", rnn.backendName());
            assertEquals(lstm.architecture(), rnn.architecture());
        }
    }

    @Test
    void decisionsAreCachedPerDescriptorAndThreads() {
        Parallelism.setThreads(1);
        selector.decide(lstm, weights);
        int calls = SlowBackendProvider.FORWARD_CALLS.get();
        selector.decide(lstm, weights);
        assertEquals(calls, SlowBackendProvider.FORWARD_CALLS.get(), "the second decision timed again");
        assertEquals(1, selector.decisions().size());
        Parallelism.setThreads(2);
        selector.decide(lstm, weights);
        assertTrue(SlowBackendProvider.FORWARD_CALLS.get() > calls, "another thread count must be measured anew");
        selector.decide(lstm.withBatch(3), RnnWeights.uniform(lstm, 2));
        assertEquals(3, selector.decisions().size(), selector.decisions()::toString);
        // every T from the timed prefix up shares one decision; a shorter T is timed as it is
        selector.decide(lstm.withSteps(100), weights);
        assertEquals(3, selector.decisions().size(), selector.decisions()::toString);
        selector.decide(lstm.withSteps(3), weights);
        assertEquals(4, selector.decisions().size(), selector.decisions()::toString);
    }

    @Test
    void summarySaysWhatWasAskedForSinceAMark() {
        long start = selector.mark();
        assertEquals("", selector.summary(start));
        selector.decide(lstm, weights, Use.TRAINING);
        selector.decide(lstm.withBatch(lstm.batch() + 3), weights, Use.TRAINING);
        selector.decide(lstm, weights, Use.STREAMING);
        assertEquals("training: quick (2 shapes); streaming: quick", selector.summary(start));
        long later = selector.mark();
        selector.decide(lstm, weights, Use.STREAMING); // already decided: asked again, not measured again
        assertEquals("streaming: quick", selector.summary(later));
    }

    @Test
    void decisionsAreRememberedBetweenProcesses(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path file = dir.resolve("auto-decisions.tsv");
        java.nio.file.Files.writeString(file, "not\ta decision\nrubbish\n");
        BackendSelector first = new BackendSelector(Backends.discover(), Duration.ofMillis(30)).rememberIn(file);
        BackendSelector.Decision measured = first.decide(lstm, weights, Use.TRAINING);
        assertEquals("quick", measured.backend());
        assertTrue(measured.details().get("slow").contains("ms per"), measured.toString());
        assertTrue(java.nio.file.Files.readString(file).contains("\tquick"), "the decision is in the file");

        BackendSelector next = new BackendSelector(Backends.discover(), Duration.ofMillis(30)).rememberIn(file);
        BackendSelector.Decision recalled = next.decide(lstm, weights, Use.TRAINING);
        assertEquals("quick", recalled.backend());
        assertTrue(recalled.details().get("quick").contains("remembered"), recalled.toString());
        assertEquals(1, recalled.details().size(), "nothing was timed: " + recalled);
        assertTrue(next.decide(lstm, weights, Use.INFERENCE).details().containsKey("slow"), "another use is measured");

        // a remembered backend that cannot serve here any more is measured again
        String text = java.nio.file.Files.readString(file).replace("\tquick", "\tabsent");
        java.nio.file.Files.writeString(file, text);
        BackendSelector after = new BackendSelector(Backends.discover(), Duration.ofMillis(30)).rememberIn(file);
        assertEquals("quick", after.decide(lstm, weights, Use.TRAINING).backend());
    }

    /** A later candidate must be clearly faster: 5 ms against 5.2 ms is a tie, kept by the first; 2 ms wins. */
    @Test
    void aNearTieKeepsTheEarlierCandidate() {
        BackendSelector tie = new BackendSelector(java.util.List.of(new SlowBackendProvider("first", 5_200_000),
                new SlowBackendProvider("second", 5_000_000)), Duration.ofMillis(40));
        assertEquals("first", tie.decide(lstm, weights, Use.INFERENCE).backend());
        BackendSelector clear = new BackendSelector(java.util.List.of(new SlowBackendProvider("first", 5_200_000),
                new SlowBackendProvider("second", 2_000_000)), Duration.ofMillis(40));
        assertEquals("second", clear.decide(lstm, weights, Use.INFERENCE).backend());
    }

    /**
     * A backend is timed by its typical call, not its luckiest: "erratic" sleeps 6 ms on three
     * calls of four and not at all on the fourth (as OpenMP threads do when another process holds
     * a core), "steady" 2 ms on every call.
     */
    @Test
    void aBackendWithLuckyCallsIsTimedByItsTypicalOne() {
        BackendSelector selector = new BackendSelector(java.util.List.of(new SlowBackendProvider("steady", 2_000_000),
                new SlowBackendProvider("erratic", 6_000_000, 4)), Duration.ofMillis(60));
        assertEquals("steady", selector.decide(lstm, weights, Use.INFERENCE).backend());
    }

    @Test
    void unsupportedDescriptorsAreSkippedWithTheirReason() {
        RnnDescriptor gru = new RnnDescriptor(CellKind.GRU, 1, Direction.UNIDIRECTIONAL, 4, 1, 3, 5);
        BackendSelector.Decision decision = selector.decide(gru, RnnWeights.uniform(gru, 3));
        assertEquals(ReferenceBackend.NAME, decision.backend(), "the fallback, when nothing else runs GRU");
        assertEquals("the only candidate", decision.details().get("reference"));
        assertTrue(decision.details().get("quick").contains("unsupported (test backend without GRU)"));
        assertTrue(decision.details().get("slow").contains("unsupported (test backend without GRU)"));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> selector.prepare("slow", gru, RnnWeights.uniform(gru, 3)));
        assertTrue(e.getMessage().contains("without GRU"), e.getMessage());
    }

    @Test
    void propertyForcesABackend() {
        System.setProperty(BackendSelector.BACKEND_PROPERTY, "slow");
        try (PreparedRnn rnn = selector.prepare(lstm, weights)) {
            assertEquals("slow", rnn.backendName());
            var x = Tensors.uniform(lstm.srcLayerShape(), new SplittableRandom(4));
            float[] slow = rnn.forward(x, null, null).output().toArray();
            try (PreparedRnn ref = selector.prepare("reference", lstm, weights)) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(ref.forward(x, null, null).output().toArray(), slow);
            }
        }
        assertTrue(selector.decisions().isEmpty(), "a forced backend is not a decision");
    }

    @Test
    void unknownBackendNamesTheAvailableOnes() {
        System.setProperty(BackendSelector.BACKEND_PROPERTY, "nope");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> selector.prepare(lstm, weights));
        assertTrue(e.getMessage().startsWith("unknown backend 'nope'; known backends: "), e.getMessage());
        assertTrue(e.getMessage().contains("reference (available)"), e.getMessage());
        assertTrue(e.getMessage().contains("slow (available)"), e.getMessage());
        assertTrue(e.getMessage().contains("absent (unavailable: " + AbsentBackendProvider.REASON + ")"), e.getMessage());
    }

    @Test
    void unavailableBackendFailsWithItsProbesReason() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> selector.prepare("absent", lstm, weights));
        assertEquals("backend 'absent' is unavailable: " + AbsentBackendProvider.REASON, e.getMessage());
    }

    @Test
    void reportListsEveryBackendAndTheDecisions() {
        selector.decide(lstm, weights);
        String report = selector.report();
        assertTrue(report.matches("(?s).*reference\\s+yes\\s+plain Java.*"), report);
        assertTrue(report.matches("(?s).*slow\\s+yes\\s+test backend.*"), report);
        assertTrue(report.matches("(?s).*absent\\s+no\\s+" + AbsentBackendProvider.REASON + ".*"), report);
        assertTrue(report.contains("auto inference LSTM[L=1 D=1 T>=8 N=2 I=8 H=16] threads="), report);
        assertTrue(report.startsWith("CPU "), report);
        assertTrue(report.contains("self-test quick LSTM UNIDIRECTIONAL INFERENCE: passed in"), report);
    }

    @Test
    void trainingInferenceAndStreamingAreDecidedAndTimedApart() {
        Parallelism.setThreads(1);
        BackendSelector.Decision training = selector.decide(lstm, weights, Use.TRAINING);
        BackendSelector.Decision inference = selector.decide(lstm, weights, Use.INFERENCE);
        BackendSelector.Decision streaming = selector.decide(lstm, weights, Use.STREAMING);
        assertEquals("quick", training.backend(), training::toString);
        assertTrue(training.details().get("slow").contains("ms per 8-step forward, backward and update"), training::toString);
        assertTrue(inference.details().get("slow").contains("ms per 8-step forward"), inference::toString);
        assertTrue(streaming.details().get("slow").contains("ms per 1-step forward"), streaming::toString);
        var keys = selector.decisions().keySet();
        assertEquals(3, keys.size(), keys::toString);
        assertTrue(keys.contains("training LSTM[L=1 D=1 T>=8 N=2 I=8 H=16] threads=1"), keys::toString);
        assertTrue(keys.contains("streaming LSTM[L=1 D=1 T=1 N=2 I=8 H=16] threads=1"), keys::toString);
        // a forced backend is not timed
        assertEquals("slow", selector.choose("slow", lstm, weights, Use.TRAINING));
    }

    @Test
    void decisionsAreBoundedWhateverShapesArrive() {
        BackendSelector small = new BackendSelector(Backends.discover(), Duration.ofMillis(1), 3);
        for (int batch = 1; batch <= 6; batch++) {
            small.decide(lstm.withBatch(batch), weights);
        }
        assertEquals(3, small.decisions().size(), small.decisions()::toString);
        assertTrue(small.decisions().keySet().iterator().next().contains(" N=4 "), "the least recently used went first");
    }

    @Test
    void aThrowingProbeIsReportedNotThrown() {
        var broken = new dev.jrnn.core.spi.BackendProvider() {
            public String name() {
                return "broken";
            }

            public dev.jrnn.core.spi.Availability probe() {
                throw new UnsatisfiedLinkError("libbroken.so: cannot open shared object file");
            }

            public dev.jrnn.core.spi.Backend create() {
                throw new AssertionError();
            }
        };
        BackendSelector s = new BackendSelector(java.util.List.of(broken, new dev.jrnn.core.scalar.ReferenceBackendProvider()),
                Duration.ofMillis(10));
        assertTrue(s.decide(lstm, weights).details().get("broken").startsWith("unavailable (probe failed"));
        assertTrue(s.availability("broken").reason().contains("libbroken.so"));
        assertEquals(ReferenceBackend.NAME, s.decide(lstm, weights).backend());
    }

    @Test
    void threadsSettingIsValidated() {
        System.setProperty(Parallelism.THREADS_PROPERTY, "zero");
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Parallelism::threads);
            assertTrue(e.getMessage().contains("jrnn.threads"), e.getMessage());
            Parallelism.setThreads(3);
            assertEquals(3, Parallelism.threads());
        } finally {
            System.clearProperty(Parallelism.THREADS_PROPERTY);
        }
    }
}
