package io.layerstore.archive;

import java.io.IOException;

/**
 * A read-only look at what the layers below the one being unpacked show, so the {@link Unpacker}
 * can refuse a member whose name goes through a symlink that a lower layer holds ({@code etc -> /}
 * in layer 1, {@code etc/passwd} in layer 2). Such a name means one thing to a driver that unpacks
 * into a copy of the parent (it writes through the link, outside the image) and another to overlay
 * (the implicit directory hides the link): a well-formed layer never relies on either.
 */
public interface LowerLayers {

  /** What the lower layers show at a name. */
  enum Kind {
    /** Nothing, or not reachable through directories. */
    ABSENT,
    DIRECTORY,
    SYMLINK,
    /** A file, device, fifo or socket. */
    OTHER
  }

  /**
   * The kind of the node the union of the lower layers shows at {@code rel} (a cleaned, relative
   * name), looked up without following any symlink: if a name on the way is not a directory, the
   * answer is {@link Kind#ABSENT}.
   */
  Kind kind(String rel) throws IOException;

  /** Like {@link #kind(String)}, told which member asks (for errors reported later). */
  default Kind kind(String rel, String entry) throws IOException {
    return kind(rel);
  }

  /** No lower layers (a base layer). */
  LowerLayers NONE = rel -> Kind.ABSENT;
}
