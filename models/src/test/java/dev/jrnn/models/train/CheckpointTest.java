package dev.jrnn.models.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.nn.Module;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Resuming from a checkpoint continues exactly like a run that never stopped; progress lines and loss curves. */
class CheckpointTest {

    @TempDir
    Path temp;

    private static int[][] chunk(int c, int offset) {
        int[][] tokens = new int[9][4];
        for (int t = 0; t < 9; t++) {
            for (int n = 0; n < 4; n++) {
                tokens[t][n] = ((c * 8 + t + offset + n * 3) * 7 / 3) % 5;
            }
        }
        return tokens;
    }

    private static void train(LanguageModel lm, Optimizer opt, int from, int to) {
        for (int c = from; c < to; c++) {
            opt.learningRate(LearningRate.warmupCosine(0.02, 3, 20).at(c));
            lm.trainStep(chunk(c, 0), chunk(c, 1), null, opt, 1.0);
        }
    }

    @Test
    void resumingGivesBitwiseTheUninterruptedRun() throws IOException {
        for (Function<Module, Optimizer> make : List.<Function<Module, Optimizer>>of(
                ps -> Optimizer.adamW(ps, 0.02, 0.01), ps -> Optimizer.sgd(ps, 0.1, 0.9))) {
            LanguageModel straight = new LanguageModel(CellKind.GRU, 5, 4, 8, 2, 0.0, 1).backend("simd");
            Optimizer o1 = make.apply(straight);
            train(straight, o1, 0, 20);

            LanguageModel first = new LanguageModel(CellKind.GRU, 5, 4, 8, 2, 0.0, 1).backend("simd");
            Optimizer o2 = make.apply(first);
            train(first, o2, 0, 10);
            Path file = temp.resolve("ckpt.safetensors");
            Checkpoint.save(file, first, o2, Map.of("note", "after 10"));

            LanguageModel resumed = new LanguageModel(CellKind.GRU, 5, 4, 8, 2, 0.0, 99).backend("simd");
            Optimizer o3 = make.apply(resumed);
            Map<String, String> info = Checkpoint.load(file, resumed, o3);
            assertEquals("after 10", info.get("note"));
            assertEquals(10, o3.steps());
            train(resumed, o3, 10, 20);
            for (int p = 0; p < straight.parameters().size(); p++) {
                assertArrayEquals(straight.parameters().get(p).values(), resumed.parameters().get(p).values(),
                        straight.parameters().get(p).name());
            }
            straight.close();
            first.close();
            resumed.close();
        }
    }

    @Test
    void aCheckpointOfAnotherModelIsRefused() throws IOException {
        try (LanguageModel small = new LanguageModel(CellKind.GRU, 5, 4, 8, 1, 0.0, 1);
             LanguageModel big = new LanguageModel(CellKind.GRU, 5, 4, 16, 1, 0.0, 1)) {
            Path file = temp.resolve("small.safetensors");
            Checkpoint.save(file, small, Optimizer.adam(small, 0.1), Map.of());
            IOException e = assertThrows(IOException.class,
                    () -> Checkpoint.load(file, big, Optimizer.adam(big, 0.1)));
            assertTrue(e.getMessage().contains("weight_ih_l0"), e.getMessage());
        }
    }

    @Test
    void progressLinesAndLossCurves() throws IOException {
        long[] now = {0};
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream sink = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Progress progress = new Progress(100, "tokens", sink::println, () -> now[0], Duration.ofSeconds(1));
        for (int step = 1; step <= 100; step++) {
            now[0] += 250_000_000L; // 0.25 s per step
            progress.update(step, 2.0, 50);
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(25, lines.size(), "one line a second (the last is one)");
        assertEquals("step 4/100 (4%)  loss 2.0000  200 tokens/s  elapsed 0:01  left 0:24", lines.get(0));
        assertEquals("step 100/100 (100%)  loss 2.0000  200 tokens/s  elapsed 0:25  left 0:00", lines.get(24));

        Path svg = temp.resolve("loss.svg");
        LossCurve.writeSvg(svg, "training <loss>", Map.of("train", new LossCurve.Series(List.of(
                new double[] {1, 2.5}, new double[] {2, 1.5}, new double[] {3, Double.NaN}, new double[] {4, 0.5}))));
        String text = Files.readString(svg);
        assertTrue(text.startsWith("<svg") && text.contains("training &lt;loss&gt;"), text);
        assertEquals(3, text.substring(text.indexOf("points=\"")).split("\"")[1].trim().split(" ").length,
                "three finite points");
    }
}
