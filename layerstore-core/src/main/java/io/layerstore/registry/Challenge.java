package io.layerstore.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 7235): {@code Basic realm="..."} or
 * {@code Bearer realm="...",service="...",scope="..."}. Parsed by hand because the JDK has no
 * parser for it, and leniently where registries differ (unquoted values, spaces around commas).
 *
 * @param scheme the scheme in lower case: {@code basic} or {@code bearer} (others are kept but not
 *     answered)
 * @param params the parameters, names in lower case
 */
record Challenge(String scheme, Map<String, String> params) {

  Challenge {
    params = Map.copyOf(params);
  }

  /** The challenges of every {@code WWW-Authenticate} header of an answer, in order. */
  static List<Challenge> parseAll(List<String> headers) {
    List<Challenge> out = new ArrayList<>();
    for (String h : headers) {
      out.addAll(parse(h));
    }
    return out;
  }

  /** The challenges of one header value. */
  static List<Challenge> parse(String header) {
    List<Challenge> out = new ArrayList<>();
    int i = 0;
    int n = header.length();
    String scheme = null;
    Map<String, String> params = new LinkedHashMap<>();
    while (i < n) {
      i = skip(header, i, " \t,");
      if (i >= n) {
        break;
      }
      int start = i;
      while (i < n && "= \t,".indexOf(header.charAt(i)) < 0) {
        i++;
      }
      String token = header.substring(start, i);
      int afterSpaces = skip(header, i, " \t");
      if (afterSpaces < n && header.charAt(afterSpaces) == '=' && scheme != null) {
        // name=value: a parameter of the current challenge
        i = skip(header, afterSpaces + 1, " \t");
        StringBuilder value = new StringBuilder();
        if (i < n && header.charAt(i) == '"') {
          i++;
          while (i < n && header.charAt(i) != '"') {
            if (header.charAt(i) == '\\' && i + 1 < n) {
              i++;
            }
            value.append(header.charAt(i++));
          }
          i++; // the closing quote
        } else {
          while (i < n && header.charAt(i) != ',') {
            value.append(header.charAt(i++));
          }
        }
        params.put(token.toLowerCase(Locale.ROOT), value.toString().trim());
      } else {
        // a new scheme starts a new challenge
        if (scheme != null) {
          out.add(new Challenge(scheme, params));
          params = new LinkedHashMap<>();
        }
        scheme = token.toLowerCase(Locale.ROOT);
      }
    }
    if (scheme != null) {
      out.add(new Challenge(scheme, params));
    }
    return out;
  }

  private static int skip(String s, int i, String chars) {
    while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
      i++;
    }
    return i;
  }

  /** The challenge this client answers: Bearer before Basic, as docker prefers it. */
  static Optional<Challenge> preferred(List<Challenge> challenges) {
    for (String scheme : List.of("bearer", "basic")) {
      for (Challenge c : challenges) {
        if (c.scheme.equals(scheme)) {
          return Optional.of(c);
        }
      }
    }
    return Optional.empty();
  }

  String param(String name) {
    return params.get(name);
  }
}
