package io.layerstore.format;

import io.layerstore.archive.Compression;
import java.util.Optional;
import java.util.Set;

/**
 * The media types of OCI image-spec v1 and Docker's image manifest schema 2, and what each one
 * means to a reader: manifest, index, config or layer, and for a layer how it is compressed.
 * Docker's and OCI's names for the same thing are interchangeable here, as they are to containerd.
 */
public final class MediaTypes {

  /** OCI image manifest. */
  public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

  /** OCI image index. */
  public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";

  /** OCI image config. */
  public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";

  /** OCI layer, uncompressed tar. */
  public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";

  /** OCI layer, gzip. */
  public static final String OCI_LAYER_GZIP = OCI_LAYER + "+gzip";

  /** OCI layer, zstd. */
  public static final String OCI_LAYER_ZSTD = OCI_LAYER + "+zstd";

  /** OCI non-distributable layer (deprecated by the spec, still read), uncompressed. */
  public static final String OCI_NONDIST_LAYER =
      "application/vnd.oci.image.layer.nondistributable.v1.tar";

  /** OCI non-distributable layer, gzip. */
  public static final String OCI_NONDIST_LAYER_GZIP = OCI_NONDIST_LAYER + "+gzip";

  /** OCI non-distributable layer, zstd. */
  public static final String OCI_NONDIST_LAYER_ZSTD = OCI_NONDIST_LAYER + "+zstd";

  /** Docker schema 2 manifest. */
  public static final String DOCKER_MANIFEST =
      "application/vnd.docker.distribution.manifest.v2+json";

  /** Docker manifest list (Docker's index). */
  public static final String DOCKER_MANIFEST_LIST =
      "application/vnd.docker.distribution.manifest.list.v2+json";

  /** Docker image config. */
  public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";

  /** Docker layer, gzip (Docker's name says "tar.gzip"; the bytes may also be plain tar). */
  public static final String DOCKER_LAYER_GZIP =
      "application/vnd.docker.image.rootfs.diff.tar.gzip";

  /** Docker layer, uncompressed: written by some tools, read by containerd. */
  public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";

  /** Docker foreign (non-distributable) layer, gzip. */
  public static final String DOCKER_FOREIGN_LAYER_GZIP =
      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

  /** Docker layer, zstd, as containerd names it. */
  public static final String DOCKER_LAYER_ZSTD =
      "application/vnd.docker.image.rootfs.diff.tar.zstd";

  /** The version an {@code oci-layout} file must declare. */
  public static final String LAYOUT_VERSION = "1.0.0";

  private static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);
  private static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);
  private static final Set<String> CONFIGS = Set.of(OCI_CONFIG, DOCKER_CONFIG);

  private MediaTypes() {}

  /**
   * Whether {@code type} names an image manifest.
   *
   * @param type a media type, may be null
   * @return true for the OCI or Docker schema 2 manifest
   */
  public static boolean isManifest(String type) {
    return MANIFESTS.contains(type);
  }

  /**
   * Whether {@code type} names an index.
   *
   * @param type a media type, may be null
   * @return true for the OCI index or Docker manifest list
   */
  public static boolean isIndex(String type) {
    return INDEXES.contains(type);
  }

  /**
   * Whether {@code type} names an image config.
   *
   * @param type a media type, may be null
   * @return true for the OCI or Docker image config
   */
  public static boolean isConfig(String type) {
    return CONFIGS.contains(type);
  }

  /**
   * How a layer of this media type is compressed.
   *
   * @param type a media type, may be null
   * @return the compression its name declares, or empty if it is not a layer type we read
   */
  public static Optional<Compression> layerCompression(String type) {
    if (type == null) {
      return Optional.empty();
    }
    return switch (type) {
      case OCI_LAYER, OCI_NONDIST_LAYER, DOCKER_LAYER -> Optional.of(Compression.NONE);
      case OCI_LAYER_GZIP, OCI_NONDIST_LAYER_GZIP, DOCKER_LAYER_GZIP, DOCKER_FOREIGN_LAYER_GZIP ->
          Optional.of(Compression.GZIP);
      case OCI_LAYER_ZSTD, OCI_NONDIST_LAYER_ZSTD, DOCKER_LAYER_ZSTD ->
          Optional.of(Compression.ZSTD);
      default -> Optional.empty();
    };
  }

  /**
   * The OCI layer media type for a compression.
   *
   * @param c how the layer blob is compressed
   * @return the OCI image-spec media type of such a layer
   * @throws IllegalArgumentException for a compression OCI has no layer type for
   */
  public static String ociLayer(Compression c) {
    return switch (c) {
      case NONE -> OCI_LAYER;
      case GZIP -> OCI_LAYER_GZIP;
      case ZSTD -> OCI_LAYER_ZSTD;
      default -> throw new IllegalArgumentException("no OCI layer media type for " + c);
    };
  }
}
