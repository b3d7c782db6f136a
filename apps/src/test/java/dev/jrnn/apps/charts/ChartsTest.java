package dev.jrnn.apps.charts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.models.train.Trainer;
import java.awt.Color;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.XYPlot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pictures, read back as a viewer would: valid PNGs of the asked size, not blank, each value
 * drawn where the chart's own axes put it (the data area from JFreeChart's rendering info), NaN
 * a gap, nothing to draw a clear error, and no temporary file left behind.
 */
class ChartsTest {

    private static final int W = 640, H = 420;
    private static final Color RED = new Color(220, 0, 0), BLUE = new Color(0, 0, 200);

    @TempDir
    Path temp;

    @Test
    void aLineOfKnownDataIsDrawnWhereItsValuesAre() throws IOException {
        double[] x = new double[11], y = new double[11];
        for (int i = 0; i <= 10; i++) {
            x[i] = i;
            y[i] = 2 * i + 1;
        }
        LineChart chart = new LineChart("y = 2x + 1", "x", "y").line("line", x, y, RED);
        Path file = temp.resolve("line.png");
        chart.writePng(file, W, H);
        BufferedImage image = read(file, W, H);
        Where at = new Where(chart.chart());
        for (double v : new double[] {1, 4.5, 9}) {
            assertTrue(near(image, at.x(v), at.y(2 * v + 1), RED), "the line passes through (" + v + ", " + (2 * v + 1) + ")");
        }
        assertFalse(near(image, at.x(5), at.y(18), RED), "nothing red far above the line at x = 5");
        assertFalse(near(image, at.x(5), at.y(4), RED), "nor far below it");
        assertEquals(List.of(file), files(), "no temporary file left beside the picture");
    }

    @Test
    void nanBreaksALineAndDotsMarkOnlyFiniteValues() throws IOException {
        double[] x = new double[21], y = new double[21], dots = new double[21];
        for (int i = 0; i <= 20; i++) {
            x[i] = i;
            y[i] = i >= 8 && i <= 12 ? Double.NaN : 5;
            dots[i] = i == 3 ? 2 : Double.NaN;
        }
        LineChart chart = new LineChart("a gap", "x", "y").line("level", x, y, RED).dots("flag", x, dots, BLUE)
                .span("event", 15, 16, Color.ORANGE).span("event", 16, 17, Color.ORANGE).marker("held out", 18);
        Path file = temp.resolve("gap.png");
        chart.writePng(file, W, H);
        BufferedImage image = read(file, W, H);
        Where at = new Where(chart.chart());
        assertTrue(near(image, at.x(4), at.y(5), RED) && near(image, at.x(19.5), at.y(5), RED), "the line on both sides of the gap");
        assertFalse(near(image, at.x(10), at.y(5), RED), "no line where the values are NaN");
        assertTrue(near(image, at.x(3), at.y(2), BLUE), "the one finite dot");
        assertFalse(near(image, at.x(6), at.y(2), BLUE), "no dot for NaN");
        assertTrue(near(image, at.x(16), at.y(3), Color.ORANGE), "the shaded span");
    }

    @Test
    void aLogarithmicAxisSpacesPowersOfTenEvenlyAndSkipsZero() throws IOException {
        double[] x = {0, 1, 2, 3}, y = {0.1, 1, 10, 0};
        LineChart chart = new LineChart("log", "x", "y").line("powers", x, y, RED).logarithmicY();
        Path file = temp.resolve("log.png");
        chart.writePng(file, W, H);
        BufferedImage image = read(file, W, H);
        Where at = new Where(chart.chart());
        assertEquals(at.y(0.1) - at.y(1), at.y(1) - at.y(10), 1, "a decade is a decade");
        assertTrue(near(image, at.x(0.5), at.y(Math.sqrt(0.1)), RED), "straight between 0.1 and 1 on the log scale");
        for (int row = 2; row < H - 2; row++) {
            assertFalse(near(image, at.x(2.5), row, RED), "no line towards 0, which a log axis cannot show (row " + row + ")");
        }
    }

