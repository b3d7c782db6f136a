package dev.jrnn.apps.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A user's labelled texts: a CSV or TSV ({@link Table}) with a column of texts and a column of
 * labels, any number of classes. Columns are chosen by name or by number (1 is the first); by
 * default the text is the first column named like one (text, sentence, review, ...) or else the
 * first column, and the label the first named like one (label, class, sentiment, ...) or else the
 * last. Every label must occur at least twice: a label seen once cannot be both trained on and tested.
 */
public final class LabelledTexts {

    private static final Set<String> TEXT_NAMES = Set.of("text", "sentence", "review", "comment", "document", "content", "message");
    private static final Set<String> LABEL_NAMES = Set.of("label", "class", "sentiment", "category", "target", "polarity", "y");

    /** One row: its text, its label and the line it starts on. */
    public record Example(String text, String label, long line) {
    }

    /** The rows, the columns read and the labels (sorted: a label's id is its place here). */
    public record Data(Path file, String textColumn, String labelColumn, List<Example> examples, List<String> labels) {

        /** The id of {@code label}: its place in {@link #labels}. */
        public int id(String label) {
            return labels.indexOf(label);
        }
    }

    private LabelledTexts() {
    }

    /**
     * The labelled texts of {@code file}; {@code textColumn} and {@code labelColumn} name a column
     * (or number it) or are null for the default. Without a header row the columns are numbered.
     */
    public static Data read(Path file, boolean header, String textColumn, String labelColumn) throws IOException {
        return of(Table.read(file, header), textColumn, labelColumn);
    }

    static Data of(Table table, String textColumn, String labelColumn) throws IOException {
        Path file = table.file();
        if (table.header().size() < 2) {
            throw new IOException(file + ": one column; expected a column of texts and one of labels "
                    + "(comma-separated, or tab-separated in a .tsv or .txt file)");
        }
        int text = textColumn != null ? column(table, textColumn) : named(table, TEXT_NAMES, 0);
        int label = labelColumn != null ? column(table, labelColumn) : named(table, LABEL_NAMES, table.header().size() - 1);
        if (text == label) {
            throw new IOException(file + ": the texts and the labels are both column " + table.header().get(text)
                    + "; choose them with --text-column and --label-column");
        }
        String[] texts = table.text(table.header().get(text)), labels = table.text(table.header().get(label));
        List<Example> examples = new ArrayList<>();
        Map<String, Integer> count = new HashMap<>();
        Map<String, Long> firstLine = new HashMap<>();
        for (int i = 0; i < texts.length; i++) {
            if (texts[i].isEmpty()) {
                throw new IOException(table.where(i) + "an empty text in column " + table.header().get(text) + " (expected a text and its label)");
            }
            if (labels[i].isEmpty()) {
                throw new IOException(table.where(i) + "an empty label in column " + table.header().get(label) + " (expected a text and its label)");
            }
            examples.add(new Example(texts[i], labels[i], table.line(i)));
            count.merge(labels[i], 1, Integer::sum);
            firstLine.putIfAbsent(labels[i], table.line(i));
        }
        TreeSet<String> sorted = new TreeSet<>(count.keySet());
        for (String l : sorted) {
            if (count.get(l) == 1) {
                throw new IOException(file + ":" + firstLine.get(l) + ": the label '" + l + "' occurs on this line only; "
                        + "expected every label at least twice (one example cannot be both trained on and tested)");
            }
        }
        if (sorted.size() < 2) {
            throw new IOException(file + ": every row has the label '" + sorted.first() + "'; expected at least two labels to tell apart");
        }
        return new Data(file, table.header().get(text), table.header().get(label), examples, List.copyOf(sorted));
    }

    /** The column {@code name}, or numbered {@code name} (1 is the first). */
    static int column(Table table, String name) throws IOException {
        int c = table.header().indexOf(name);
        if (c >= 0) {
            return c;
        }
        if (name.matches("[0-9]{1,9}")) {
            int n = Integer.parseInt(name);
            if (n >= 1 && n <= table.header().size()) {
                return n - 1;
            }
        }
        return table.column(name); // the error listing the columns there are
    }

    private static int named(Table table, Set<String> names, int otherwise) {
        for (int c = 0; c < table.header().size(); c++) {
            if (names.contains(table.header().get(c).toLowerCase(Locale.ROOT))) {
                return c;
            }
        }
        return otherwise;
    }
}
