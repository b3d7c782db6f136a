package dev.jrnn.models.train;

import dev.jrnn.models.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Loss curves as an SVG picture (any browser or image viewer shows it): one line per series
 * (training, validation), steps on the x axis, the loss on the y axis, with tick labels.
 */
public final class LossCurve {

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};
    private static final int WIDTH = 720, HEIGHT = 420, LEFT = 70, RIGHT = 20, TOP = 40, BOTTOM = 50;

    private LossCurve() {
    }

    /** A series: its points as (step, loss) pairs, in step order. */
    public record Series(List<double[]> points) {
    }

    public static void writeSvg(Path path, String title, Map<String, Series> series) throws IOException {
        double minX = Double.POSITIVE_INFINITY, maxX = Double.NEGATIVE_INFINITY;
        double minY = Double.POSITIVE_INFINITY, maxY = Double.NEGATIVE_INFINITY;
        for (Series s : series.values()) {
            for (double[] p : s.points()) {
                if (Double.isFinite(p[1])) {
                    minX = Math.min(minX, p[0]);
                    maxX = Math.max(maxX, p[0]);
                    minY = Math.min(minY, p[1]);
                    maxY = Math.max(maxY, p[1]);
                }
            }
        }
        if (minX > maxX) {
            throw new IllegalArgumentException("no finite points to draw");
        }
        minY = Math.min(0, minY);
        maxX = maxX == minX ? minX + 1 : maxX;
        maxY = maxY == minY ? minY + 1 : maxY;
        double plotW = WIDTH - LEFT - RIGHT, plotH = HEIGHT - TOP - BOTTOM;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, HEIGHT));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"24\" font-size=\"15\">%s</text>%n", LEFT, escape(title)));
        svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" stroke=\"#888\"/>%n",
                LEFT, TOP, plotW, plotH));
        for (int i = 0; i <= 4; i++) {
            double y = minY + (maxY - minY) * i / 4, py = TOP + plotH * (1 - i / 4.0);
            double x = minX + (maxX - minX) * i / 4, px = LEFT + plotW * i / 4.0;
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>%n", LEFT - 6, py + 4, y));
            svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%.0f</text>%n", px, HEIGHT - BOTTOM + 18, x));
        }
        svg.append(String.format(Locale.ROOT, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">step</text>%n", LEFT + plotW / 2, HEIGHT - 12));
        int c = 0;
        for (Map.Entry<String, Series> e : series.entrySet()) {
            String colour = COLOURS[c % COLOURS.length];
            svg.append("<polyline fill=\"none\" stroke=\"").append(colour).append("\" stroke-width=\"1.5\" points=\"");
            for (double[] p : e.getValue().points()) {
                if (Double.isFinite(p[1])) {
                    svg.append(String.format(Locale.ROOT, "%.1f,%.1f ", LEFT + plotW * (p[0] - minX) / (maxX - minX),
                            TOP + plotH * (1 - (p[1] - minY) / (maxY - minY))));
                }
            }
            svg.append("\"/>\n");
            svg.append(String.format(Locale.ROOT, "<text x=\"%.0f\" y=\"%d\" fill=\"%s\" text-anchor=\"end\">%s</text>%n",
                    LEFT + plotW - 8, TOP + 18 + 16 * c, colour, escape(e.getKey())));
            c++;
        }
        svg.append("</svg>\n");
        byte[] bytes = svg.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(path, out -> out.write(bytes));
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
