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

  /**
   * Copies {@code problems}, so the report cannot change after it is made.
   *
   * @param problems what is wrong, in the order found
   * @param layers layers examined
   * @param images images examined
   * @param references references examined
   * @param deep whether every layer's content was re-hashed against its diffID
   * @throws NullPointerException if {@code problems} is null or holds a null
   */
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
    /**
     * An entry of the transaction journal cannot be read, so the work it records cannot be finished
     * or rolled back; a repair drops the entry.
     */
    JOURNAL_ENTRY_UNREADABLE(Severity.ERROR),
    /** A layer's layerdb entry cannot be read. Subject: the chainID. */
    LAYER_METADATA_CORRUPT(Severity.ERROR),
    /**
     * A layer's recorded chainID is not the one its parent and diffID make. Subject: the chainID.
     */
    LAYER_CHAIN_ID_MISMATCH(Severity.ERROR),
    /** A layer's parent is not in the layerdb. Subject: the chainID. */
    LAYER_PARENT_MISSING(Severity.ERROR),
    /** The driver has no directory for a layer's cache id. Subject: the chainID. */
    LAYER_DRIVER_DIR_MISSING(Severity.ERROR),
    /**
     * The driver stacks a layer on another parent than the layerdb says (or cannot say what it
     * stacks it on). Subject: the chainID.
     */
    LAYER_DRIVER_PARENT_MISMATCH(Severity.ERROR),
    /**
     * A layer has no tar-split file, so its exact tar cannot be rebuilt and it cannot be saved.
     * Subject: the chainID.
     */
    LAYER_TAR_SPLIT_MISSING(Severity.ERROR),
    /**
     * A deep check rebuilt a layer's tar and its digest is not the layer's diffID. Subject: the
     * chainID.
     */
    LAYER_CONTENT_MISMATCH(Severity.ERROR),
    /**
     * An image's config cannot be read or parsed, or does not hash to its id. Subject: the image
     * id.
     */
    IMAGE_CONFIG_CORRUPT(Severity.ERROR),
    /** A layer an image needs is not in the store. Subject: the image id. */
    IMAGE_LAYER_MISSING(Severity.ERROR),
    /** An image's recorded parent image is gone. Subject: the image id. */
    IMAGE_PARENT_MISSING(Severity.ERROR),
    /**
     * A tag or digest reference names an image that is not in the store; a repair removes the
     * reference. Subject: the reference in familiar form.
     */
    REFERENCE_TO_MISSING_IMAGE(Severity.ERROR),
    /**
     * A container's read-write layer, init layer or image layer is gone. Subject: the container id.
     */
    CONTAINER_LAYER_MISSING(Severity.ERROR),
    /**
     * The staging directory of a process that died while creating a layer; a repair removes it.
     * Subject: its path.
     */
    STAGING_LEFTOVER(Severity.ORPHAN),
    /**
     * A kernel mount of a driver layer that no live process holds: every process that held it died
     * without giving it back, and it was not left mounted on purpose; it would keep its layers from
     * being removed forever. A repair unmounts it. Subject: the driver layer id.
     */
    ABANDONED_MOUNT(Severity.ORPHAN),
    /**
     * A layerdb entry of an interrupted layer removal; a repair finishes the removal. Subject: its
     * path.
     */
    REMOVAL_LEFTOVER(Severity.ORPHAN),
    /**
     * A driver directory no layer or container records; a repair removes it unless it is mounted.
     * Subject: the driver id.
     */
    DRIVER_DIR_ORPHAN(Severity.ORPHAN),
    /**
     * Image metadata (parent link, last tag time) of an image that is gone; a repair removes it.
     * Subject: its path.
     */
    IMAGE_METADATA_ORPHAN(Severity.ORPHAN),
    /** A temp file of an interrupted write; a repair removes it. Subject: its path. */
    TEMP_FILE(Severity.ORPHAN),
    /**
     * A consistent layer no image or container uses (what {@link LayerStore#prune} would remove); a
     * repair removes it. Subject: the chainID.
     */
    LAYER_UNUSED(Severity.UNUSED);

    private final Severity severity;

    Kind(Severity severity) {
      this.severity = severity;
    }

    /**
     * How bad a problem of this kind is.
     *
     * @return the kind's severity, fixed per kind
     */
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

  /**
   * Problems not repaired.
   *
   * @return the problems with {@link Problem#repaired()} false, in the order found; unmodifiable
   */
  public List<Problem> remaining() {
    return problems.stream().filter(p -> !p.repaired()).toList();
  }

  /**
   * Remaining problems of one severity.
   *
   * @param s the severity to keep
   * @return the unrepaired problems of that severity, in the order found; unmodifiable
   */
  public List<Problem> remaining(Severity s) {
    return remaining().stream().filter(p -> p.kind().severity() == s).toList();
  }

  /**
   * Whether the store is consistent now.
   *
   * @return {@code true} when nothing was wrong, or everything wrong was repaired
   */
  public boolean isClean() {
    return remaining().isEmpty();
  }
}
