package io.layerstore.gocompat;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Lexical path rules the Go tools apply to tar member names. Docker and tar-split compare and place
 * members by Go's {@code path.Clean} of their names, so two names that clean alike are the same
 * member to them, and must be to us.
 */
public final class TarPaths {

  private TarPaths() {}

  /**
   * Go's {@code path.Clean}: collapses repeated slashes, drops {@code .} elements and resolves
   * {@code ..} against the element before it; a rooted path cannot climb above {@code /}; an empty
   * result is {@code .}. No file system is consulted.
   */
  public static String clean(String name) {
    boolean rooted = name.startsWith("/");
    Deque<String> parts = new ArrayDeque<>();
    int i = 0;
    int n = name.length();
    while (i < n) {
      int j = name.indexOf('/', i);
      if (j < 0) {
        j = n;
      }
      String part = name.substring(i, j);
      i = j + 1;
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!parts.isEmpty() && !parts.peekLast().equals("..")) {
          parts.removeLast();
        } else if (!rooted) {
          parts.addLast("..");
        }
        continue;
      }
      parts.addLast(part);
    }
    String joined = String.join("/", parts);
    if (rooted) {
      return "/" + joined;
    }
    return joined.isEmpty() ? "." : joined;
  }

  /**
   * Go's {@code path.Join}: the non-empty elements joined with {@code /} and then cleaned; "" when
   * every element is empty.
   */
  public static String join(String... elements) {
    StringBuilder sb = new StringBuilder();
    for (String e : elements) {
      if (e.isEmpty()) {
        continue;
      }
      if (sb.length() > 0) {
        sb.append('/');
      }
      sb.append(e);
    }
    return sb.length() == 0 ? "" : clean(sb.toString());
  }
}
