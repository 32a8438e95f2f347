package io.layerstore;

/**
 * A tar entry that would create or change something outside the layer it is applied to: {@code ..},
 * an absolute name, a path through a symlink, a hardlink leaving the layer, a whiteout of the layer
 * root, and the like.
 */
public class UnsafePathException extends InvalidArchiveException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception; its {@link #reason()} is {@code unsafe path: } followed by {@code
   * reason}.
   *
   * @param source the archive or stream that was read, or {@code null}
   * @param entry the offending entry's name as read
   * @param reason what the entry would have escaped through
   */
  public UnsafePathException(String source, String entry, String reason) {
    super(source, entry, "unsafe path: " + reason);
  }
}
