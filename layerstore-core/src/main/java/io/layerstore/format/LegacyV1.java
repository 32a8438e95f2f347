package io.layerstore.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.ChainId;
import io.layerstore.Digest;
import io.layerstore.gocompat.GoJson;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The legacy v1 ids and {@code json} files that {@code docker save} writes next to each layer.tar
 * (docs/overlay2-layout.md §8.1). Docker computes a v1 id by marshalling its Go {@code V1Image}
 * struct, so this class re-creates that marshalling: fields in struct order with Go's omitempty
 * rules, the embedded {@code container.Config} likewise, times in RFC 3339 with nanoseconds.
 */
public final class LegacyV1 {

  /** One layer's legacy identity. */
  public record Layer(String v1Id, String json) {}

  private LegacyV1() {}

  /**
   * The v1 id and json of every layer of an image, base first.
   *
   * @param config the image config
   */
  public static List<Layer> layers(ImageConfig config) {
    List<ChainId> chain = ChainId.chain(config.diffIds());
    ObjectNode image = config.json();
    String os = config.os();
    List<Layer> out = new ArrayList<>();
    String parent = null;
    for (int i = 0; i < chain.size(); i++) {
      boolean top = i == chain.size() - 1;
      StringBuilder v1 = new StringBuilder();
      // V1Image without id/parent, as struct fields.
      List<String[]> fields = top ? v1Fields(image) : baseFields();
      // CreateID: unmarshal into a map, add layer_id and parent, marshal with sorted keys.
      List<String[]> forId = new ArrayList<>(fields);
      forId.add(new String[] {"layer_id", GoJson.quote(chain.get(i).toString())});
      if (parent != null) {
        forId.add(new String[] {"parent", GoJson.quote("sha256:" + parent)});
      }
      forId.sort((a, b) -> GoJson.compareUtf8(a[0], b[0]));
      v1.append('{');
      for (int k = 0; k < forId.size(); k++) {
        if (k > 0) {
          v1.append(',');
        }
        GoJson.appendQuoted(v1, forId.get(k)[0]);
        v1.append(':').append(forId.get(k)[1]);
      }
      v1.append('}');
      String id = Digest.of(v1.toString().getBytes(StandardCharsets.UTF_8)).hex();
      // The written json: struct order with id, parent and (after the id was made) os.
      List<String[]> written = new ArrayList<>();
      written.add(new String[] {"id", GoJson.quote(id)});
      if (parent != null) {
        written.add(new String[] {"parent", GoJson.quote(parent)});
      }
      boolean osDone = false;
      for (String[] f : fields) {
        if (f[0].equals("os")) {
          continue;
        }
        if (f[0].equals("Size") && os != null && !os.isEmpty()) {
          written.add(new String[] {"os", GoJson.quote(os)});
          osDone = true;
        }
        written.add(f);
      }
      if (!osDone && os != null && !os.isEmpty()) {
        written.add(new String[] {"os", GoJson.quote(os)});
      }
      StringBuilder js = new StringBuilder("{");
      for (int k = 0; k < written.size(); k++) {
        if (k > 0) {
          js.append(',');
        }
        GoJson.appendQuoted(js, written.get(k)[0]);
        js.append(':').append(written.get(k)[1]);
      }
      js.append('}');
      out.add(new Layer(id, js.toString()));
      parent = id;
    }
    return out;
  }

  /** V1Image{Created: 1970-01-01} as Go marshals it (minus id and parent). */
  private static List<String[]> baseFields() {
    List<String[]> f = new ArrayList<>();
    f.add(new String[] {"created", GoJson.quote("1970-01-01T00:00:00Z")});
    f.add(new String[] {"container_config", containerConfig(null)});
    return f;
  }

  /** The image's own V1Image fields (minus id and parent), in struct order with omitempty. */
  private static List<String[]> v1Fields(ObjectNode image) {
    List<String[]> f = new ArrayList<>();
    addString(f, "comment", get(image, "comment"));
    f.add(new String[] {"created", GoJson.quote(goTime(text(get(image, "created"))))});
    addString(f, "container", get(image, "container"));
    f.add(new String[] {"container_config", containerConfig(get(image, "container_config"))});
    addString(f, "docker_version", get(image, "docker_version"));
    addString(f, "author", get(image, "author"));
    JsonNode config = get(image, "config");
    if (config != null && !config.isNull()) {
      f.add(new String[] {"config", containerConfig(config)});
    }
    addString(f, "architecture", get(image, "architecture"));
    addString(f, "variant", get(image, "variant"));
    addString(f, "os", get(image, "os"));
    JsonNode size = get(image, "Size");
    if (size != null && size.isNumber() && size.asLong() != 0) {
      f.add(new String[] {"Size", Long.toString(size.asLong())});
    }
    return f;
  }

  private static void addString(List<String[]> f, String name, JsonNode v) {
    String s = text(v);
    if (s != null && !s.isEmpty()) {
      f.add(new String[] {name, GoJson.quote(s)});
    }
  }

