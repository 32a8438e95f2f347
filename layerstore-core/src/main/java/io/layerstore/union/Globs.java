package io.layerstore.union;

import java.nio.file.FileSystem;
import java.nio.file.PathMatcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** {@link FileSystem#getPathMatcher} for Unix paths: {@code glob:} and {@code regex:}. */
final class Globs {
  private Globs() {}

  private static final String REGEX_META = "\\^$.|+()[]{}*?";

  static PathMatcher matcher(String syntaxAndPattern) {
    int colon = syntaxAndPattern.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("expected syntax:pattern, got " + syntaxAndPattern);
    }
    String syntax = syntaxAndPattern.substring(0, colon);
    String pattern = syntaxAndPattern.substring(colon + 1);
    Pattern regex;
    if (syntax.equalsIgnoreCase("glob")) {
      regex = Pattern.compile(toRegex(pattern));
    } else if (syntax.equalsIgnoreCase("regex")) {
      regex = Pattern.compile(pattern);
    } else {
      throw new UnsupportedOperationException("syntax '" + syntax + "' is not supported");
    }
    return path -> regex.matcher(path.toString()).matches();
  }

  /** A regular expression matching what the Unix glob {@code glob} matches. */
  static String toRegex(String glob) {
    StringBuilder regex = new StringBuilder();
    boolean inGroup = false;
    int i = 0;
    while (i < glob.length()) {
      char c = glob.charAt(i++);
      switch (c) {
        case '\\':
          if (i == glob.length()) {
            throw new PatternSyntaxException("trailing escape", glob, i - 1);
          }
          literal(regex, glob.charAt(i++));
          break;
        case '*':
          if (i < glob.length() && glob.charAt(i) == '*') {
            regex.append(".*");
            i++;
          } else {
            regex.append("[^/]*");
          }
          break;
        case '?':
          regex.append("[^/]");
          break;
        case '[':
          i = bracket(glob, i, regex);
          break;
        case '{':
          if (inGroup) {
            throw new PatternSyntaxException("nested groups", glob, i - 1);
          }
          regex.append("(?:");
          inGroup = true;
          break;
        case '}':
          if (inGroup) {
            regex.append(')');
            inGroup = false;
          } else {
            literal(regex, c);
          }
          break;
        case ',':
          if (inGroup) {
            regex.append('|');
          } else {
            literal(regex, c);
          }
          break;
        default:
          literal(regex, c);
      }
    }
    if (inGroup) {
      throw new PatternSyntaxException("missing '}'", glob, glob.length());
    }
    return regex.toString();
  }

  /**
   * Translates a bracket expression starting after {@code [}; returns the index after {@code ]}.
   */
  private static int bracket(String glob, int start, StringBuilder regex) {
    int i = start;
    regex.append("[[^/]&&[");
    if (i < glob.length() && (glob.charAt(i) == '!' || glob.charAt(i) == '^')) {
      regex.append('^');
      i++;
    }
    boolean first = true;
    while (i < glob.length()) {
      char c = glob.charAt(i++);
      if (c == ']' && !first) {
        regex.append("]]");
        return i;
      }
      if (c == '-' && !first && i < glob.length() && glob.charAt(i) != ']') {
        regex.append('-');
      } else {
        if (c == '\\' || c == '[' || c == '&' || c == '^' || c == ']' || c == '-') {
          regex.append('\\');
        }
        regex.append(c);
      }
      first = false;
    }
    throw new PatternSyntaxException("missing ']'", glob, start - 1);
  }

  private static void literal(StringBuilder regex, char c) {
    if (REGEX_META.indexOf(c) >= 0) {
      regex.append('\\');
    }
    regex.append(c);
  }
}
