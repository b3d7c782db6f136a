package dev.jrnn.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jrnn.apps.RunCommandTest.Run;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/** What every command's picture must be: named in its output, a PNG ImageIO reads, of the size drawn, not blank, with no temporary file beside it. */
final class Pictures {

    private Pictures() {
    }

    /** The picture, checked; {@code width} 0: of any size. */
    static BufferedImage check(Run run, Path file, int width, int height) {
        assertTrue(run.out().contains(file.toString()), "the command says where it wrote " + file + ":\n" + run.out());
        try {
            BufferedImage image = ImageIO.read(file.toFile());
            assertNotNull(image, file + " is a picture ImageIO reads");
            if (width > 0) {
                assertEquals(width, image.getWidth(), file.toString());
                assertEquals(height, image.getHeight(), file.toString());
            }
            Set<Integer> colours = new HashSet<>();
            for (int y = 0; y < image.getHeight(); y += 2) {
                for (int x = 0; x < image.getWidth(); x += 2) {
                    colours.add(image.getRGB(x, y));
                }
            }
            assertTrue(colours.size() > 10, file + " is not blank: " + colours.size() + " colours");
            try (Stream<Path> list = Files.list(file.getParent())) {
                List<Path> partial = list.filter(f -> f.getFileName().toString().endsWith(".partial")).toList();
                assertEquals(List.of(), partial, "no temporary file left");
            }
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
