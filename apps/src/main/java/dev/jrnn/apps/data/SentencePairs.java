package dev.jrnn.apps.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A user's sentence pairs: a TSV ({@link Table}, no header) of a source and its target, as
 * Anki and manythings.org write them ({@code Go.<TAB>Va !<TAB>attribution}: the first two
 * columns) and as Tatoeba exports them ({@code id<TAB>sentence<TAB>id<TAB>sentence}: the second
 * and fourth, recognised by the numbers in the first and third). Both sides must be non-empty.
 */
public final class SentencePairs {

    /** One pair and the line it is on. */
    public record Pair(String source, String target, long line) {
    }

    private SentencePairs() {
    }

    public static List<Pair> read(Path file) throws IOException {
        return of(Table.read(file, false));
    }

    static List<Pair> of(Table table) throws IOException {
        int columns = table.header().size();
        if (columns < 2) {
            throw new IOException(table.where(0) + "one column; expected a source and its target, tab-separated");
        }
        String[][] rows = new String[columns][];
        for (int c = 0; c < columns; c++) {
            rows[c] = table.text(Integer.toString(c + 1));
        }
        boolean tatoeba = columns >= 4 && numbers(rows[0]) && numbers(rows[2]);
        int source = tatoeba ? 1 : 0, target = tatoeba ? 3 : 1;
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < table.size(); i++) {
            for (int c : new int[] {source, target}) {
                if (rows[c][i].isEmpty()) {
                    throw new IOException(table.where(i) + "an empty " + (c == source ? "source" : "target") + " (column " + (c + 1)
                            + "); expected a source and its target, tab-separated, both non-empty");
                }
            }
            pairs.add(new Pair(rows[source][i], rows[target][i], table.line(i)));
        }
        return pairs;
    }

    private static boolean numbers(String[] column) {
        for (String s : column) {
            if (!s.matches("[0-9]{1,18}")) {
                return false;
            }
        }
        return true;
    }
}
