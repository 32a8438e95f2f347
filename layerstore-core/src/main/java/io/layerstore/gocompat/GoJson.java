package io.layerstore.gocompat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Compact JSON text exactly as Go's {@code encoding/json} writes it, for the files whose bytes
 * matter (ids are hashes of them): strings escape {@code <}, {@code >}, {@code &}, U+2028 and
 * U+2029 as {@code \}{@code u00xx}, control characters as {@code \n}/{@code \r}/{@code \t} or
 * {@code \}{@code u00xx}, everything else literally; numbers as written.
 */
public final class GoJson {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private GoJson() {}

  /** A JSON string literal of {@code s}. */
  public static String quote(String s) {
    StringBuilder sb = new StringBuilder(s.length() + 2);
    appendQuoted(sb, s);
    return sb.toString();
  }

  public static void appendQuoted(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"':
          sb.append("\\\"");
          break;
        case '\\':
          sb.append("\\\\");
          break;
        case '\n':
          sb.append("\\n");
          break;
        case '\r':
          sb.append("\\r");
          break;
        case '\t':
          sb.append("\\t");
          break;
        case '<':
        case '>':
        case '&':
        case '\u2028':
        case '\u2029':
          unicode(sb, c);
          break;
        default:
          if (c < 0x20) {
            unicode(sb, c);
          } else {
            sb.append(c);
          }
      }
    }
    sb.append('"');
  }

  private static void unicode(StringBuilder sb, char c) {
    sb.append("\\u")
        .append(HEX[(c >> 12) & 0xf])
        .append(HEX[(c >> 8) & 0xf])
        .append(HEX[(c >> 4) & 0xf])
        .append(HEX[c & 0xf]);
  }

  /** Compact text of a parsed tree, keeping object key order. */
  public static String write(JsonNode node) {
    StringBuilder sb = new StringBuilder();
    append(sb, node, false);
    return sb.toString();
  }

  /** Compact text with the keys of every object sorted (Go marshals maps this way). */
  public static String writeSorted(JsonNode node) {
    StringBuilder sb = new StringBuilder();
    append(sb, node, true);
    return sb.toString();
  }

  public static void append(StringBuilder sb, JsonNode node, boolean sortKeys) {
    if (node == null || node.isNull() || node.isMissingNode()) {
      sb.append("null");
    } else if (node.isTextual()) {
      appendQuoted(sb, node.textValue());
    } else if (node.isNumber()) {
      sb.append(node.numberValue().toString());
    } else if (node.isBoolean()) {
      sb.append(node.booleanValue());
    } else if (node.isArray()) {
      sb.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        append(sb, node.get(i), sortKeys);
      }
      sb.append(']');
    } else if (node.isObject()) {
      List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
      Iterator<Map.Entry<String, JsonNode>> it = node.fields();
      while (it.hasNext()) {
        fields.add(it.next());
      }
      if (sortKeys) {
        fields.sort(Map.Entry.comparingByKey(GoJson::compareUtf8));
      }
      sb.append('{');
      boolean first = true;
      for (Map.Entry<String, JsonNode> e : fields) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        appendQuoted(sb, e.getKey());
        sb.append(':');
        append(sb, e.getValue(), sortKeys);
      }
      sb.append('}');
    } else {
      sb.append(node.toString());
    }
  }

  /** Orders strings by their UTF-8 bytes, as Go sorts map keys. */
  public static int compareUtf8(String a, String b) {
    int n = Math.min(a.length(), b.length());
    for (int i = 0; i < n; i++) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(i);
      if (ca != cb) {
        return Integer.compare(ca, cb); // code point order equals UTF-8 byte order
      }
      if (Character.isSupplementaryCodePoint(ca)) {
        i++;
      }
    }
    return Integer.compare(a.length(), b.length());
  }
}
