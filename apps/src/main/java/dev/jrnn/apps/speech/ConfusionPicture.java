package dev.jrnn.apps.speech;

import dev.jrnn.models.io.AtomicFiles;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A confusion matrix as a PNG: one row per true class ("SPOKEN"), one column per predicted class
 * ("RECOGNIZED"), each cell shaded by its share of the row and labelled with its count. Labels are
 * drawn from a built-in 3x5 pixel font, so the picture needs no installed fonts (a fresh server
 * often has none, and Java2D's text then fails); Java2D runs headless.
 */
public final class ConfusionPicture {

    private static final int CELL = 40, PIXEL = 3, MARGIN = 64;

    /** 3x5 glyphs, rows top to bottom, '#' for ink. */
    private static final Map<Character, String> GLYPHS = Map.ofEntries(
            Map.entry('0', "####.##.##.####"), Map.entry('1', ".#.##..#..#.###"), Map.entry('2', "###..#####..###"),
            Map.entry('3', "###..####..####"), Map.entry('4', "#.##.####..#..#"), Map.entry('5', "####..###..####"),
            Map.entry('6', "####..####.####"), Map.entry('7', "###..#..#..#..#"), Map.entry('8', "####.#####.####"),
            Map.entry('9', "####.####..####"), Map.entry('S', ".###...#...###."), Map.entry('P', "##.#.###.#..#.."),
            Map.entry('O', ".#.#.##.##.#.#."), Map.entry('K', "#.##.###.#.##.#"), Map.entry('E', "####..##.#..###"),
            Map.entry('N', "##.#.##.##.##.#"), Map.entry('R', "##.#.###.#.##.#"), Map.entry('C', ".###..#..#...##"),
            Map.entry('G', ".###..#.##.#.##"), Map.entry('I', "###.#..#..#.###"), Map.entry('Z', "###..#.#.#..###"),
            Map.entry('D', "##.#.##.##.###."));

    private ConfusionPicture() {
    }

    /** Writes {@code counts[true][predicted]} to {@code file} (atomically). */
    public static void write(Path file, int[][] counts) throws IOException {
        System.setProperty("java.awt.headless", "true"); // no display on a server; set before AWT starts
        int classes = counts.length, side = MARGIN + classes * CELL + 8;
        BufferedImage image = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, side, side);
            g.setColor(Color.BLACK);
            text(g, "RECOGNIZED", MARGIN, 8, false);
            text(g, "SPOKEN", 8, MARGIN, true);
            for (int i = 0; i < classes; i++) {
                int rowTotal = 0;
                for (int c : counts[i]) {
                    rowTotal += c;
                }
                g.setColor(Color.BLACK);
                text(g, Integer.toString(i), MARGIN + i * CELL + CELL / 2 - 4, MARGIN - 22, false);
                text(g, Integer.toString(i), MARGIN - 22, MARGIN + i * CELL + CELL / 2 - 7, false);
                for (int j = 0; j < classes; j++) {
                    double share = rowTotal == 0 ? 0 : counts[i][j] / (double) rowTotal;
                    int shade = (int) Math.round(255 * (1 - share)); // white (none) to dark blue (the whole row)
                    g.setColor(new Color((int) (shade * 0.9), (int) (shade * 0.95), 90 + (int) (shade * 165 / 255.0)));
                    int x = MARGIN + j * CELL, y = MARGIN + i * CELL;
                    g.fillRect(x, y, CELL, CELL);
                    g.setColor(Color.LIGHT_GRAY);
                    g.drawRect(x, y, CELL, CELL);
                    if (counts[i][j] > 0) {
                        String n = Integer.toString(counts[i][j]);
                        g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                        text(g, n, x + (CELL - n.length() * 4 * PIXEL + PIXEL) / 2, y + (CELL - 5 * PIXEL) / 2, false);
                    }
                }
            }
        } finally {
            g.dispose();
        }
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer in this JDK");
            }
        });
    }

    /** Draws {@code s} in the pixel font from its top-left corner, left to right or top to bottom. */
    private static void text(Graphics2D g, String s, int x, int y, boolean down) {
        for (int i = 0; i < s.length(); i++) {
            String glyph = GLYPHS.get(s.charAt(i));
            int gx = down ? x : x + i * 4 * PIXEL, gy = down ? y + i * 6 * PIXEL : y;
            for (int p = 0; p < 15; p++) {
                if (glyph.charAt(p) == '#') {
                    g.fillRect(gx + (p % 3) * PIXEL, gy + (p / 3) * PIXEL, PIXEL, PIXEL);
                }
            }
        }
    }
}
