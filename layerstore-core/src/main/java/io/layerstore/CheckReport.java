package io.layerstore;

import java.util.List;

/**
 * What {@link LayerStore#check} found: every inconsistency between the layerdb, the driver's
 * directories, the images and the references, each naming what it is about and, after a repair,
 * whether it was fixed.
 *
 * @param problems what is wrong, in the order found
 * @param layers layers examined
 * @param images images examined
 * @param references references examined
 * @param deep whether every layer's content was re-hashed against its diffID
 */
public record CheckReport(
    List<Problem> problems, int layers, int images, int references, boolean deep) {

  public CheckReport {
    problems = List.copyOf(problems);
  }

  /** How bad a problem is. */
  public enum Severity {
    /** The store contradicts itself: something is missing, corrupt or does not match. */
    ERROR,
    /** Left behind by interrupted work; nothing refers to it. */
    ORPHAN,
    /** Consistent, but nothing uses it (a layer no image or container needs). */
    UNUSED
  }

  /** The kinds of problem. */
  public enum Kind {
    JOURNAL_ENTRY_UNREADABLE(Severity.ERROR),
    LAYER_METADATA_CORRUPT(Severity.ERROR),
    LAYER_CHAIN_ID_MISMATCH(Severity.ERROR),
    LAYER_PARENT_MISSING(Severity.ERROR),
    LAYER_DRIVER_DIR_MISSING(Severity.ERROR),
    LAYER_DRIVER_PARENT_MISMATCH(Severity.ERROR),
    LAYER_TAR_SPLIT_MISSING(Severity.ERROR),
    LAYER_CONTENT_MISMATCH(Severity.ERROR),
    IMAGE_CONFIG_CORRUPT(Severity.ERROR),
    IMAGE_LAYER_MISSING(Severity.ERROR),
    IMAGE_PARENT_MISSING(Severity.ERROR),
    REFERENCE_TO_MISSING_IMAGE(Severity.ERROR),
    CONTAINER_LAYER_MISSING(Severity.ERROR),
    STAGING_LEFTOVER(Severity.ORPHAN),
    REMOVAL_LEFTOVER(Severity.ORPHAN),
    DRIVER_DIR_ORPHAN(Severity.ORPHAN),
    IMAGE_METADATA_ORPHAN(Severity.ORPHAN),
    TEMP_FILE(Severity.ORPHAN),
    LAYER_UNUSED(Severity.UNUSED);

    private final Severity severity;

    Kind(Severity severity) {
      this.severity = severity;
    }

    public Severity severity() {
      return severity;
    }
  }

  /**
   * One problem.
   *
   * @param kind what is wrong
   * @param subject what it is about (a layer's chain ID, an image ID, a driver id, a path)
   * @param detail what was found
   * @param repaired whether {@code --repair} fixed it
   */
  public record Problem(Kind kind, String subject, String detail, boolean repaired) {
    @Override
    public String toString() {
      return kind + " " + subject + ": " + detail + (repaired ? " (repaired)" : "");
    }
  }

  /** Problems not repaired. */
  public List<Problem> remaining() {
    return problems.stream().filter(p -> !p.repaired()).toList();
  }

  /** Remaining problems of one severity. */
  public List<Problem> remaining(Severity s) {
    return remaining().stream().filter(p -> p.kind().severity() == s).toList();
  }

  /** Nothing wrong (or everything repaired). */
  public boolean isClean() {
    return remaining().isEmpty();
  }
}
