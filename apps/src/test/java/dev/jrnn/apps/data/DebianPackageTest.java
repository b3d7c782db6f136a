package dev.jrnn.apps.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DebianPackageTest {

    @Test
    void fetchesVerifiesAndCachesAPackageFolder() throws IOException {
        Path fortunes = Corpora.FORTUNES.fetch();
        assertTrue(Files.isRegularFile(fortunes.resolve("computers")), "the fortunes folder holds the computers file");
        assertEquals(fortunes, Corpora.FORTUNES.fetch(), "the second fetch is the cached copy");
    }

    @Test
    void aChangedFileIsRefusedWithBothChecksums() {
        var wrong = new DebianPackage("fortunes");
        IOException e = assertThrows(IOException.class, () -> wrong.file("usr/share/games/fortunes/computers", "0".repeat(64)));
        assertTrue(e.getMessage().contains("expected " + "0".repeat(64)) && e.getMessage().contains("has SHA-256 "), e.getMessage());
        e = assertThrows(IOException.class, () -> wrong.file("usr/share/games/fortunes/no-such-file", "0".repeat(64)));
        assertTrue(e.getMessage().contains("has no usr/share/games/fortunes/no-such-file"), e.getMessage());
    }

    @Test
    void anUnknownPackageIsNamed() {
        IOException e = assertThrows(IOException.class,
                () -> new DebianPackage("no-such-package-jrnn").file("x", "0".repeat(64)));
        assertTrue(e.getMessage().contains("no-such-package-jrnn"), e.getMessage());
    }
}
