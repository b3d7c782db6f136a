package dev.jrnn.models.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @Test
    void removesTheTemporaryFilesOfKilledWritesOfItsTargetOnly(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("run.safetensors");
        AtomicFiles.write(target, out -> out.write(new byte[] {1, 2, 3}));
        List<String> leftovers = List.of(".run.safetensors.3k9x0a.partial", ".run.safetensors.z.partial");
        List<String> others = List.of(".other.safetensors.3k9x0a.partial", // another target's
                ".run.safetensors.ABC.partial", ".run.safetensors..partial", // not a name write() makes
                ".run.safetensors.3k9x0a.partial.bak", "run.safetensors.3k9x0a.partial", "notes.txt");
        for (String name : Stream.concat(leftovers.stream(), others.stream()).toList()) {
            Files.write(dir.resolve(name), new byte[] {9});
        }

        assertEquals(2, AtomicFiles.removeLeftovers(target));

        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(Stream.concat(others.stream(), Stream.of("run.safetensors")).sorted().toList(),
                    files.map(f -> f.getFileName().toString()).sorted().toList());
        }
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(target), "the target itself is untouched");
        assertEquals(0, AtomicFiles.removeLeftovers(target));
        assertEquals(0, AtomicFiles.removeLeftovers(dir.resolve("missing/run.safetensors")), "a folder that is not there");
    }
}
