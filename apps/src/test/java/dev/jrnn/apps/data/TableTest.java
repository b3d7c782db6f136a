package dev.jrnn.apps.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TableTest {

    @TempDir
    Path dir;

    private Path file(String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private Path file(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void csvWithQuotedCommasQuotesAndLineBreaks() throws IOException {
        Table t = Table.read(file("a.csv", "text,label\n\"good, really\",pos\n\n\"she said \"\"no\"\"\nand left\",neg\n"));
        assertEquals(2, t.size());
        assertArrayEquals(new String[] {"good, really", "she said \"no\"\nand left"}, t.text("text"));
        assertArrayEquals(new String[] {"pos", "neg"}, t.text("label"));
        assertEquals(2, t.line(0));
        assertEquals(4, t.line(1)); // after the blank line
    }

    @Test
    void tsvKeepsQuotesAndTakesNoHeader() throws IOException {
        Table t = Table.read(file("pairs.tsv", "Go.\tGeh.\n\nHe said \"hi\".\tEr sagte \"hallo\".\n"), false);
        assertEquals(2, t.size());
        assertArrayEquals(new String[] {"Go.", "He said \"hi\"."}, t.text("1"));
        assertArrayEquals(new String[] {"Geh.", "Er sagte \"hallo\"."}, t.text("2"));
        assertEquals(3, t.line(1));
    }

    @Test
    void numbersWithMissingValues() throws IOException {
        Table t = Table.read(file("s.csv", "day,value\n1,2.5\n2,\n3,NA\n4,-1e3\n"));
        double[] v = t.numbers("value");
        assertEquals(2.5, v[0]);
        assertTrue(Double.isNaN(v[1]) && Double.isNaN(v[2]));
        assertEquals(-1000, v[3]);
    }

    @Test
    void everyBadFileKindNamesTheFileTheLineAndWhatWasExpected() throws IOException {
        assertMessage(file("empty.csv", ""), true, "empty.csv: the file is empty");
        assertMessage(file("blank.tsv", "\n\n"), false, "blank.tsv: the file is empty");
        assertMessage(file("header.csv", "a,b\n"), true, "header.csv: a header and no rows");
        assertMessage(file("ragged.csv", "a,b\n1,2\n3\n"), true, "ragged.csv:3: a row of 1 fields where the header has 2");
        assertMessage(file("ragged.tsv", "x\ty\nz\n"), false, "ragged.tsv:2: a row of 1 fields where the first row has 2");
        assertMessage(file("latin1.csv", new byte[] {'a', '\n', (byte) 0xe9, '\n'}), true, "latin1.csv:2: byte 0xE9 is not UTF-8");
        Path quote = file("quote.csv", "a,b\n\"open,1\n");
        IOException e = assertThrows(IOException.class, () -> Table.read(quote));
        assertTrue(e.getMessage().startsWith(quote + ": "), e.getMessage());
        Table t = Table.read(file("words.csv", "a,b\n1,2\n3,x\n"));
        assertMessage(() -> t.numbers("b"), "words.csv:3: 'x' in column b is not a number");
        assertMessage(() -> t.numbers("c"), "words.csv: no column 'c' (there are a, b)");
    }

    private static void assertMessage(Path file, boolean header, String expected) {
        assertMessage(() -> Table.read(file, header), expected);
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String expected) {
        IOException e = assertThrows(IOException.class, call);
        assertTrue(e.getMessage().endsWith(expected) || e.getMessage().contains(expected + " ")
                || e.getMessage().contains(expected + "("), "'" + e.getMessage() + "' does not say '" + expected + "'");
    }
}
