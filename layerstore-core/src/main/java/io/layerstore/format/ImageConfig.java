package io.layerstore.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.DiffId;
import io.layerstore.ImageId;
import io.layerstore.InvalidArchiveException;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * An image config (the JSON whose sha256 is the image id), kept as the exact bytes it came in and
 * read through a parsed tree. Validated on parse: it must be a JSON object with {@code rootfs} of
 * type {@code layers} and valid {@code diff_ids}, at most {@link #MAX_LAYERS} of them, and no more
 * non-empty history entries than layers (Docker's load checks).
 */
public final class ImageConfig {

  /** Docker's layer store refuses a chain deeper than this. */
  public static final int MAX_LAYERS = 125;

  /** Largest config accepted; real ones are a few KiB. */
  public static final int MAX_BYTES = 16 * 1024 * 1024;

  private final byte[] raw;
  private final ObjectNode tree;
  private final List<DiffId> diffIds;
  private final List<History> history;

  /**
   * One history entry.
   *
   * @param created creation time text as written, may be null
   * @param createdBy the command, may be null
   * @param author may be null
   * @param comment may be null
   * @param emptyLayer whether the step made no layer
   */
  public record History(
      String created, String createdBy, String author, String comment, boolean emptyLayer) {}

  private ImageConfig(byte[] raw, ObjectNode tree, List<DiffId> diffIds, List<History> history) {
    this.raw = raw;
    this.tree = tree;
    this.diffIds = diffIds;
    this.history = history;
  }

  /** Parses and validates config bytes; {@code source} names them in errors. */
  public static ImageConfig parse(byte[] raw, String source, ObjectMapper json)
      throws InvalidArchiveException {
    if (raw.length > MAX_BYTES) {
      throw new InvalidArchiveException(
          source, null, "image config is " + raw.length + " bytes, more than " + MAX_BYTES);
    }
    JsonNode node;
    try {
      node = json.readTree(raw);
    } catch (IOException e) {
      throw new InvalidArchiveException(
          source, null, "image config is not valid JSON: " + firstLine(e.getMessage()), e);
    }
    if (node == null || !node.isObject()) {
      throw new InvalidArchiveException(source, null, "image config is not a JSON object");
    }
    ObjectNode obj = (ObjectNode) node;
    JsonNode rootfs = obj.get("rootfs");
    if (rootfs == null || !rootfs.isObject()) {
      throw new InvalidArchiveException(source, null, "image config has no rootfs");
    }
    JsonNode type = rootfs.get("type");
    if (type == null || !"layers".equals(type.asText())) {
      throw new InvalidArchiveException(source, null, "image config rootfs type is not \"layers\"");
    }
    JsonNode ids = rootfs.get("diff_ids");
    List<DiffId> diffIds = new ArrayList<>();
    if (ids != null && !ids.isNull()) {
      if (!ids.isArray()) {
        throw new InvalidArchiveException(
            source, null, "image config rootfs.diff_ids is not an array");
      }
      if (ids.size() > MAX_LAYERS) {
        throw new InvalidArchiveException(
            source,
            null,
            "image config has "
                + ids.size()
                + " layers; at most "
                + MAX_LAYERS
                + " are supported (max depth exceeded)");
      }
      for (JsonNode id : ids) {
        if (!id.isTextual()) {
          throw new InvalidArchiveException(
              source, null, "image config diff_id is not a string: " + id);
        }
        try {
          diffIds.add(DiffId.parse(id.asText()));
        } catch (IllegalArgumentException e) {
          throw new InvalidArchiveException(
              source, null, "image config has an invalid diff_id \"" + id.asText() + "\"");
        }
      }
    }
    List<History> history = new ArrayList<>();
    JsonNode h = obj.get("history");
    if (h != null && !h.isNull()) {
      if (!h.isArray()) {
        throw new InvalidArchiveException(source, null, "image config history is not an array");
      }
      int nonEmpty = 0;
      for (JsonNode e : h) {
        if (!e.isObject()) {
          throw new InvalidArchiveException(
              source, null, "image config history entry is not an object");
        }
        boolean empty = e.path("empty_layer").asBoolean(false);
        if (!empty) {
          nonEmpty++;
        }
        history.add(
            new History(
                text(e, "created"),
                text(e, "created_by"),
                text(e, "author"),
                text(e, "comment"),
                empty));
      }
      if (nonEmpty > diffIds.size()) {
        throw new InvalidArchiveException(
            source,
            null,
            "too many non-empty layers in History section ("
                + nonEmpty
                + " for "
                + diffIds.size()
                + " layers)");
      }
    }
    return new ImageConfig(
        raw.clone(),
        obj,
        Collections.unmodifiableList(diffIds),
        Collections.unmodifiableList(history));
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  /** The bytes exactly as received. */
  public byte[] raw() {
    return raw.clone();
  }

  public ImageId id() {
    return ImageId.ofConfig(raw);
  }

  /** A copy of the parsed tree. */
  public ObjectNode json() {
    return tree.deepCopy();
  }

  public List<DiffId> diffIds() {
    return diffIds;
  }

  public List<History> history() {
    return history;
  }

  public String architecture() {
    return text(tree, "architecture");
  }

  public String os() {
    return text(tree, "os");
  }

  public String author() {
    return text(tree, "author");
  }

  /** The creation time, or null if absent or unreadable. */
  public Instant created() {
    String c = text(tree, "created");
    if (c == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(c).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** The text of {@code created} as written. */
  public String createdText() {
    return text(tree, "created");
  }
}
