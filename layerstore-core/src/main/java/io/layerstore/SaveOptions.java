package io.layerstore;

import java.util.Objects;

/**
 * How {@link LayerStore#save(java.util.List, java.nio.file.Path, SaveOptions)} writes images: as a
 * {@code docker save} archive (the default), or as an OCI image layout in a tar or a directory,
 * whose layers may be compressed.
 *
 * <pre>{@code
 * store.save(List.of("app:1"), Path.of("app.tar"), SaveOptions.defaults());
 * store.save(List.of("app:1"), Path.of("app.oci.tar"),
 *     SaveOptions.defaults().format(SaveOptions.Format.OCI).compression(SaveOptions.Compression.GZIP));
 * }</pre>
 *
 * @param format the archive's form
 * @param compression how layers are compressed; only an OCI layout compresses them (saving a {@code
 *     docker save} archive with compressed layers is refused)
 */
public record SaveOptions(Format format, Compression compression) {

  /** The form of what is written. */
  public enum Format {
    /** A {@code docker save} archive, byte for byte what Docker writes: a tar. */
    DOCKER,
    /**
     * An OCI image layout as a tar, which also holds a {@code manifest.json}, as Docker ≥ 25 writes
     * it, so {@code docker load} reads it too.
     */
    OCI,
    /** The same OCI image layout as a directory. */
    OCI_DIR
  }

  /** How the layer blobs of an OCI layout are compressed; the same bytes every time. */
  public enum Compression {
    /** Plain tar, byte for byte the layer as it was loaded. */
    NONE,
    /** gzip, at the default level, with a header that names no file and no time. */
    GZIP,
    /** zstd, at level 3, with a checksum. */
    ZSTD
  }

  /**
   * Checks that both parts are given. Whether they go together is checked when saving, so that the
   * two may be set in either order.
   *
   * @param format the archive's form
   * @param compression how layers are compressed
   * @throws NullPointerException if either is null
   */
  public SaveOptions {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(compression, "compression");
  }

  /**
   * A {@code docker save} archive with uncompressed layers, as {@link
   * LayerStore#save(java.util.List, java.nio.file.Path)} writes.
   *
   * @return the default options
   */
  public static SaveOptions defaults() {
    return new SaveOptions(Format.DOCKER, Compression.NONE);
  }

  /**
   * These options with another format.
   *
   * @param format the archive's form
   * @return new options
   */
  public SaveOptions format(Format format) {
    return new SaveOptions(format, compression);
  }

  /**
   * These options with another layer compression.
   *
   * @param compression how layers are compressed
   * @return new options
   */
  public SaveOptions compression(Compression compression) {
    return new SaveOptions(format, compression);
  }
}
