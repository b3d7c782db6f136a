package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.models.io.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code jrnn export} of each {@code jrnn run} fixture (PyTorch's state_dicts), then {@code jrnn run}
 * of the ONNX file: PyTorch's outputs and final states, to {@code 1e-5 * max(1, |PyTorch|)}.
 */
class ExportCommandTest {

    @TempDir
    Path temp;

    static List<String> fixtures() throws IOException {
        return Files.readAllLines(RunCommandTest.fixtures().resolve("index.txt")).stream().map(String::strip)
                .filter(s -> !s.isEmpty()).toList();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void theExportedModelReproducesPyTorch(String name) throws IOException {
        Path f = RunCommandTest.fixtures().resolve(name), model = temp.resolve(name + ".onnx");
        List<String> export = new ArrayList<>(List.of("export", "--weights", f.resolve("weights.safetensors").toString(),
                "--output", model.toString()));
        export.addAll(List.of(Files.readString(f.resolve("args.txt")).strip().split(" "))); // --cell, --prefix, --batch-first
        boolean states = Files.exists(f.resolve("h0.npy")), lstm = export.contains("lstm");
        if (states) {
            export.add("--initial-states");
        }
        RunCommandTest.Run exported = RunCommandTest.jrnn(export.toArray(String[]::new));
        assertEquals(0, exported.status(), exported.err());

        List<String> run = new ArrayList<>(List.of("run", "--backend", "reference", "--weights", model.toString(),
                "--input", "x=" + f.resolve("x.npy")));
        List<String> outputs = new ArrayList<>(List.of("y", "hn"));
        if (lstm) {
            outputs.add("cn");
        }
        if (states) {
            run.addAll(List.of("--input", "h0=" + f.resolve("h0.npy")));
            if (lstm) {
                run.addAll(List.of("--input", "c0=" + f.resolve("c0.npy")));
            }
        }
        for (String o : outputs) {
            run.addAll(List.of("--output", o + "=" + temp.resolve(o + ".npy")));
        }
        RunCommandTest.Run ran = RunCommandTest.jrnn(run.toArray(String[]::new));
        assertEquals(0, ran.status(), ran.err());
        for (String o : outputs) {
            RunCommandTest.assertClose(name + " " + o, Npy.read(f.resolve(o + ".npy")), Npy.read(temp.resolve(o + ".npy")));
        }
    }

    @Test
    void aStateDictOfAnotherCellIsOneLineAndExitStatus2() throws IOException {
        Path f = RunCommandTest.fixtures().resolve("gru_l1_uni"), model = temp.resolve("m.onnx");
        RunCommandTest.Run r = RunCommandTest.jrnn("export", "--weights", f.resolve("weights.safetensors").toString(),
                "--cell", "lstm", "--output", model.toString());
        assertEquals(Jrnn.USAGE, r.status(), r.err());
        assertTrue(r.err().contains("weights.safetensors"), r.err());
        assertFalse(Files.exists(model), "nothing written");
    }
}
