package io.layerstore.container;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One change a commit makes to the image config, in the Dockerfile instructions {@code docker
 * commit --change} accepts: {@code CMD}, {@code ENTRYPOINT}, {@code ENV}, {@code EXPOSE}, {@code
 * LABEL}, {@code ONBUILD}, {@code STOPSIGNAL}, {@code USER}, {@code VOLUME}, {@code WORKDIR}.
 * Values are taken literally: unlike a Dockerfile, {@code $VAR} is not expanded.
 *
 * @param kind the instruction
 * @param values its arguments (a command's words, ports, volumes, or one value)
 * @param pairs for {@code ENV} and {@code LABEL}: the key/value pairs in order
 */
public record ConfigChange(Kind kind, List<String> values, List<Map.Entry<String, String>> pairs) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The instructions a commit accepts. */
  public enum Kind {
    /** The command ({@code Cmd}): {@link ConfigChange#values()} holds its words. */
    CMD,
    /**
     * The entrypoint ({@code Entrypoint}); as in a Dockerfile, it drops the command unless the
     * commit sets one too.
     */
    ENTRYPOINT,
    /**
     * Environment variables ({@code Env}): {@link ConfigChange#pairs()} holds them; a variable
     * already set is replaced in place.
     */
    ENV,
    /**
     * Exposed ports ({@code ExposedPorts}), each as {@code port[-port]/proto}, the protocol {@code
     * tcp} by default.
     */
    EXPOSE,
    /** Labels ({@code Labels}): {@link ConfigChange#pairs()} holds them. */
    LABEL,
    /**
     * A trigger for images built on this one ({@code OnBuild}): the instruction, kept as written.
     */
    ONBUILD,
    /** The signal that stops the container ({@code StopSignal}). */
    STOPSIGNAL,
    /** The user to run as ({@code User}). */
    USER,
    /** Volumes ({@code Volumes}), as words or a JSON array. */
    VOLUME,
    /** The working directory ({@code WorkingDir}). */
    WORKDIR
  }

  /**
   * Copies the lists, so the change cannot change after it is made. The canonical constructor does
   * not check that the lists fit {@code kind}; {@link #parse} and {@link CommitOptions} make only
   * well-formed changes.
   *
   * @param kind the instruction
   * @param values its arguments (a command's words, ports, volumes, or one value)
   * @param pairs for {@code ENV} and {@code LABEL}: the key/value pairs in order
   * @throws NullPointerException if a list is null or holds a null
   */
  public ConfigChange {
    values = List.copyOf(values);
    pairs = List.copyOf(pairs);
  }

  static ConfigChange of(Kind kind, List<String> values) {
    return new ConfigChange(kind, values, List.of());
  }

  static ConfigChange pairs(Kind kind, String key, String value) {
    if (key == null || key.isEmpty() || (kind == Kind.ENV && key.indexOf('=') >= 0)) {
      throw new IllegalArgumentException(
          kind
              + " needs a non-empty name"
              + (kind == Kind.ENV ? " without '='" : "")
              + ": \""
              + key
              + "\"");
    }
    return new ConfigChange(
        kind, List.of(), List.of(new AbstractMap.SimpleImmutableEntry<>(key, value)));
  }

  /**
   * Parses one instruction as {@code docker commit --change} takes it, e.g. {@code ENV A=1 B="two
   * words"}, {@code CMD ["/bin/sh","-c","echo"]}, {@code CMD echo hi} (shell form: run by {@code
   * /bin/sh -c}), {@code EXPOSE 80 53/udp}. The instruction's name is case-insensitive. A {@code
   * CMD} or {@code ENTRYPOINT} that starts with {@code [} but is not a JSON array of strings is
   * taken as a shell command, as Docker takes it.
   *
   * @param instruction the instruction; null reads as empty
   * @return the change
   * @throws IllegalArgumentException naming the instruction and what is wrong: an unknown
   *     instruction, no argument, an unmatched quote, a bad port or protocol, an {@code ENV}/{@code
   *     LABEL} without a value
   */
  public static ConfigChange parse(String instruction) {
    String text = instruction == null ? "" : instruction.strip();
    int sp = indexOfSpace(text);
    String word = sp < 0 ? text : text.substring(0, sp);
    String rest = sp < 0 ? "" : text.substring(sp).strip();
    Kind kind;
    try {
      kind = Kind.valueOf(word.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          word
              + " is not a valid change command (valid: CMD, ENTRYPOINT, ENV, EXPOSE, "
              + "LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR): \""
              + instruction
              + "\"");
    }
    if (rest.isEmpty()) {
      throw new IllegalArgumentException(
          kind + " requires at least one argument: \"" + instruction + "\"");
    }
    switch (kind) {
      case CMD:
      case ENTRYPOINT:
        return of(kind, command(rest, instruction));
      case ENV:
      case LABEL:
        return new ConfigChange(kind, List.of(), keyValues(kind, rest, instruction));
      case EXPOSE:
        List<String> ports = new ArrayList<>();
        for (String p : words(rest, instruction)) {
          ports.add(port(p, instruction));
        }
        return of(kind, ports);
      case VOLUME:
        return of(
            kind, rest.startsWith("[") ? jsonArray(rest, instruction) : words(rest, instruction));
      case ONBUILD:
      case STOPSIGNAL:
      case USER:
      case WORKDIR:
        return of(kind, List.of(kind == Kind.ONBUILD ? rest : unquote(rest)));
      default:
        throw new AssertionError(kind);
    }
  }

  private static List<String> command(String rest, String instruction) {
    if (rest.startsWith("[")) {
      try {
        return jsonArray(rest, instruction);
      } catch (IllegalArgumentException e) {
        // Docker, too, takes a malformed JSON array as a shell command
      }
    }
    return List.of("/bin/sh", "-c", rest);
  }

  private static List<String> jsonArray(String rest, String instruction) {
    JsonNode n;
    try {
      n = JSON.readTree(rest);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not a JSON array of strings: \"" + instruction + "\"");
    }
    List<String> out = new ArrayList<>();
    if (n == null || !n.isArray()) {
      throw new IllegalArgumentException("not a JSON array of strings: \"" + instruction + "\"");
    }
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new IllegalArgumentException("not a JSON array of strings: \"" + instruction + "\"");
      }
      out.add(e.textValue());
    }
    return out;
  }

  private static String port(String p, String instruction) {
    String[] parts = p.split("/", -1);
    if (parts.length > 2 || !parts[0].matches("[0-9]{1,5}(-[0-9]{1,5})?")) {
      throw new IllegalArgumentException("invalid port \"" + p + "\": \"" + instruction + "\"");
    }
    String proto = parts.length == 2 ? parts[1].toLowerCase(Locale.ROOT) : "tcp";
    if (!proto.equals("tcp") && !proto.equals("udp") && !proto.equals("sctp")) {
      throw new IllegalArgumentException(
          "invalid protocol in port \"" + p + "\": \"" + instruction + "\"");
    }
    return parts[0] + "/" + proto;
  }

  /** {@code k=v k2="v 2"}, or the old form {@code k v with spaces}. */
  private static List<Map.Entry<String, String>> keyValues(
      Kind kind, String rest, String instruction) {
    List<String> words = words(rest, instruction);
    List<Map.Entry<String, String>> out = new ArrayList<>();
    String first = rawFirstWord(rest);
    if (first.indexOf('=') < 0) {
      int sp = indexOfSpace(rest);
      if (sp < 0) {
        throw new IllegalArgumentException(
            kind + " names must be followed by a value: \"" + instruction + "\"");
      }
      out.add(pairs(kind, rest.substring(0, sp), rest.substring(sp).strip()).pairs().get(0));
      return out;
    }
    for (String w : words) {
      int eq = w.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            kind + " expects name=value pairs, got \"" + w + "\": \"" + instruction + "\"");
      }
      out.add(pairs(kind, w.substring(0, eq), w.substring(eq + 1)).pairs().get(0));
    }
    return out;
  }

  /** Splits on blanks outside quotes; removes the quotes and backslash escapes. */
  private static List<String> words(String s, String instruction) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean inWord = false;
    char quote = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else if (c == '\\' && quote == '"' && i + 1 < s.length()) {
          cur.append(s.charAt(++i));
        } else {
          cur.append(c);
        }
      } else if (c == '"' || c == '\'') {
        quote = c;
        inWord = true;
      } else if (c == '\\' && i + 1 < s.length()) {
        cur.append(s.charAt(++i));
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          out.add(cur.toString());
          cur.setLength(0);
          inWord = false;
        }
      } else {
        cur.append(c);
        inWord = true;
      }
    }
    if (quote != 0) {
      throw new IllegalArgumentException("unmatched quote: \"" + instruction + "\"");
    }
    if (inWord) {
      out.add(cur.toString());
    }
    return out;
  }

  private static String unquote(String s) {
    if (s.length() >= 2
        && (s.charAt(0) == '"' || s.charAt(0) == '\'')
        && s.charAt(s.length() - 1) == s.charAt(0)) {
      return s.substring(1, s.length() - 1);
    }
    return s;
  }

  private static String rawFirstWord(String s) {
    int sp = indexOfSpace(s);
    return sp < 0 ? s : s.substring(0, sp);
  }

  private static int indexOfSpace(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isWhitespace(s.charAt(i))) {
        return i;
      }
    }
    return -1;
  }
}
