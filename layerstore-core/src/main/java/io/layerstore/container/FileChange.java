package io.layerstore.container;

import java.util.Objects;

/**
 * One line of a container's {@code docker diff}: a path of the merged view and what the container
 * did to it relative to its image. {@link #toString()} prints it as Docker does, e.g. {@code "C
 * /etc"}, {@code "A /etc/motd"}, {@code "D /tmp/x"}.
 *
 * @param kind added, changed or deleted
 * @param path absolute, rooted at the container's {@code /}
 */
public record FileChange(Kind kind, String path) {

  /** What happened to a path, with the letter {@code docker diff} prints for it. */
  public enum Kind {
    /** {@code A}: not in the image, there now (everything below an added directory is added). */
    ADDED,
    /**
     * {@code C}: type, mode, owner, device numbers or {@code security.capability} differ (and, for
     * a non-directory, size or mtime), or a directory holds a change below it.
     */
    CHANGED,
    /** {@code D}: in the image, gone now (nothing below a deleted directory is listed). */
    DELETED;

    /**
     * {@code A}, {@code C} or {@code D}: the name's first letter.
     *
     * @return the letter {@code docker diff} prints
     */
    public String letter() {
      return name().substring(0, 1);
    }
  }

  /**
   * Checks both parts are present.
   *
   * @param kind added, changed or deleted
   * @param path absolute, rooted at the container's {@code /}
   * @throws NullPointerException if {@code kind} or {@code path} is null
   */
  public FileChange {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(path, "path");
  }

  /** {@code "<letter> <path>"}, as {@code docker diff} prints it. */
  @Override
  public String toString() {
    return kind.letter() + " " + path;
  }
}
