package io.layerstore.container.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.container.ConfigChange;
import io.layerstore.container.ContainerId;
import java.util.List;
import java.util.Map;

/**
 * A container's config (Go's {@code container.Config}, field names as Docker marshals them), made
 * the way {@code docker create} makes it from the image's config, and changed the way {@code docker
 * commit --change} changes it.
 */
final class ContainerConfig {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private ContainerConfig() {}

  /**
   * The config Docker gives a container created from an image with no options: the image's {@code
   * config} merged into an empty user config ({@code daemon.merge}), the hostname set to the short
   * container id, {@code Image} set to the name the image was given as.
   */
  static ObjectNode forCreate(JsonNode imageConfig, ContainerId id, String imageReference) {
    JsonNode img =
        imageConfig == null || !imageConfig.isObject() ? NODES.objectNode() : imageConfig;
    ObjectNode c = NODES.objectNode();
    c.put("Hostname", id.shortId());
    c.put("Domainname", "");
    c.put("User", text(img, "User"));
    c.put("AttachStdin", false);
    c.put("AttachStdout", false);
    c.put("AttachStderr", false);
    copy(img, c, "ExposedPorts");
    c.put("Tty", false);
    c.put("OpenStdin", false);
    c.put("StdinOnce", false);
    copy(img, c, "Env");
    copy(img, c, "Cmd");
    copy(img, c, "Healthcheck");
    copy(img, c, "ArgsEscaped");
    c.put("Image", imageReference);
    copy(img, c, "Volumes");
    c.put("WorkingDir", text(img, "WorkingDir"));
    copy(img, c, "Entrypoint");
    c.putNull("OnBuild");
    ObjectNode labels = c.putObject("Labels");
    JsonNode il = img.get("Labels");
    if (il != null && il.isObject()) {
      labels.setAll((ObjectNode) il);
    }
    String stop = text(img, "StopSignal");
    if (!stop.isEmpty()) {
      c.put("StopSignal", stop);
    }
    return c;
  }

  /** The working directory the config names, or empty. */
  static String workingDir(JsonNode config) {
    return text(config, "WorkingDir");
  }

  /** What the container would run: entrypoint, then command. */
  static List<String> command(JsonNode config) {
    List<String> out = new java.util.ArrayList<>();
    for (String f : new String[] {"Entrypoint", "Cmd"}) {
      JsonNode v = config.get(f);
      if (v != null && v.isArray()) {
        v.forEach(e -> out.add(e.asText()));
      }
    }
    return out;
  }

  /** The container's command, joined by spaces: Docker's {@code created_by} of a commit. */
  static String createdBy(JsonNode config) {
    JsonNode cmd = config.get("Cmd");
    if (cmd == null || !cmd.isArray()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (JsonNode part : cmd) {
      if (sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(part.asText());
    }
    return sb.toString();
  }

  /**
   * Applies commit changes to a copy of {@code config}, then merges what they left empty from the
   * container's own config, as Docker's {@code BuildFromConfig} and {@code merge} do.
   */
  static ObjectNode applyChanges(ObjectNode config, List<ConfigChange> changes) {
    ObjectNode c = config.deepCopy();
    boolean cmdSet = false;
    for (ConfigChange ch : changes) {
      switch (ch.kind()) {
        case ENV:
          for (Map.Entry<String, String> e : ch.pairs()) {
            setEnv(c, e.getKey(), e.getValue());
          }
          break;
        case LABEL:
          ObjectNode labels =
              c.get("Labels") instanceof ObjectNode
                  ? (ObjectNode) c.get("Labels")
                  : c.putObject("Labels");
          for (Map.Entry<String, String> e : ch.pairs()) {
            labels.put(e.getKey(), e.getValue());
          }
          break;
        case CMD:
          c.set("Cmd", array(ch.values()));
          cmdSet = true;
          break;
        case ENTRYPOINT:
          c.set("Entrypoint", array(ch.values()));
          if (!cmdSet) {
            c.putNull("Cmd");
          }
          break;
        case WORKDIR:
          String dir = ch.values().get(0);
          if (!dir.startsWith("/")) {
            String base = text(c, "WorkingDir");
            dir = (base.isEmpty() ? "/" : base.endsWith("/") ? base : base + "/") + dir;
          }
          c.put("WorkingDir", java.nio.file.Path.of(dir).normalize().toString());
          break;
        case USER:
          c.put("User", ch.values().get(0));
          break;
        case EXPOSE:
          ObjectNode ports =
              c.get("ExposedPorts") instanceof ObjectNode
                  ? (ObjectNode) c.get("ExposedPorts")
                  : c.putObject("ExposedPorts");
          for (String p : ch.values()) {
            ports.putObject(p);
          }
          break;
        case VOLUME:
          ObjectNode vols =
              c.get("Volumes") instanceof ObjectNode
                  ? (ObjectNode) c.get("Volumes")
                  : c.putObject("Volumes");
          for (String v : ch.values()) {
            vols.putObject(v);
          }
          break;
        case STOPSIGNAL:
          c.put("StopSignal", ch.values().get(0));
          break;
        case ONBUILD:
          ArrayNode onBuild =
              c.get("OnBuild") instanceof ArrayNode
                  ? (ArrayNode) c.get("OnBuild")
                  : c.putArray("OnBuild");
          onBuild.add(ch.values().get(0));
          break;
        default:
          throw new AssertionError(ch.kind());
      }
    }
    // daemon.merge: when changes emptied the command, the container's comes back.
    JsonNode ep = c.get("Entrypoint");
    if (ep == null || ep.isNull() || ep.size() == 0) {
      JsonNode cmd = c.get("Cmd");
      if (cmd == null || cmd.isNull() || cmd.size() == 0) {
        copy(config, c, "Cmd");
      }
      if (ep == null || ep.isNull()) {
        copy(config, c, "Entrypoint");
      }
    }
    return c;
  }

  private static void setEnv(ObjectNode c, String key, String value) {
    String entry = key + "=" + value;
    JsonNode env = c.get("Env");
    ArrayNode list = env instanceof ArrayNode ? (ArrayNode) env : c.putArray("Env");
    for (int i = 0; i < list.size(); i++) {
      String e = list.get(i).asText();
      int eq = e.indexOf('=');
      if ((eq < 0 ? e : e.substring(0, eq)).equals(key)) {
        list.set(i, NODES.textNode(entry));
        return;
      }
    }
    list.add(entry);
  }

  private static ArrayNode array(List<String> values) {
    ArrayNode a = NODES.arrayNode();
    values.forEach(a::add);
    return a;
  }

  private static void copy(JsonNode from, ObjectNode to, String field) {
    JsonNode v = from.get(field);
    if (v == null) {
      to.putNull(field);
    } else {
      to.set(field, v.deepCopy());
    }
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n == null ? null : n.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }
}
