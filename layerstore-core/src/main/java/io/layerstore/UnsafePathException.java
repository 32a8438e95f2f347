package io.layerstore;

/**
 * A tar entry that would create or change something outside the layer it is applied to: {@code ..},
 * an absolute name, a path through a symlink, a hardlink leaving the layer, a whiteout of the layer
 * root, and the like.
 */
public class UnsafePathException extends InvalidArchiveException {
  private static final long serialVersionUID = 1L;

  public UnsafePathException(String source, String entry, String reason) {
    super(source, entry, "unsafe path: " + reason);
  }
}
