package io.layerstore.format;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerstore.DiffId;
import io.layerstore.gocompat.GoJson;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Image configs the store makes itself (import, commit), in the shape Docker marshals them:
 * compact, top-level keys sorted (Docker's image type goes through a string-keyed map), nested
 * structs in Go field order, no trailing newline.
 */
public final class ConfigWriter {

  private ConfigWriter() {}

  /** The config of a one-layer image made by {@code import}. */
  public static byte[] imported(DiffId layer, Instant created, String source) {
    String when = LegacyV1.goTime(created.atOffset(ZoneOffset.UTC).toString());
    String comment = "Imported from " + source;
    StringBuilder sb = new StringBuilder("{");
    sb.append("\"architecture\":").append(GoJson.quote(goArch()));
    sb.append(",\"comment\":").append(GoJson.quote(comment));
    sb.append(",\"container_config\":").append(LegacyV1.containerConfig(null));
    sb.append(",\"created\":").append(GoJson.quote(when));
    sb.append(",\"history\":[{\"created\":")
        .append(GoJson.quote(when))
        .append(",\"comment\":")
        .append(GoJson.quote(comment))
        .append("}]");
    sb.append(",\"os\":\"linux\"");
    sb.append(",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[")
        .append(GoJson.quote(layer.toString()))
        .append("]}");
    sb.append('}');
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * A container config (Go's {@code container.Config}) as Docker marshals it: Go's field order, its
   * {@code omitempty} rules, map keys sorted.
   */
  public static String containerConfig(JsonNode config) {
    return LegacyV1.containerConfig(config);
  }

  /**
   * What a commit records beyond the base image.
   *
   * @param containerId the container's full id
   * @param config the new image's container config ({@code config})
   * @param containerConfig the container's own config ({@code container_config})
   * @param author may be null
   * @param createdBy the history's {@code created_by}, may be null
   * @param comment the history's {@code comment}, may be null
   * @param layer the new layer's diffID, or null when the container changed nothing (the history
   *     entry is then marked {@code empty_layer} and no diff_id is added)
   * @param created the commit time
   */
  public record Commit(
      String containerId,
      JsonNode config,
      JsonNode containerConfig,
      String author,
      String createdBy,
      String comment,
      DiffId layer,
      Instant created) {}

  /**
   * The config of an image committed from a container on {@code base}, as Docker's commit makes it
   * ({@code image.NewChildImage}): the base's architecture, variant, os and history, one more
   * history entry, one more diff_id; top-level keys sorted, no {@code docker_version} (we are not
   * Docker), no trailing newline.
   */
  public static byte[] committed(ImageConfig base, Commit c) {
    JsonNode b = base.json();
    String when = LegacyV1.goTime(c.created().atOffset(ZoneOffset.UTC).toString());
    StringBuilder sb = new StringBuilder("{");
    String arch = text(b, "architecture");
    sb.append("\"architecture\":")
        .append(GoJson.quote(arch == null || arch.isEmpty() ? goArch() : arch));
    if (c.author() != null && !c.author().isEmpty()) {
      sb.append(",\"author\":").append(GoJson.quote(c.author()));
    }
    sb.append(",\"config\":").append(containerConfig(c.config()));
    sb.append(",\"container\":").append(GoJson.quote(c.containerId()));
    sb.append(",\"container_config\":").append(containerConfig(c.containerConfig()));
    sb.append(",\"created\":").append(GoJson.quote(when));
    sb.append(",\"history\":[");
    for (ImageConfig.History h : base.history()) {
      history(
          sb, LegacyV1.goTime(h.created()), h.author(), h.createdBy(), h.comment(), h.emptyLayer());
      sb.append(',');
    }
    history(sb, when, c.author(), c.createdBy(), c.comment(), c.layer() == null);
    sb.append(']');
    String os = text(b, "os");
    sb.append(",\"os\":").append(GoJson.quote(os == null || os.isEmpty() ? "linux" : os));
    JsonNode features = b.get("os.features");
    if (features != null && features.isArray() && features.size() > 0) {
      sb.append(",\"os.features\":").append(GoJson.write(features));
    }
    String osVersion = text(b, "os.version");
    if (osVersion != null && !osVersion.isEmpty()) {
      sb.append(",\"os.version\":").append(GoJson.quote(osVersion));
    }
    List<DiffId> diffIds = new ArrayList<>(base.diffIds());
    if (c.layer() != null) {
      diffIds.add(c.layer());
    }
    sb.append(",\"rootfs\":{\"type\":\"layers\"");
    if (!diffIds.isEmpty()) {
      sb.append(",\"diff_ids\":[");
      for (int i = 0; i < diffIds.size(); i++) {
        sb.append(i > 0 ? "," : "").append(GoJson.quote(diffIds.get(i).toString()));
      }
      sb.append(']');
    }
    sb.append('}');
    String variant = text(b, "variant");
    if (variant != null && !variant.isEmpty()) {
      sb.append(",\"variant\":").append(GoJson.quote(variant));
    }
    sb.append('}');
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** One history entry in Go's field order with its omitempty rules. */
  private static void history(
      StringBuilder sb,
      String created,
      String author,
      String createdBy,
      String comment,
      boolean empty) {
    sb.append("{\"created\":").append(GoJson.quote(created));
    if (author != null && !author.isEmpty()) {
      sb.append(",\"author\":").append(GoJson.quote(author));
    }
    if (createdBy != null && !createdBy.isEmpty()) {
      sb.append(",\"created_by\":").append(GoJson.quote(createdBy));
    }
    if (comment != null && !comment.isEmpty()) {
      sb.append(",\"comment\":").append(GoJson.quote(comment));
    }
    if (empty) {
      sb.append(",\"empty_layer\":true");
    }
    sb.append('}');
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** The host architecture in Go's words ({@code amd64}, {@code arm64}, ...). */
  public static String goArch() {
    String a = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
    switch (a) {
      case "x86_64":
      case "amd64":
        return "amd64";
      case "aarch64":
      case "arm64":
        return "arm64";
      case "x86":
      case "i386":
      case "i686":
        return "386";
      case "arm":
        return "arm";
      case "ppc64le":
        return "ppc64le";
      case "s390x":
        return "s390x";
      case "riscv64":
        return "riscv64";
      default:
        return a;
    }
  }
}
