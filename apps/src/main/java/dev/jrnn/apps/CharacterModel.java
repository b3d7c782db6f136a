package dev.jrnn.apps;

import dev.jrnn.core.rnn.CellKind;
import dev.jrnn.models.LanguageModel;
import dev.jrnn.models.train.Checkpoint;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * A character-level LSTM language model as the demo trains it and {@code jrnn generate} reads it:
 * the checkpoint's metadata holds the alphabet (the characters, in id order) and the sizes.
 */
final class CharacterModel {

    private CharacterModel() {
    }

    static Map<String, String> describe(String alphabet, int embedding, int hidden, int layers) {
        Map<String, String> info = new LinkedHashMap<>();
        info.put("model", "character-lstm");
        info.put("alphabet", alphabet);
        info.put("embedding", Integer.toString(embedding));
        info.put("hidden", Integer.toString(hidden));
        info.put("layers", Integer.toString(layers));
        return info;
    }

    /** The model saved in {@code checkpoint}, and its alphabet. */
    record Loaded(LanguageModel model, String alphabet) {
    }

    static Loaded load(Path checkpoint) throws IOException {
        Map<String, String> info = dev.jrnn.models.io.SafeTensors.metadata(checkpoint);
        if (!"character-lstm".equals(info.get("model"))) {
            throw new IllegalArgumentException(checkpoint + " is not a character model's checkpoint (from jrnn demo)");
        }
        String alphabet = info.get("alphabet");
        LanguageModel lm = new LanguageModel(CellKind.LSTM, alphabet.length(), Integer.parseInt(info.get("embedding")),
                Integer.parseInt(info.get("hidden")), Integer.parseInt(info.get("layers")), 0.0, 0);
        try {
            Checkpoint.loadWeights(checkpoint, lm);
        } catch (IOException | RuntimeException e) {
            lm.close();
            throw e;
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
