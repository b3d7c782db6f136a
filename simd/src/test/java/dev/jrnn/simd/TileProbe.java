package dev.jrnn.simd;

/** Run in a child JVM by {@link RememberedTileTest}: the tile a process starts with, then what {@code jrnn backends} says. */
public final class TileProbe {

    public static void main(String[] args) {
        System.out.println("first=" + Gemm.tile().label());
        System.out.println("described=" + Gemm.describeTile());
    }
}
