package io.layerstore.trust;

import io.layerstore.LayerStoreException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of YAML that registries.d files use: nested block mappings of scalars ({@code key:
 * value}, plain, single- or double-quoted), comments, a leading {@code ---}, and {@code {}} for an
 * empty mapping. Anything else (sequences, flow collections, anchors, multi-line scalars, tabs) is
 * refused with the file and line, rather than read differently from containers/image's YAML
 * library. A mapping's value is a {@code String}, a nested {@code Map}, or {@code null} when empty.
 */
final class RegistriesYaml {

  private record Line(int number, int indent, String key, String value) {}

  private final String source;
  private final List<Line> lines;
  private int pos;

  private RegistriesYaml(String source, List<Line> lines) {
    this.source = source;
    this.lines = lines;
  }

  static Map<String, Object> parse(String text, String source) throws LayerStoreException {
    List<Line> lines = new ArrayList<>();
    String[] raw = text.split("\r?\n", -1);
    for (int i = 0; i < raw.length; i++) {
      Line l = line(raw[i], i + 1, source);
      if (l != null) {
        lines.add(l);
      }
    }
    RegistriesYaml y = new RegistriesYaml(source, lines);
    if (lines.isEmpty()) {
      return new LinkedHashMap<>();
    }
    Map<String, Object> root = y.mapping(lines.get(0).indent());
    if (y.pos < lines.size()) {
      throw y.error(lines.get(y.pos), "unexpected indentation");
    }
    return root;
  }

  private Map<String, Object> mapping(int indent) throws LayerStoreException {
    Map<String, Object> map = new LinkedHashMap<>();
    while (pos < lines.size() && lines.get(pos).indent() == indent) {
      Line l = lines.get(pos++);
      Object value;
      if (l.value() != null) {
        value = l.value().equals("{}") ? new LinkedHashMap<String, Object>() : l.value();
      } else if (pos < lines.size() && lines.get(pos).indent() > indent) {
        value = mapping(lines.get(pos).indent());
      } else {
        value = null;
      }
      if (map.containsKey(l.key())) {
        throw error(l, "key \"" + l.key() + "\" appears twice");
      }
      map.put(l.key(), value);
    }
    if (pos < lines.size() && lines.get(pos).indent() > indent) {
      throw error(lines.get(pos), "unexpected indentation");
    }
    return map;
  }

  private LayerStoreException error(Line l, String what) {
    return new LayerStoreException(source + " line " + l.number() + ": " + what);
  }

  /** One non-blank line as indent, key and (unquoted) value; null for blank and comment lines. */
  private static Line line(String s, int number, String source) throws LayerStoreException {
    String where = source + " line " + number + ": ";
    int indent = 0;
    while (indent < s.length() && s.charAt(indent) == ' ') {
      indent++;
    }
    String rest = s.substring(indent);
    if (rest.startsWith("\t")) {
      throw new LayerStoreException(where + "tabs may not indent YAML");
    }
    rest = stripComment(rest).strip();
    if (rest.isEmpty() || (indent == 0 && (rest.equals("---") || rest.equals("...")))) {
      return null;
    }
    if (rest.startsWith("- ")
        || rest.equals("-")
        || rest.startsWith("[")
        || rest.startsWith("&")
        || rest.startsWith("*")
        || rest.startsWith("?")) {
      throw new LayerStoreException(
          where + "only mappings of scalars are used in registries.d, not \"" + rest + "\"");
    }
    int[] end = new int[1];
    String key = scalarAt(rest, 0, end, where);
    int colon = end[0];
    while (colon < rest.length() && rest.charAt(colon) == ' ') {
      colon++;
    }
    if (colon >= rest.length()
        || rest.charAt(colon) != ':'
        || (colon + 1 < rest.length() && rest.charAt(colon + 1) != ' ')) {
      throw new LayerStoreException(where + "expected \"key: value\", found \"" + rest + "\"");
    }
    String after = rest.substring(colon + 1).strip();
    if (after.isEmpty()) {
      return new Line(number, indent, key, null);
    }
    if (after.equals("{}")) {
      return new Line(number, indent, key, "{}");
    }
    if (after.startsWith("{")
        || after.startsWith("[")
        || after.startsWith("|")
        || after.startsWith(">")
        || after.startsWith("&")
        || after.startsWith("*")
        || after.startsWith("!")) {
      throw new LayerStoreException(
          where + "this YAML form is not supported in registries.d: \"" + after + "\"");
    }
    String value = scalarAt(after, 0, end, where);
    if (end[0] != after.length()) {
      throw new LayerStoreException(where + "unexpected text after the value: \"" + after + "\"");
    }
    return new Line(number, indent, key, value);
  }

  /** A comment starts at a # at the start or after a space, outside quotes. */
  private static String stripComment(String s) {
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == '\\' && quote == '"') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else if (c == '#' && (i == 0 || s.charAt(i - 1) == ' ')) {
        return s.substring(0, i);
      }
    }
    return s;
  }

  /**
   * The scalar starting at {@code start}; {@code end[0]} is set past it. A plain key ends at ": "
   * or a final ":", a plain value at the end of the text.
   */
  private static String scalarAt(String s, int start, int[] end, String where)
      throws LayerStoreException {
    char first = s.charAt(start);
    if (first == '\'' || first == '"') {
      StringBuilder sb = new StringBuilder();
      for (int i = start + 1; i < s.length(); i++) {
        char c = s.charAt(i);
        if (first == '\'' && c == '\'') {
          if (i + 1 < s.length() && s.charAt(i + 1) == '\'') {
            sb.append('\'');
            i++;
            continue;
          }
          end[0] = i + 1;
          return sb.toString();
        }
        if (first == '"' && c == '"') {
          end[0] = i + 1;
          return sb.toString();
        }
        if (first == '"' && c == '\\' && i + 1 < s.length()) {
          char e = s.charAt(++i);
          switch (e) {
            case 'n' -> sb.append('\n');
            case 't' -> sb.append('\t');
            case '"', '\\', '/' -> sb.append(e);
            default ->
                throw new LayerStoreException(where + "unsupported escape \\" + e + " in a string");
          }
          continue;
        }
        sb.append(c);
      }
      throw new LayerStoreException(where + "unterminated quoted string");
    }
    int i = start;
    while (i < s.length()) {
      if (s.charAt(i) == ':' && (i + 1 == s.length() || s.charAt(i + 1) == ' ')) {
        break;
      }
      i++;
    }
    end[0] = i;
    return s.substring(start, i).strip();
  }
}
