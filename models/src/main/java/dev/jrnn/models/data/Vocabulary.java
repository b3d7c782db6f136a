package dev.jrnn.models.data;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Tokens and their ids: the special tokens first (the unknown token, id 0, then e.g. {@code <s>},
 * {@code </s>}), then the tokens of a corpus, {@link #byFrequency most frequent first} or
 * {@link #firstSeen in order of appearance}. A token outside the vocabulary reads as the unknown
 * token; an id outside it is refused.
 */
public final class Vocabulary {

    private final List<String> tokens;
    private final Map<String, Integer> ids = new HashMap<>();

    private Vocabulary(List<String> tokens) {
        this.tokens = List.copyOf(tokens);
        for (int i = 0; i < this.tokens.size(); i++) {
            if (ids.putIfAbsent(this.tokens.get(i), i) != null) {
                throw new IllegalArgumentException("the token '" + this.tokens.get(i) + "' is in the vocabulary twice");
            }
        }
    }

    /** Exactly these tokens, in this order; the first is the unknown token. */
    public static Vocabulary of(List<String> tokens) {
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("a vocabulary needs at least the unknown token");
        }
        return new Vocabulary(tokens);
    }

    /**
     * The specials ({@code unknown} first), then at most {@code cap} of the corpus's other tokens,
     * most frequent first, the first seen first among equals.
     */
    public static Vocabulary byFrequency(Collection<? extends List<String>> corpus, int cap, String unknown, String... specials) {
        if (cap < 0) {
            throw new IllegalArgumentException("cap must not be negative, got " + cap);
        }
        List<String> out = specials(unknown, specials);
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (List<String> sequence : corpus) {
            for (String token : sequence) {
                if (!out.contains(token)) {
                    counts.merge(token, 1, Integer::sum);
                }
            }
        }
        List<String> byCount = new ArrayList<>(counts.keySet());
        byCount.sort(Comparator.comparingInt(counts::get).reversed()); // stable: ties keep first-seen order
        out.addAll(byCount.subList(0, Math.min(cap, byCount.size())));
        return new Vocabulary(out);
    }

    /** The specials ({@code unknown} first), then every other token of the corpus in order of first appearance. */
    public static Vocabulary firstSeen(Collection<? extends List<String>> corpus, String unknown, String... specials) {
        List<String> out = specials(unknown, specials);
        java.util.Set<String> seen = new java.util.LinkedHashSet<>(out);
        for (List<String> sequence : corpus) {
            seen.addAll(sequence);
        }
        return new Vocabulary(new ArrayList<>(seen));
    }

    private static List<String> specials(String unknown, String... specials) {
        List<String> out = new ArrayList<>();
        out.add(java.util.Objects.requireNonNull(unknown, "unknown token"));
        Collections.addAll(out, specials);
        return out;
    }

    public int size() {
        return tokens.size();
    }

    /** The unknown token, id 0. */
    public String unknown() {
        return tokens.get(0);
    }

    public boolean contains(String token) {
        return ids.containsKey(token);
    }

    /** The token's id; the unknown token's (0) for a token outside the vocabulary. */
    public int id(String token) {
        return ids.getOrDefault(token, 0);
    }

    /** The id of a token that must be in the vocabulary (a special such as {@code </s>}). */
    public int requireId(String token) {
        Integer id = ids.get(token);
        if (id == null) {
            throw new IllegalArgumentException("'" + token + "' is not in the vocabulary");
        }
        return id;
    }

    public int[] ids(List<String> sequence) {
        return sequence.stream().mapToInt(this::id).toArray();
    }

    public String token(int id) {
        if (id < 0 || id >= tokens.size()) {
            throw new IllegalArgumentException("id " + id + " is not in the vocabulary [0, " + tokens.size() + ")");
        }
        return tokens.get(id);
    }

    public List<String> tokens(int[] ids) {
        List<String> out = new ArrayList<>(ids.length);
        for (int id : ids) {
            out.add(token(id));
        }
        return out;
    }

    /** All the tokens, in id order. */
    public List<String> tokens() {
        return tokens;
    }

    /** The share of the corpus's tokens that are in this vocabulary (1 for an empty corpus). */
    public double coverage(Collection<? extends List<String>> corpus) {
        long known = 0, all = 0;
        for (List<String> s : corpus) {
            for (String t : s) {
                known += ids.containsKey(t) ? 1 : 0;
                all++;
            }
        }
        return all == 0 ? 1 : known / (double) all;
    }
}