  /** Go's container.Config (moby 20.10) marshalled from whatever the config holds. */
  static String containerConfig(JsonNode c) {
    StringBuilder sb = new StringBuilder("{");
    str(sb, c, "Hostname", false, true);
    str(sb, c, "Domainname", false, false);
    str(sb, c, "User", false, false);
    bool(sb, c, "AttachStdin", false);
    bool(sb, c, "AttachStdout", false);
    bool(sb, c, "AttachStderr", false);
    JsonNode ports = get(c, "ExposedPorts");
    if (ports != null && ports.isObject() && ports.size() > 0) {
      sb.append(",\"ExposedPorts\":").append(GoJson.writeSorted(ports));
    }
    bool(sb, c, "Tty", false);
    bool(sb, c, "OpenStdin", false);
    bool(sb, c, "StdinOnce", false);
    raw(sb, c, "Env", false);
    raw(sb, c, "Cmd", false);
    JsonNode hc = get(c, "Healthcheck");
    if (hc != null && !hc.isNull()) {
      sb.append(",\"Healthcheck\":").append(healthcheck(hc));
    }
    bool(sb, c, "ArgsEscaped", true);
    str(sb, c, "Image", false, false);
    raw(sb, c, "Volumes", false);
    str(sb, c, "WorkingDir", false, false);
    raw(sb, c, "Entrypoint", false);
    bool(sb, c, "NetworkDisabled", true);
    str(sb, c, "MacAddress", true, false);
    raw(sb, c, "OnBuild", false);
    raw(sb, c, "Labels", false);
    str(sb, c, "StopSignal", true, false);
    JsonNode st = get(c, "StopTimeout");
    if (st != null && !st.isNull()) {
      sb.append(",\"StopTimeout\":").append(st.asLong());
    }
    JsonNode shell = get(c, "Shell");
    if (shell != null && shell.isArray() && shell.size() > 0) {
      sb.append(",\"Shell\":").append(GoJson.write(shell));
    }
    return sb.append('}').toString();
  }

  private static String healthcheck(JsonNode hc) {
    StringBuilder sb = new StringBuilder("{");
    boolean first = true;
    JsonNode test = get(hc, "Test");
    if (test != null && test.isArray() && test.size() > 0) {
      sb.append("\"Test\":").append(GoJson.write(test));
      first = false;
    }
    for (String d : new String[] {"Interval", "Timeout", "StartPeriod", "Retries"}) {
      JsonNode v = get(hc, d);
      if (v != null && v.isNumber() && v.asLong() != 0) {
        sb.append(first ? "" : ",").append('"').append(d).append("\":").append(v.asLong());
        first = false;
      }
    }
    return sb.append('}').toString();
  }

  private static void str(
      StringBuilder sb, JsonNode c, String name, boolean omitEmpty, boolean first) {
    String v = text(get(c, name));
    if (v == null) {
      v = "";
    }
    if (omitEmpty && v.isEmpty()) {
      return;
    }
    if (!first) {
      sb.append(',');
    }
    GoJson.appendQuoted(sb, name);
    sb.append(':');
    GoJson.appendQuoted(sb, v);
  }

  private static void bool(StringBuilder sb, JsonNode c, String name, boolean omitEmpty) {
    JsonNode v = get(c, name);
    boolean b = v != null && v.asBoolean(false);
    if (omitEmpty && !b) {
      return;
    }
    sb.append(",\"").append(name).append("\":").append(b);
  }

  /** Slices and maps: null when absent or null; maps with sorted keys. */
  private static void raw(StringBuilder sb, JsonNode c, String name, boolean omitEmpty) {
    JsonNode v = get(c, name);
    sb.append(",\"").append(name).append("\":");
    if (v == null || v.isNull()) {
      sb.append("null");
    } else if (v.isObject()) {
      sb.append(GoJson.writeSorted(v));
    } else if (v.isTextual() && (name.equals("Cmd") || name.equals("Entrypoint"))) {
      sb.append('[');
      GoJson.appendQuoted(sb, v.textValue());
      sb.append(']');
    } else {
      sb.append(GoJson.write(v));
    }
  }

  /** Field lookup the way Go's decoder matches names: exact first, then case-insensitive. */
  public static JsonNode get(JsonNode obj, String name) {
    if (obj == null || !obj.isObject()) {
      return null;
    }
    JsonNode v = obj.get(name);
    if (v != null) {
      return v;
    }
    Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getKey().equalsIgnoreCase(name)) {
        return e.getValue();
      }
    }
    return null;
  }

  private static String text(JsonNode v) {
    return v == null || v.isNull() ? null : v.asText();
  }

  /**
   * A time as Go's time.Time marshals after parsing it: RFC 3339, nanoseconds without trailing
   * zeros.
   */
  public static String goTime(String text) {
    if (text == null) {
      return "0001-01-01T00:00:00Z";
    }
    OffsetDateTime t;
    try {
      t = OffsetDateTime.parse(text);
    } catch (DateTimeParseException e) {
      return text;
    }
    return goTime(t);
  }

  /** Go's RFC3339Nano of a time: nanoseconds without trailing zeros, {@code Z} for UTC. */
  public static String goTime(OffsetDateTime t) {
    StringBuilder sb =
        new StringBuilder(DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").format(t));
    int nanos = t.getNano();
    if (nanos != 0) {
      String frac = String.format("%09d", nanos);
      int end = frac.length();
      while (frac.charAt(end - 1) == '0') {
        end--;
      }
      sb.append('.').append(frac, 0, end);
    }
    sb.append(t.getOffset().getTotalSeconds() == 0 ? "Z" : t.getOffset().getId());
    return sb.toString();
  }
}
