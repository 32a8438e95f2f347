package io.layerstore.build.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.DiffId;
import io.layerstore.build.ImageSettings;
import io.layerstore.format.ConfigWriter;
import io.layerstore.format.ImageConfig;
import io.layerstore.format.LegacyV1;
import io.layerstore.gocompat.GoJson;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The config of a built image, in the shape Docker marshals image configs (top-level keys sorted,
 * the container config in Go's field order with its omitempty rules, compact, no trailing newline):
 * the base's config with the settings applied, one history entry per new layer, then the settings'
 * own (empty-layer) entries. Everything in it comes from the inputs, so the bytes, and the image
 * id, are the same on every run.
 */
final class ConfigJson {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  /** What the layers' history entries say made them. */
  static final String CREATED_BY = "layerstore build";

  private ConfigJson() {}

  /**
   * @param base the base image's config, or null for scratch
   * @param layers the new layers' diffIDs, bottom first
   * @param names the new layers' names (null: no comment), one per layer
   */
  static byte[] write(
      ImageConfig base, ImageSettings settings, List<DiffId> layers, List<String> names) {
    JsonNode b = base == null ? NODES.objectNode() : base.json();
    String created = LegacyV1.goTime(settings.created().atOffset(ZoneOffset.UTC));
    Map<String, String> top = new TreeMap<>(); // Docker's image type goes through a map: sorted
    top.put("architecture", GoJson.quote(textOr(b, "architecture", ConfigWriter.goArch())));
    String author = settings.author().orElse("");
    if (!author.isEmpty()) {
      top.put("author", GoJson.quote(author));
    }
    top.put("config", ConfigWriter.containerConfig(containerConfig(b.get("config"), settings)));
    top.put("created", GoJson.quote(created));
    ArrayNode history = NODES.arrayNode();
    if (b.get("history") instanceof ArrayNode h) {
      history.addAll(h);
    }
    for (String name : names) {
      history.add(history(created, author, CREATED_BY, name, false));
    }
    for (ImageSettings.History h : settings.history()) {
      history.add(history(created, author, h.createdBy(), h.comment(), true));
    }
    top.put("history", GoJson.write(history));
    top.put("os", GoJson.quote(textOr(b, "os", "linux")));
    for (String k : List.of("os.features", "os.version", "variant")) {
      JsonNode v = b.get(k);
      if (v != null && !v.isNull() && !v.asText("x").isEmpty() && !(v.isArray() && v.isEmpty())) {
        top.put(k, GoJson.write(v));
      }
    }
    List<DiffId> diffIds = new ArrayList<>(base == null ? List.of() : base.diffIds());
    diffIds.addAll(layers);
    ObjectNode rootfs = NODES.objectNode().put("type", "layers");
    if (!diffIds.isEmpty()) {
      ArrayNode ids = rootfs.putArray("diff_ids");
      diffIds.forEach(d -> ids.add(d.toString()));
    }
    top.put("rootfs", GoJson.write(rootfs));
    StringBuilder sb = new StringBuilder("{");
    top.forEach(
        (k, v) ->
            sb.append(sb.length() > 1 ? "," : "").append(GoJson.quote(k)).append(':').append(v));
    return sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The base's container config with the settings applied (see {@link ImageSettings}). */
  private static ObjectNode containerConfig(JsonNode baseConfig, ImageSettings s) {
    ObjectNode c = baseConfig instanceof ObjectNode o ? o.deepCopy() : NODES.objectNode();
    if (!s.env().isEmpty()) {
      Map<String, String> env = new LinkedHashMap<>();
      if (c.get("Env") instanceof ArrayNode old) {
        for (JsonNode e : old) {
          String kv = e.asText();
          int eq = kv.indexOf('=');
          env.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? null : kv.substring(eq + 1));
        }
      }
      env.putAll(s.env());
      ArrayNode out = c.putArray("Env");
      env.forEach((k, v) -> out.add(v == null ? k : k + "=" + v));
    }
    s.entrypoint()
        .ifPresent(
            e -> {
              strings(c, "Entrypoint", e);
              if (s.cmd().isEmpty()) {
                c.putNull("Cmd"); // a new entrypoint does not run the base's arguments
              }
            });
    s.cmd().ifPresent(cmd -> strings(c, "Cmd", cmd));
    s.user().ifPresent(u -> c.put("User", u));
    s.workdir().ifPresent(w -> c.put("WorkingDir", w));
    merge(c, "Labels", s.labels());
    Map<String, String> empty = new LinkedHashMap<>();
    s.exposedPorts().forEach(p -> empty.put(p, null));
    merge(c, "ExposedPorts", empty);
    empty.clear();
    s.volumes().forEach(v -> empty.put(v, null));
    merge(c, "Volumes", empty);
    return c;
  }

  private static void strings(ObjectNode c, String field, List<String> values) {
    ArrayNode a = c.putArray(field);
    values.forEach(a::add);
  }

  /** Adds entries to a map field; a null value stands for Go's empty struct ({@code {}}). */
  private static void merge(ObjectNode c, String field, Map<String, String> entries) {
    if (entries.isEmpty()) {
      return;
    }
    ObjectNode m = c.get(field) instanceof ObjectNode o ? o : c.putObject(field);
    entries.forEach(
        (k, v) -> {
          if (v == null) {
            m.putObject(k);
          } else {
            m.put(k, v);
          }
        });
  }

  /** One history entry in Go's field order with its omitempty rules. */
  private static ObjectNode history(
      String created, String author, String createdBy, String comment, boolean empty) {
    ObjectNode h = NODES.objectNode().put("created", created);
    if (!author.isEmpty()) {
      h.put("author", author);
    }
    if (createdBy != null && !createdBy.isEmpty()) {
      h.put("created_by", createdBy);
    }
    if (comment != null && !comment.isEmpty()) {
      h.put("comment", comment);
    }
    if (empty) {
      h.put("empty_layer", true);
    }
    return h;
  }

  private static String textOr(JsonNode n, String field, String dflt) {
    JsonNode v = n.get(field);
    return v == null || v.isNull() || v.asText().isEmpty() ? dflt : v.asText();
  }
}
