package dev.jrnn.apps.data;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A user's or a package's table, read whole: CSV (RFC 4180 quoting: commas, quotes and line breaks
 * inside quoted fields) or TSV (tab-separated, no quoting, as spreadsheet exports and sentence-pair
 * files write it), chosen by the file's extension ({@code .tsv}, {@code .tab}, {@code .txt} are
 * tab-separated). Every mistake is an {@link IOException} whose message starts with
 * {@code file:line:} and says what was expected, so a command can print it as one line.
 */
public final class Table {

    /** A table is read whole; a file larger than this is refused rather than exhausting the heap. */
    static final long MAX_BYTES = 1L << 30;

    private final Path file;
    private final List<String> header;
    private final List<String[]> rows = new ArrayList<>();
    private final List<Long> lines = new ArrayList<>();

    private Table(Path file, List<String> header) {
        this.file = file;
        this.header = header;
    }

    /** A table whose first row names the columns. */
    public static Table read(Path file) throws IOException {
        return read(file, true);
    }

    /**
     * A table; without a header row the columns are named "1", "2", ... Blank lines are skipped;
     * every other row must have as many fields as the first.
     */
    public static Table read(Path file, boolean header) throws IOException {
        CSVFormat format = tabSeparated(file)
                ? CSVFormat.TDF.builder().setQuote(null).setIgnoreSurroundingSpaces(false).setTrim(false).get()
                : CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).get();
        long bytes = Files.size(file);
        if (bytes > MAX_BYTES) {
            throw new IOException(file + ": " + bytes + " bytes, more than a table read whole may hold (" + MAX_BYTES + ")");
        }
        String text = UserText.decode(file, Files.readAllBytes(file)); // bytes that are not UTF-8: the line they are on
        Table table = null;
        Lines lines = new Lines(text);
        try (CSVParser parser = CSVParser.builder().setReader(new StringReader(text)).setFormat(format).get()) {
            for (CSVRecord record : parser) {
                long line = lines.at(record.getCharacterPosition());
                String[] fields = record.values();
                for (int i = 0; i < fields.length; i++) {
                    fields[i] = fields[i].strip();
                }
                if (fields.length == 1 && fields[0].isEmpty()) { // a blank line (TSV keeps them)
                    continue;
                }
                if (table == null) {
                    if (header) {
                        table = new Table(file, List.of(fields));
                        continue;
                    }
                    List<String> names = new ArrayList<>();
                    for (int i = 1; i <= fields.length; i++) {
                        names.add(Integer.toString(i));
                    }
                    table = new Table(file, names);
                }
                if (fields.length != table.header.size()) {
                    throw new IOException(table.where(line) + "a row of " + fields.length + " fields where "
                            + (header ? "the header has " : "the first row has ") + table.header.size()
                            + " (" + (tabSeparated(file) ? "tab" : "comma") + "-separated)");
                }
                table.rows.add(fields);
                table.lines.add(line);
            }
        } catch (UncheckedIOException e) { // the parser's own complaint, e.g. an unclosed quote
            throw new IOException(file + ": " + e.getCause().getMessage());
        } catch (IllegalStateException | IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage());
        }
        if (table == null) {
            throw new IOException(file + ": the file is empty (expected " + (header ? "a header row and " : "")
                    + "rows of " + (tabSeparated(file) ? "tab" : "comma") + "-separated fields)");
        }
        if (table.rows.isEmpty()) {
            throw new IOException(file + ": a header and no rows");
        }
        return table;
    }

    /** Line numbers of character positions, asked in increasing order. */
    private static final class Lines {
        private final String text;
        private int position;
        private long line = 1;

        Lines(String text) {
            this.text = text;
        }

        /** The line of the record at {@code target}, which the parser gives before the blank lines it skipped. */
        long at(long target) {
            while (target < text.length() && (text.charAt((int) target) == '\n' || text.charAt((int) target) == '\r')) {
                target++;
            }
            for (; position < target; position++) {
                if (text.charAt(position) == '\n') {
                    line++;
                }
            }
            return line;
        }
    }

    private static boolean tabSeparated(Path file) {
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".tsv") || name.endsWith(".tab") || name.endsWith(".txt");
    }

    public Path file() {
        return file;
    }

    public List<String> header() {
        return header;
    }

    public int size() {
        return rows.size();
    }

    /** The line of the file row {@code row} starts on (1-based), for messages. */
    public long line(int row) {
        return lines.get(row);
    }

    /** "file:line: ", the start of a message about a row. */
    public String where(int row) {
        return where(lines.get(row));
    }

    private String where(long line) {
        return file + ":" + line + ": ";
    }

    /** The column's position, or an error listing the columns there are. */
    public int column(String name) throws IOException {
        int c = header.indexOf(name);
        if (c < 0) {
            throw new IOException(file + ": no column '" + name + "' (there are " + String.join(", ", header) + ")");
        }
        return c;
    }

    /** The column's text. */
    public String[] text(String column) throws IOException {
        int c = column(column);
        return rows.stream().map(r -> r[c]).toArray(String[]::new);
    }

    /** The column as numbers; an empty field (or NA, NaN) is NaN, a missing value. */
    public double[] numbers(String column) throws IOException {
        int c = column(column);
        double[] out = new double[rows.size()];
        for (int i = 0; i < out.length; i++) {
            String text = rows.get(i)[c];
            if (text.isEmpty() || text.equalsIgnoreCase("NA") || text.equalsIgnoreCase("NaN")) {
                out[i] = Double.NaN;
                continue;
            }
            try {
                out[i] = Double.parseDouble(text);
            } catch (NumberFormatException e) {
                throw new IOException(where(i) + "'" + text + "' in column " + column + " is not a number");
            }
            if (Double.isInfinite(out[i])) {
                throw new IOException(where(i) + "'" + text + "' in column " + column + " is not a finite number");
            }
        }
        return out;
    }
}
