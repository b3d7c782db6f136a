package dev.jrnn.apps.video;

import dev.jrnn.apps.video.Clips.Clip;
import dev.jrnn.models.io.AtomicFiles;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A PNG contact sheet: one row of frames per clip, each row under its label. The frames are
 * pixels, not data to plot, so this is drawn with Java2D rather than the charting library.
 */
public final class ClipPicture {

    private static final int SCALE = 4, LABEL = 16, GAP = 2;

    private ClipPicture() {
    }

    public static void write(Path target, List<Clip> clips, List<String> labels) throws IOException {
        int frame = Clips.SIZE * SCALE, row = LABEL + frame + GAP;
        BufferedImage sheet = new BufferedImage(Clips.MAX_FRAMES * (frame + GAP), clips.size() * row, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = sheet.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, sheet.getWidth(), sheet.getHeight());
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (int n = 0; n < clips.size(); n++) {
            g.setColor(Color.BLACK);
            g.drawString(labels.get(n), 2, n * row + LABEL - 4);
            for (int t = 0; t < clips.get(n).frames().length; t++) {
                float[] pixels = clips.get(n).frames()[t];
                for (int y = 0; y < Clips.SIZE; y++) {
                    for (int x = 0; x < Clips.SIZE; x++) {
                        int i = (y * Clips.SIZE + x) * 3;
                        g.setColor(new Color(clamp(pixels[i]), clamp(pixels[i + 1]), clamp(pixels[i + 2])));
                        g.fillRect(t * (frame + GAP) + x * SCALE, n * row + LABEL + y * SCALE, SCALE, SCALE);
                    }
                }
            }
        }
        g.dispose();
        AtomicFiles.write(target, out -> {
            if (!ImageIO.write(sheet, "png", out)) {
                throw new IOException("no PNG writer in this JDK");
            }
        });
    }

    private static float clamp(float v) {
        return Math.max(0, Math.min(1, v));
    }
}
