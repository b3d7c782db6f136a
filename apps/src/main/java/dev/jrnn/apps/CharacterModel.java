package dev.jrnn.apps;

import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.train.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;

/**
 * A character-level LSTM language model as the demo trains it and {@code jrnn generate} reads it:
 * a {@link Checkpoint#saveModel} checkpoint (so {@code jrnn run} and {@code jrnn export} read it
 * too) whose metadata also holds the alphabet (the characters, in id order).
 */
final class CharacterModel {

    private CharacterModel() {
    }

    /** The checkpoint's own metadata: the alphabet (the model's shape is {@link Checkpoint#saveModel}'s description). */
    static Map<String, String> describe(String alphabet) {
        return Map.of(ALPHABET, alphabet);
    }

    private static final String ALPHABET = "alphabet";

    /** The model saved in {@code checkpoint}, and its alphabet. */
    record Loaded(LanguageModel model, String alphabet) {
    }

    static Loaded load(Path checkpoint) throws IOException {
        Map<String, String> info = dev.jrnn.models.io.SafeTensors.metadata(checkpoint);
        String alphabet = info.get(ALPHABET);
        if (alphabet == null || !"LanguageModel".equals(info.get(dev.jrnn.models.ModelDescription.KIND))) {
            throw new IllegalArgumentException(checkpoint + " is not a character model's checkpoint (from jrnn demo)");
        }
        LanguageModel lm = Checkpoint.loadModel(checkpoint, LanguageModel.class);
        if (lm.vocabulary() != alphabet.length()) {
            lm.close();
            throw new IOException(checkpoint + ": an alphabet of " + alphabet.length() + " characters for a model of "
                    + lm.vocabulary() + " tokens");
        }
        return new Loaded(lm, alphabet);
    }

    /** The distinct characters of {@code text}, in order. */
    static String alphabet(String text) {
        TreeSet<Character> chars = new TreeSet<>();
        for (char c : text.toCharArray()) {
            chars.add(c);
        }
        StringBuilder sb = new StringBuilder();
        chars.forEach(sb::append);
        return sb.toString();
    }

    /** Ids of {@code text}'s characters; a character outside the alphabet is a user's mistake, named. */
    static int[] encode(String text, String alphabet, String what, String why) {
        int[] ids = new int[text.length()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = alphabet.indexOf(text.charAt(i));
            if (ids[i] < 0) {
                throw new IllegalArgumentException(what + " has the character '" + text.charAt(i) + "' (U+"
                        + String.format("%04X", (int) text.charAt(i)) + "), which the model does not know"
                        + (why.isEmpty() ? "" : ": " + why));
            }
        }
        return ids;
    }
}