    @Test
    void aChartWithNothingFiniteIsAClearErrorAndWritesNothing() throws IOException {
        Path file = temp.resolve("none.png");
        LineChart allNaN = new LineChart("all NaN", "x", "y").line("a", new double[] {0, 1}, new double[] {Double.NaN, Double.NaN}, RED);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> allNaN.writePng(file, W, H));
        assertEquals("chart \"all NaN\": nothing to draw (no finite values)", e.getMessage());
        LineChart empty = new LineChart("empty", "x", "y").line("a", new double[0], new double[0], RED);
        assertThrows(IllegalArgumentException.class, () -> empty.writePng(file, W, H));
        assertThrows(IllegalArgumentException.class, () -> new LineChart("ragged", "x", "y").line("a", new double[2], new double[3], RED));
        Trainer.History none = new Trainer.History(List.of(), List.of(), List.of(), Double.NaN, 0, 0);
        assertThrows(IllegalArgumentException.class, () -> LossChart.writePng(file, "no steps", none));
        assertThrows(IllegalArgumentException.class, () -> new PianoRoll("rests", "t")
                .notes("only rests", new double[] {0}, new double[] {4}, new int[] {-1}, BLUE).writePng(file, W, H));
        assertEquals(List.of(), files(), "no picture and no temporary file");
    }

    @Test
    void aPictureIsReplacedWhole() throws IOException {
        Path file = temp.resolve("twice.png");
        new LineChart("first", "x", "y").line("a", new double[] {0, 1}, new double[] {0, 1}, RED).writePng(file, 300, 200);
        new LineChart("second", "x", "y").line("a", new double[] {0, 1}, new double[] {1, 0}, BLUE).writePng(file, W, H);
        read(file, W, H);
        assertEquals(List.of(file), files());
    }

    @Test
    void aHeatMapShadesEachCellByItsValue() throws IOException {
        double[][] v = {{4, 0, Double.NaN}, {0, 2, 4}};
        HeatMap map = new HeatMap("cells", "column", List.of("a", "b", "c"), "row", List.of("first", "second"), "value", v)
                .texts(new String[][] {{"4", "", ""}, {"", "2", "4"}});
        Path file = temp.resolve("heat.png");
        map.writePng(file, W, H);
        BufferedImage image = read(file, W, H);
        Where at = new Where(map.chart());
        // a quarter cell from each centre, clear of the cell's text; row 0 is at the top
        assertColour(image, at.x(0 - 0.25), at.y(0 - 0.25), HeatMap.HIGH, "the largest value, top left");
        assertColour(image, at.x(1 - 0.25), at.y(0 - 0.25), HeatMap.LOW, "0");
        assertColour(image, at.x(2 - 0.25), at.y(0 - 0.25), HeatMap.MISSING, "NaN");
        assertColour(image, at.x(1 - 0.25), at.y(1 - 0.25), (Color) new HeatMap.Shade(0, 4).getPaint(2), "half way");
        assertTrue(at.y(0) < at.y(1), "the first row above the second");
        assertThrows(IllegalArgumentException.class, () -> new HeatMap("t", "x", List.of("a"), "y", List.of("b"), "v", new double[][] {{1, 2}}));
        assertThrows(IllegalArgumentException.class,
                () -> new HeatMap("nan", "x", List.of("a"), "y", List.of("b"), "v", new double[][] {{Double.NaN}}).writePng(file, W, H));
    }

    @Test
    void aPianoRollDrawsEachNoteAtItsPitchAndTime() throws IOException {
        PianoRoll roll = new PianoRoll("notes", "sixteenths")
                .notes("seed", new double[] {0, 4}, new double[] {4, 4}, new int[] {60, -1}, RED)
                .notes("tune", new double[] {8, 12}, new double[] {4, 8}, new int[] {64, 67}, BLUE);
        Path file = temp.resolve("roll.png");
        roll.writePng(file, W, H);
        BufferedImage image = read(file, W, H);
        Where at = new Where(roll.chart());
        assertTrue(near(image, at.x(2), at.y(60), RED), "C4 in the first quarter");
        assertTrue(near(image, at.x(10), at.y(64), BLUE), "E4 in the third");
        assertTrue(near(image, at.x(18), at.y(67), BLUE), "G4 held to the end");
        assertFalse(near(image, at.x(2), at.y(64), BLUE) || near(image, at.x(6), at.y(60), RED), "nothing where no note sounds");
        assertEquals("C4", PianoRoll.name(60));
        assertEquals("A4", PianoRoll.name(69));
        assertEquals("C#-1", PianoRoll.name(1));
    }

    @Test
    void aLossChartDrawsTrainingAndValidation() throws IOException {
        List<double[]> training = List.of(new double[] {1, 3.0}, new double[] {2, 2.0}, new double[] {3, Double.NaN}, new double[] {4, 1.0});
        Trainer.History history = new Trainer.History(training, List.of(new double[] {2, 2.5}, new double[] {4, 1.5}), List.of(), 1.5, 4, 0);
        Path file = temp.resolve("loss.png");
        LossChart.writePng(file, "loss", history);
        BufferedImage image = ImageIO.read(file.toFile());
        assertEquals(900, image.getWidth());
        assertEquals(450, image.getHeight());
        Where at = new Where(LossChart.chart("loss", history).chart(), 900, 450);
        assertTrue(near(image, at.x(1.5), at.y(2.5), LossChart.TRAINING), "training from 3 to 2");
        assertTrue(near(image, at.x(3), at.y(2), LossChart.VALIDATION), "validation from 2.5 to 1.5");
        assertFalse(near(image, at.x(3.5), at.y(1.25), LossChart.TRAINING), "no training line across its NaN (from 2 to 1 between steps 2 and 4)");
    }

    /** Where the chart's axes put a value, in the pixels of a picture of the given size ({@link #W} x {@link #H} unless given). */
    private static final class Where {
        private final XYPlot plot;
        private final Rectangle2D area;

        Where(JFreeChart chart) {
            this(chart, W, H);
        }

        Where(JFreeChart chart, int width, int height) {
            ChartRenderingInfo info = new ChartRenderingInfo();
            chart.createBufferedImage(width, height, info);
            plot = chart.getXYPlot();
            area = info.getPlotInfo().getDataArea();
        }

        int x(double v) {
            return (int) Math.round(plot.getDomainAxis().valueToJava2D(v, area, plot.getDomainAxisEdge()));
        }

        int y(double v) {
            return (int) Math.round(plot.getRangeAxis().valueToJava2D(v, area, plot.getRangeAxisEdge()));
        }
    }

    private static BufferedImage read(Path file, int width, int height) throws IOException {
        BufferedImage image = ImageIO.read(file.toFile());
        assertNotNull(image, "a PNG ImageIO reads");
        assertEquals(width, image.getWidth());
        assertEquals(height, image.getHeight());
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < height; y += 3) {
            for (int x = 0; x < width; x += 3) {
                colours.add(image.getRGB(x, y));
            }
        }
        assertTrue(colours.size() > 10, "not blank: " + colours.size() + " colours");
        return image;
    }

    /** A pixel within 2 of (x, y) of about {@code colour} (anti-aliased edges blend). */
    private static boolean near(BufferedImage image, int x, int y, Color colour) {
        for (int dy = -2; dy <= 2; dy++) {
            for (int dx = -2; dx <= 2; dx++) {
                if (distance(new Color(image.getRGB(x + dx, y + dy)), colour) < 60) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void assertColour(BufferedImage image, int x, int y, Color expected, String what) {
        Color seen = new Color(image.getRGB(x, y));
        assertTrue(distance(seen, expected) <= 6, what + ": " + seen + " at (" + x + ", " + y + "), expected " + expected);
    }

    private static int distance(Color a, Color b) {
        return Math.abs(a.getRed() - b.getRed()) + Math.abs(a.getGreen() - b.getGreen()) + Math.abs(a.getBlue() - b.getBlue());
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> list = Files.list(temp)) {
            return list.toList();
        }
    }
}
