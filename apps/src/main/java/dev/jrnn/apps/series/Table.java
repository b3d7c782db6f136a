package dev.jrnn.apps.series;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A small CSV file with a header row, read whole: the data sets here are plain comma-separated
 * numbers and words (no quoted commas), so no CSV library is needed. Quotes around a field are dropped.
 */
public final class Table {

    private final Path file;
    private final List<String> header;
    private final List<String[]> rows = new ArrayList<>();

    private Table(Path file, List<String> header) {
        this.file = file;
        this.header = header;
    }

    public static Table read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty()) {
            throw new IOException(file + " is empty");
        }
        Table table = new Table(file, Arrays.stream(fields(lines.get(0))).toList());
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                String[] f = fields(line);
                if (f.length != table.header.size()) {
                    throw new IOException(file + ": a row of " + f.length + " fields under a header of " + table.header.size() + ": " + line);
                }
                table.rows.add(f);
            }
        }
        return table;
    }

    /** Fields of one line; -1 keeps a trailing empty field (a missing value). */
    private static String[] fields(String line) {
        String[] f = line.split(",", -1);
        for (int i = 0; i < f.length; i++) {
            f[i] = f[i].strip().replace("\"", "");
        }
        return f;
    }

    public int size() {
        return rows.size();
    }

    /** The column's text. */
    public String[] text(String column) throws IOException {
        int c = header.indexOf(column);
        if (c < 0) {
            throw new IOException(file.getFileName() + " has no column " + column + " (it has " + header + ")");
        }
        return rows.stream().map(r -> r[c]).toArray(String[]::new);
    }

    /** The column as numbers; an empty field is NaN (a missing value). */
    public double[] numbers(String column) throws IOException {
        String[] text = text(column);
        double[] out = new double[text.length];
        for (int i = 0; i < text.length; i++) {
            try {
                out[i] = text[i].isEmpty() ? Double.NaN : Double.parseDouble(text[i]);
            } catch (NumberFormatException e) {
                throw new IOException(file.getFileName() + ": '" + text[i] + "' in column " + column + " is not a number");
            }
        }
        return out;
    }
}
