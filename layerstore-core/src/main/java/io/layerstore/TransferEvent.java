package io.layerstore;

import java.util.Objects;

/**
 * One step of one layer's transfer, as {@link TransferListener} hears it.
 *
 * @param kind what happened
 * @param blob for a pull, the layer's compressed blob; for a push, the layer's diffID (docker names
 *     the lines so; the first 12 hex digits are the id on the progress line)
 * @param current bytes moved so far, for {@link Kind#DOWNLOADING} and {@link Kind#PUSHING}; else 0
 * @param total the blob's size when known, else -1
 * @param detail for {@link Kind#MOUNTED}, the repository the blob was mounted from; else empty
 */
public record TransferEvent(Kind kind, Digest blob, long current, long total, String detail) {

  /** The steps, in the order a layer goes through them. */
  public enum Kind {
    /** Pull: queued behind other downloads ({@code Waiting}). */
    WAITING("Waiting"),
    /** Pull: the store has the layer; it is not downloaded ({@code Already exists}). */
    ALREADY_EXISTS("Already exists"),
    /** Pull: bytes arriving ({@code Downloading}); they are unpacked as they arrive. */
    DOWNLOADING("Downloading"),
    /** Pull: every byte arrived and hashed to the digest ({@code Verifying Checksum}). */
    VERIFYING("Verifying Checksum"),
    /** Pull: the layer's last files are being written and checked ({@code Extracting}). */
    EXTRACTING("Extracting"),
    /** Pull: the layer is staged ({@code Pull complete}). */
    DONE("Pull complete"),
    /** Push: waiting for an upload slot, or compressing ({@code Preparing}). */
    PREPARING("Preparing"),
    /** Push: bytes uploaded so far ({@code Pushing}). */
    PUSHING("Pushing"),
    /** Push: the repository has the blob already ({@code Layer already exists}). */
    LAYER_EXISTS("Layer already exists"),
    /** Push: mounted from another repository of the registry ({@code Mounted from REPO}). */
    MOUNTED("Mounted from"),
    /** Push: uploaded ({@code Pushed}). */
    PUSHED("Pushed"),
    /**
     * Push, last: the registry stored the manifest; {@code blob} is its digest and {@code total}
     * its length (docker's closing {@code TAG: digest: D size: N}). Not a layer's step.
     */
    MANIFEST_PUSHED("Manifest pushed");

    private final String docker;

    Kind(String docker) {
      this.docker = docker;
    }

    /**
     * The words docker prints for this step.
     *
     * @return such as {@code Pull complete}
     */
    public String dockerText() {
      return docker;
    }
  }

  /**
   * Checks the parts.
   *
   * @param kind what happened
   * @param blob the layer's blob (pull) or diffID (push)
   * @param current bytes so far
   * @param total the size or -1
   * @param detail extra words, or empty
   * @throws NullPointerException if {@code kind}, {@code blob} or {@code detail} is null
   */
  public TransferEvent {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(blob, "blob");
    Objects.requireNonNull(detail, "detail");
  }

  /**
   * An event without byte counts.
   *
   * @param kind what happened
   * @param blob the layer's blob
   * @param total its size, or -1
   * @return the event
   */
  public static TransferEvent of(Kind kind, Digest blob, long total) {
    return new TransferEvent(kind, blob, 0, total, "");
  }

  /**
   * Docker's short id of the layer: the first 12 hex digits of its blob.
   *
   * @return such as {@code 4f4fb700ef54}
   */
  public String shortId() {
    return blob.shortHex();
  }
}
