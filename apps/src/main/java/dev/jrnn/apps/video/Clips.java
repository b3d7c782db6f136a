package dev.jrnn.apps.video;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Path2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Short rendered video clips of one coloured shape doing one action, with a grey distractor shape
 * drifting about and pixel noise. No labelled video exists in the registries this project reaches,
 * so the clips are drawn (Java2D, anti-aliased) from seeded geometry, and say so.
 * <p>
 * A clip is {@link #MIN_FRAMES} to {@link #MAX_FRAMES} frames (the action spans the clip, so
 * how fast it goes and when a bounce turns vary with the length, as in footage that is not cut to
 * a fixed rhythm) of {@link #SIZE} x {@link #SIZE} RGB pixels in [0, 1] plus noise, flattened per
 * frame as {@code [y][x][channel]}.
 */
public final class Clips {

    public static final int SIZE = 24, MIN_FRAMES = 8, MAX_FRAMES = 16, FEATURES = SIZE * SIZE * 3;

    /** What the shape does over the clip, with the words that caption it. */
    public enum Action {
        LEFT("moves left"), RIGHT("moves right"), UP("moves up"), DOWN("moves down"),
        ROTATE("turns around"), GROW("grows"), SHRINK("shrinks"), BOUNCE("bounces off the wall");

        public final String words;

        Action(String words) {
            this.words = words;
        }
    }

    public enum Kind {
        SQUARE, CIRCLE, TRIANGLE
    }

    /** Colours of the actor; the distractor is always grey. */
    public enum Hue {
        RED(new Color(230, 40, 40)), GREEN(new Color(40, 200, 60)), BLUE(new Color(50, 90, 240));

        final Color color;

        Hue(Color color) {
            this.color = color;
        }
    }

    /** One clip: its frames {@code [length][FEATURES]} and what it shows. */
    public record Clip(float[][] frames, Action action, Kind kind, Hue hue) {
        /** The caption, e.g. "a red square moves left". */
        public String caption() {
            return "a " + hue.name().toLowerCase() + " " + kind.name().toLowerCase() + " " + action.words;
        }
    }

    private Clips() {
    }

    /** {@code count} clips, each action equally likely (a circle never turns around: it would look still). */
    public static List<Clip> render(int count, double noise, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Clip> clips = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Action action = Action.values()[random.nextInt(Action.values().length)];
            Kind kind;
            do {
                kind = Kind.values()[random.nextInt(Kind.values().length)];
            } while (action == Action.ROTATE && kind == Kind.CIRCLE);
            Hue hue = Hue.values()[random.nextInt(Hue.values().length)];
            clips.add(new Clip(frames(action, kind, hue, noise, random), action, kind, hue));
        }
        return clips;
    }

    private static float[][] frames(Action action, Kind kind, Hue hue, double noise, SplittableRandom random) {
        int frameCount = MIN_FRAMES + random.nextInt(MAX_FRAMES - MIN_FRAMES + 1);
        double radius = 3 + random.nextDouble() * 1.5, travel = 9 + random.nextDouble() * 4, speed = travel / (frameCount - 1);
        double margin = radius + 1;
        // start where the whole motion stays inside the frame
        double x = margin + random.nextDouble() * (SIZE - 2 * margin), y = margin + random.nextDouble() * (SIZE - 2 * margin);
        double dx = 0, dy = 0;
        switch (action) {
            case LEFT -> {
                x = margin + travel + random.nextDouble() * Math.max(0, SIZE - 2 * margin - travel);
                dx = -speed;
            }
            case RIGHT -> {
                x = margin + random.nextDouble() * Math.max(0, SIZE - 2 * margin - travel);
                dx = speed;
            }
            case UP -> {
                y = margin + travel + random.nextDouble() * Math.max(0, SIZE - 2 * margin - travel);
                dy = -speed;
            }
            case DOWN -> {
                y = margin + random.nextDouble() * Math.max(0, SIZE - 2 * margin - travel);
                dy = speed;
            }
            case BOUNCE -> { // fast toward a side wall, back from it halfway through
                double half = frameCount / 2;
                dx = (random.nextBoolean() ? 1 : -1) * 10 / half;
                x = dx > 0 ? SIZE - margin - 10 : margin + 10;
            }
            default -> {
            }
        }
        double angle0 = random.nextDouble() * Math.PI, spin = (random.nextBoolean() ? 1 : -1) * Math.toRadians(15);
        double gx = SIZE * random.nextDouble(), gy = SIZE * random.nextDouble();
        double gdx = random.nextDouble(-0.4, 0.4), gdy = random.nextDouble(-0.4, 0.4);
        Kind grey = Kind.values()[random.nextInt(Kind.values().length)];
        float[][] frames = new float[frameCount][];
        BufferedImage image = new BufferedImage(SIZE, SIZE, BufferedImage.TYPE_INT_RGB);
        for (int t = 0; t < frameCount; t++) {
            double cx = x + dx * t, cy = y + dy * t;
            if (action == Action.BOUNCE && t > frameCount / 2) {
                cx = x + dx * (2 * (frameCount / 2) - t); // mirrored: back the way it came
            }
            double r = switch (action) {
                case GROW -> 1.8 + 4.2 * t / (frameCount - 1.0);
                case SHRINK -> 6.0 - 4.2 * t / (frameCount - 1.0);
                default -> radius;
            };
            double angle = angle0 + (action == Action.ROTATE ? spin * t : 0);
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.BLACK);
            g.fillRect(0, 0, SIZE, SIZE);
            g.setColor(new Color(128, 128, 128));
            g.fill(shape(grey, gx + gdx * t, gy + gdy * t, 2.5, 0));
            g.setColor(hue.color);
            g.fill(shape(kind, cx, cy, r, angle));
            g.dispose();
            frames[t] = pixels(image, noise, random);
        }
        return frames;
    }

    private static Shape shape(Kind kind, double cx, double cy, double r, double angle) {
        Shape base = switch (kind) {
            case SQUARE -> new Rectangle2D.Double(-r * 0.85, -r * 0.85, 1.7 * r, 1.7 * r);
            case CIRCLE -> new Ellipse2D.Double(-r, -r, 2 * r, 2 * r);
            case TRIANGLE -> {
                Path2D.Double p = new Path2D.Double();
                p.moveTo(0, -r * 1.1);
                p.lineTo(r, r * 0.8);
                p.lineTo(-r, r * 0.8);
                p.closePath();
                yield p;
            }
        };
        AffineTransform at = new AffineTransform();
        at.translate(cx, cy);
        at.rotate(angle);
        return at.createTransformedShape(base);
    }

    private static float[] pixels(BufferedImage image, double noise, SplittableRandom random) {
        float[] out = new float[FEATURES];
        for (int y = 0, i = 0; y < SIZE; y++) {
            for (int x = 0; x < SIZE; x++) {
                int rgb = image.getRGB(x, y);
                for (int shift = 16; shift >= 0; shift -= 8, i++) {
                    out[i] = (float) (((rgb >> shift) & 0xff) / 255.0 + noise * random.nextGaussian());
                }
            }
        }
        return out;
    }
}
