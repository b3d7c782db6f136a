package dev.jrnn.apps.series;

import dev.jrnn.models.io.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A line chart written as PNG with Java2D (headless, no display needed), so forecasts and flags
 * can be looked at: lines (a NaN breaks a line), dots, shaded x-ranges and vertical markers, with
 * axes, ticks and a legend. Shared by {@code jrnn forecast} and {@code jrnn anomalies}.
 */
public final class Chart {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private record Layer(String name, double[] x, double[] y, Color color, boolean dots) {
    }

    private record Span(double from, double to) {
    }

    private record Marker(String name, double x) {
    }

    private final String title, xLabel, yLabel;
    private final List<Layer> layers = new ArrayList<>();
    private final List<Span> spans = new ArrayList<>();
    private String spanName;
    private Color spanColor;
    private final List<Marker> markers = new ArrayList<>();

    public Chart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    public Chart line(String name, double[] x, double[] y, Color color) {
        layers.add(new Layer(name, x, y, color, false));
        return this;
    }

    public Chart dots(String name, double[] x, double[] y, Color color) {
        layers.add(new Layer(name, x, y, color, true));
        return this;
    }

    /** Shades {@code [from, to]} on the x axis; all spans share one legend entry. */
    public Chart span(String name, double from, double to, Color color) {
        spans.add(new Span(from, to));
        spanName = name;
        spanColor = color;
        return this;
    }

    /** A dashed vertical line at {@code x}, labelled at the top. */
    public Chart marker(String name, double x) {
        markers.add(new Marker(name, x));
        return this;
    }

    public void writePng(Path file, int width, int height) throws IOException {
        double xMin = Double.POSITIVE_INFINITY, xMax = Double.NEGATIVE_INFINITY;
        double yMin = Double.POSITIVE_INFINITY, yMax = Double.NEGATIVE_INFINITY;
        for (Layer l : layers) {
            for (int i = 0; i < l.x().length; i++) {
                if (Double.isFinite(l.y()[i])) {
                    xMin = Math.min(xMin, l.x()[i]);
                    xMax = Math.max(xMax, l.x()[i]);
                    yMin = Math.min(yMin, l.y()[i]);
                    yMax = Math.max(yMax, l.y()[i]);
                }
            }
        }
        if (!(xMax > xMin)) {
            xMax = xMin + 1;
        }
        if (!(yMax > yMin)) {
            yMax = yMin + 1;
        }
        double pad = (yMax - yMin) * 0.05;
        yMin -= pad;
        yMax += pad;
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int left = 70, right = width - 20, top = 50, bottom = height - 50;
        Axis ax = new Axis(xMin, xMax, left, right), ay = new Axis(yMin, yMax, bottom, top);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (Span s : spans) {
            g.setColor(spanColor);
            int a = ax.px(s.from()), b = ax.px(s.to());
            g.fillRect(Math.min(a, b), top, Math.max(2, Math.abs(b - a)), bottom - top);
        }
        // grid and ticks
        for (double v : ticks(xMin, xMax)) {
            int p = ax.px(v);
            g.setColor(new Color(235, 235, 235));
            g.drawLine(p, top, p, bottom);
            g.setColor(Color.DARK_GRAY);
            g.drawString(label(v), p - 15, bottom + 16);
        }
        for (double v : ticks(yMin, yMax)) {
            int p = ay.px(v);
            g.setColor(new Color(235, 235, 235));
            g.drawLine(left, p, right, p);
            g.setColor(Color.DARK_GRAY);
            g.drawString(label(v), 5, p + 4);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, right - left, bottom - top);
        g.drawString(xLabel, (left + right) / 2 - 30, height - 12);
        g.drawString(yLabel, 5, top - 8);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {5f, 4f}, 0f));
        for (Marker m : markers) {
            int p = ax.px(m.x());
            g.setColor(Color.GRAY);
            g.drawLine(p, top, p, bottom);
            g.drawString(m.name(), p + 4, top + 14);
        }
        g.setClip(left, top, right - left + 1, bottom - top + 1);
        for (Layer l : layers) {
            g.setColor(l.color());
            if (l.dots()) {
                for (int i = 0; i < l.x().length; i++) {
                    if (Double.isFinite(l.y()[i])) {
                        g.fillOval(ax.px(l.x()[i]) - 3, ay.px(l.y()[i]) - 3, 7, 7);
                    }
                }
                continue;
            }
            g.setStroke(new BasicStroke(1.6f));
            Path2D path = new Path2D.Double();
            boolean open = false;
            for (int i = 0; i < l.x().length; i++) {
                if (!Double.isFinite(l.y()[i])) {
                    open = false;
                    continue;
                }
                if (open) {
                    path.lineTo(ax.px(l.x()[i]), ay.px(l.y()[i]));
                } else {
                    path.moveTo(ax.px(l.x()[i]), ay.px(l.y()[i]));
                    open = true;
                }
            }
            g.draw(path);
        }
        g.setClip(null);
        // legend, top right
        List<String> names = new ArrayList<>();
        List<Color> colors = new ArrayList<>();
        for (Layer l : layers) {
            names.add(l.name());
            colors.add(l.color());
        }
        if (spanName != null) {
            names.add(spanName);
            colors.add(spanColor);
        }
        int widest = names.stream().mapToInt(n -> g.getFontMetrics().stringWidth(n)).max().orElse(0);
        int lx = right - widest - 40, ly = top + 8;
        g.setColor(new Color(255, 255, 255, 220));
        g.fillRect(lx - 6, ly - 4, widest + 40, names.size() * 16 + 6);
        for (int i = 0; i < names.size(); i++) {
            g.setColor(colors.get(i));
            g.fillRect(lx, ly + i * 16 + 3, 18, 6);
            g.setColor(Color.BLACK);
            g.drawString(names.get(i), lx + 24, ly + i * 16 + 11);
        }
        g.dispose();
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer in this JDK");
            }
        });
    }

    /** Maps data values linearly onto pixels between {@code p0} and {@code p1}. */
    private record Axis(double v0, double v1, int p0, int p1) {
        int px(double v) {
            return (int) Math.round(p0 + (v - v0) / (v1 - v0) * (p1 - p0));
        }
    }

    /** About six round tick values (1, 2 or 5 times a power of ten apart) inside {@code [lo, hi]}. */
    private static List<Double> ticks(double lo, double hi) {
        double raw = (hi - lo) / 6, power = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / power < 1.5 ? power : raw / power < 3.5 ? 2 * power : raw / power < 7.5 ? 5 * power : 10 * power;
        List<Double> out = new ArrayList<>();
        for (double v = Math.ceil(lo / step) * step; v <= hi; v += step) {
            out.add(Math.abs(v) < step * 1e-9 ? 0 : v);
        }
        return out;
    }

    private static String label(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e7 ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.3g", v);
    }
}
