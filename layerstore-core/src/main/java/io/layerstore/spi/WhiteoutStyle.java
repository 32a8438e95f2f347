package io.layerstore.spi;

/**
 * How a driver's diff directories record deletions: Docker has two styles, and a driver names its
 * own ({@link GraphDriver#whiteoutStyle}, given to {@link DriverSupport}'s constructor); core picks
 * its implementation of it (the unpacker, the diff writer, the union view and the change list all
 * read and write diff dirs through that). Layer tarballs always use aufs's names ({@code .wh.NAME},
 * {@code .wh..wh..opq}); the styles differ only in what they keep on disk.
 */
public enum WhiteoutStyle {
  /**
   * Char device 0:0 for a deleted name, the {@code trusted.overlay.opaque=y} xattr for an opaque
   * dir.
   */
  OVERLAY,
  /** The tar names themselves, as files ({@code .wh.NAME}, {@code .wh..wh..opq}). */
  AUFS
}
