package io.layerstore.archive;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PAX extended header records ({@code "%d %s=%s\n"}), parsed and formatted with the rules of Go's
 * {@code archive/tar}: the reader must accept and reject what Docker's reader does, and the writer
 * must produce the records Go would for the same header.
 */
final class PaxRecords {

  static final String PATH = "path";
  static final String LINKPATH = "linkpath";
  static final String SIZE = "size";
  static final String UID = "uid";
  static final String GID = "gid";
  static final String UNAME = "uname";
  static final String GNAME = "gname";
  static final String MTIME = "mtime";
  static final String ATIME = "atime";
  static final String CTIME = "ctime";
  static final String XATTR_PREFIX = "SCHILY.xattr.";
  static final String SPARSE_PREFIX = "GNU.sparse.";

  /** Keys a writer derives from header fields; Go never copies them from the caller's records. */
  static boolean isBasicKey(String key) {
    switch (key) {
      case PATH:
      case LINKPATH:
      case SIZE:
      case UID:
      case GID:
      case UNAME:
      case GNAME:
      case MTIME:
      case ATIME:
      case CTIME:
        return true;
      default:
        return false;
    }
  }

  /** Orders keys by their UTF-8 bytes, as Go's {@code sort.Strings} does. */
  static final Comparator<String> GO_ORDER =
      (a, b) ->
          Arrays.compareUnsigned(
              a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  private PaxRecords() {}

  /**
   * Parses the data of a PAX header into key → raw value bytes, later records replacing earlier
   * ones with the same key.
   *
   * @throws IllegalArgumentException naming what is malformed
   */
  static Map<String, byte[]> parse(byte[] data) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    int p = 0;
    while (p < data.length) {
      int sp = indexOf(data, (byte) ' ', p, data.length);
      if (sp < 0) {
        throw new IllegalArgumentException("record at byte " + p + " has no length field");
      }
      long n;
      try {
        n = parseDecimal(new String(data, p, sp - p, StandardCharsets.ISO_8859_1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("record at byte " + p + " has a bad length field");
      }
      if (n < 5 || n > data.length - p || n <= sp - p + 1) {
        throw new IllegalArgumentException("record at byte " + p + " has bad length " + n);
      }
      int end = p + (int) n;
      if (data[end - 1] != '\n') {
        throw new IllegalArgumentException("record at byte " + p + " does not end in a newline");
      }
      int eq = indexOf(data, (byte) '=', sp + 1, end - 1);
      if (eq < 0) {
        throw new IllegalArgumentException("record at byte " + p + " has no '='");
      }
      byte[] keyBytes = Arrays.copyOfRange(data, sp + 1, eq);
      byte[] value = Arrays.copyOfRange(data, eq + 1, end - 1);
      String key = new String(keyBytes, StandardCharsets.UTF_8);
      String invalid = invalidReason(key, keyBytes, value);
      if (invalid != null) {
        throw new IllegalArgumentException(invalid);
      }
      out.remove(key);
      out.put(key, value);
      p = end;
    }
    return out;
  }

  /** Go's {@code validPAXRecord}; null when valid, else why not. */
  static String invalidReason(String key, byte[] keyBytes, byte[] value) {
    if (keyBytes.length == 0) {
      return "record with an empty key";
    }
    switch (key) {
      case PATH:
      case LINKPATH:
      case UNAME:
      case GNAME:
        return indexOf(value, (byte) 0, 0, value.length) >= 0
            ? "NUL byte in PAX " + key + " record"
            : null;
      default:
        return indexOf(keyBytes, (byte) 0, 0, keyBytes.length) >= 0
            ? "NUL byte in PAX record key"
            : null;
    }
  }

  /** One record in Go's form: the length counts itself. */
  static byte[] format(String key, byte[] value) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    int size = k.length + value.length + 3;
    size += Integer.toString(size).length();
    String len = Integer.toString(size);
    if (len.length() + k.length + value.length + 3 != size) {
      size = len.length() + k.length + value.length + 3;
      len = Integer.toString(size);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(size);
    out.writeBytes(len.getBytes(StandardCharsets.US_ASCII));
    out.write(' ');
    out.writeBytes(k);
    out.write('=');
    out.writeBytes(value);
    out.write('\n');
    return out.toByteArray();
  }

  /** Go's {@code strconv.ParseInt(s, 10, 64)}: optional sign, ASCII digits only, no overflow. */
  static long parseDecimal(String s) {
    int i = 0;
    boolean negative = false;
    if (!s.isEmpty() && (s.charAt(0) == '+' || s.charAt(0) == '-')) {
      negative = s.charAt(0) == '-';
      i = 1;
    }
    if (i == s.length()) {
      throw new NumberFormatException("not a number: \"" + s + "\"");
    }
    long x = 0; // accumulated as a negative number so that Long.MIN_VALUE is reachable
    try {
      for (; i < s.length(); i++) {
        char c = s.charAt(i);
        if (c < '0' || c > '9') {
          throw new NumberFormatException("not a number: \"" + s + "\"");
        }
        x = Math.subtractExact(Math.multiplyExact(x, 10), c - '0');
      }
    } catch (ArithmeticException e) {
      throw new NumberFormatException("number out of range: \"" + s + "\"");
    }
    if (negative) {
      return x;
    }
    if (x == Long.MIN_VALUE) {
      throw new NumberFormatException("number out of range: \"" + s + "\"");
    }
    return -x;
  }

  /** Go's {@code parsePAXTime}: seconds, optionally {@code .} and up to 9 significant digits. */
  static Instant parseTime(String s) {
    int dot = s.indexOf('.');
    String secPart = dot < 0 ? s : s.substring(0, dot);
    long secs = parseDecimal(secPart);
    if (dot < 0 || dot == s.length() - 1) {
      return Instant.ofEpochSecond(secs);
    }
    String frac = s.substring(dot + 1);
    for (int i = 0; i < frac.length(); i++) {
      char c = frac.charAt(i);
      if (c < '0' || c > '9') {
        throw new NumberFormatException("bad fraction in time \"" + s + "\"");
      }
    }
    if (frac.length() < 9) {
      frac = frac + "000000000".substring(frac.length());
    } else {
      frac = frac.substring(0, 9);
    }
    long nanos = Long.parseLong(frac);
    if (secPart.startsWith("-")) {
      nanos = -nanos;
    }
    return Instant.ofEpochSecond(secs, nanos);
  }

  /** Go's {@code formatPAXTime}. */
  static String formatTime(Instant t) {
    long secs = t.getEpochSecond();
    int nanos = t.getNano();
    if (nanos == 0) {
      return Long.toString(secs);
    }
    String sign = "";
    if (secs < 0) {
      sign = "-";
      secs = -(secs + 1);
      nanos = 1_000_000_000 - nanos;
    }
    String s = sign + secs + "." + String.format("%09d", nanos);
    int end = s.length();
    while (s.charAt(end - 1) == '0') {
      end--;
    }
    return s.substring(0, end);
  }

  static int indexOf(byte[] b, byte v, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == v) {
        return i;
      }
    }
    return -1;
  }
}
