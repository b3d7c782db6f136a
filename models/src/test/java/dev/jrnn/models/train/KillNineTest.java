package dev.jrnn.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.tensor.FloatTensor;
import dev.jrnn.models.io.SafeTensors;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training killed with SIGKILL at random moments, many of them inside a checkpoint write (one is
 * written after every step), resumes from the last complete checkpoint and ends with bitwise the
 * weights of a run never killed: the checkpoint is replaced atomically, and holds the optimizer's
 * and every generator's state. {@code -Djrnn.killTrials=50} for the long run (the build runs 6).
 */
class KillNineTest {

    static final long STEPS = 120;

    @Test
    void aRunKilledAtRandomMomentsEndsWithTheWeightsOfOneNeverKilled(@TempDir Path temp) throws Exception {
        Path straightDir = Files.createDirectories(temp.resolve("straight"));
        Child straight = Child.start(straightDir);
        long trainMillis = straight.awaitDone();
        Map<String, FloatTensor> want = SafeTensors.read(straightDir.resolve("final.safetensors"));

        int trials = Integer.getInteger("jrnn.killTrials", 6), kills = 0, midWrite = 0, resumedMidway = 0;
        SplittableRandom random = new SplittableRandom(Long.getLong("jrnn.killSeed", 42));
        for (int trial = 0; trial < trials; trial++) {
            Path dir = Files.createDirectories(temp.resolve("trial" + trial));
            for (int trialKills = 0; ; ) {
                Child child = Child.start(dir);
                child.awaitStart();
                resumedMidway += child.resumedAt > 0 && child.resumedAt < STEPS ? 1 : 0;
                if (trialKills >= 2 || trialKills == 1 && random.nextBoolean()) { // one or two kills per trial
                    child.awaitDone();
                    break;
                }
                long delay = random.nextLong(Math.max(1, trainMillis));
                if (trialKills == 0) { // the first kill comes after the first checkpoint (the next run resumes midway)
                    long started = System.nanoTime(), until = started + 60_000_000_000L;
                    while (!Files.exists(dir.resolve("run.safetensors")) && child.process.isAlive() && System.nanoTime() < until) {
                        Thread.sleep(2);
                    }
                    // and before the end: within the training time the uninterrupted run had left after its first step
                    long left = trainMillis - (System.nanoTime() - started) / 1_000_000;
                    delay = random.nextLong(Math.max(1, left * 8 / 10));
                }
                Thread.sleep(delay);
                if (!child.kill()) {
                    break; // it finished before the kill
                }
                kills++;
                trialKills++;
                // the child resumed (removing earlier leftovers) before START: a temporary file now is this kill's
                midWrite += partials(dir) > 0 ? 1 : 0;
            }
            if (!Files.exists(dir.resolve("final.safetensors"))) {
                Child last = Child.start(dir);
                last.awaitDone();
            }
            assertEquals(0, partials(dir), "trial " + trial + ": the resumed run removed the killed writes' temporary files");
            Map<String, FloatTensor> got = SafeTensors.read(dir.resolve("final.safetensors"));
            assertEquals(want.keySet(), got.keySet());
            for (String name : want.keySet()) {
                assertArrayEquals(want.get(name).toArray(), got.get(name).toArray(), "trial " + trial + ": " + name);
            }
        }
        System.out.printf("kill -9: %d trials, %d kills, %d of them inside a checkpoint write (a temporary file left),"
                + " %d restarts resumed midway; every final weight bitwise the uninterrupted run's%n", trials, kills, midWrite,
                resumedMidway);
        // a child may still end before its kill (a run faster than the uninterrupted one timed): most must not
        assertTrue(2 * kills >= trials, "at least half the trials killed: " + kills + " kills in " + trials);
        assertTrue(resumedMidway > 0, "some run resumed from a checkpoint midway: " + resumedMidway);
    }

    /** Temporary files of interrupted checkpoint writes in {@code dir}. */
    private static int partials(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return (int) files.filter(f -> f.getFileName().toString().endsWith(".partial")).count();
        }
    }

    /** A training child: its output read line by line. */
    private static final class Child {
        final Process process;
        final BufferedReader out;
        final List<String> lines = new ArrayList<>();
        long resumedAt = -1;

        private Child(Process p) {
            process = p;
            out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        }

        static Child start(Path dir) throws IOException {
            String java = ProcessHandle.current().info().command().orElseThrow();
            List<String> command = List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                    KillNineTraining.class.getName(), dir.toString(), Long.toString(STEPS));
            return new Child(new ProcessBuilder(command).redirectErrorStream(true).start());
        }

        /** Reads until a line starting with {@code prefix}; fails on the end of output first. */
        private String await(String prefix) throws IOException {
            for (String line; (line = out.readLine()) != null; ) {
                lines.add(line);
                if (line.startsWith("RESUMED ")) {
                    resumedAt = Long.parseLong(line.substring(8).trim());
                }
                if (line.startsWith(prefix)) {
                    return line;
                }
            }
            throw new AssertionError("the training child ended before '" + prefix + "': " + String.join("\n", lines));
        }

        void awaitStart() throws IOException {
            await("START");
        }

        /** Waits for the end; returns the training time in milliseconds. */
        long awaitDone() throws Exception {
            String done = await("DONE");
            assertTrue(process.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, process.exitValue(), String.join("\n", lines));
            return Long.parseLong(done.substring(5).trim());
        }

        /** SIGKILL; false when the child had already ended. */
        boolean kill() throws InterruptedException {
            if (!process.isAlive()) {
                return false;
            }
            process.destroyForcibly(); // SIGKILL on Linux
            process.waitFor();
            return true;
        }
    }
}
