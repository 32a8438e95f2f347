package io.layerstore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.regex.Pattern;

/**
 * A content digest in Docker's textual form {@code sha256:<64 lowercase hex>}.
 *
 * <p>Only sha256 is accepted: it is what Docker's layer and image stores key everything by, and
 * accepting anything else here would let a malformed id travel deep into path construction.
 */
public record Digest(String hex) implements Comparable<Digest> {

  public static final String ALGORITHM = "sha256";
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  public Digest {
    if (hex == null || !HEX64.matcher(hex).matches()) {
      throw new IllegalArgumentException("not a sha256 hex digest: " + hex);
    }
  }

  /** Parses {@code sha256:<hex>}; also accepts the bare 64-hex form. */
  public static Digest parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("digest is null");
    }
    String s = text.strip();
    if (s.startsWith(ALGORITHM + ":")) {
      s = s.substring(ALGORITHM.length() + 1);
    } else if (s.indexOf(':') >= 0) {
      throw new IllegalArgumentException("unsupported digest algorithm in \"" + text + "\"");
    }
    if (!HEX64.matcher(s).matches()) {
      throw new IllegalArgumentException("not a sha256 digest: \"" + text + "\"");
    }
    return new Digest(s);
  }

  /** Whether {@code text} is a valid digest, with or without the {@code sha256:} prefix. */
  public static boolean isValid(String text) {
    try {
      parse(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  public static Digest of(byte[] data) {
    return fromBytes(newSha256().digest(data));
  }

  public static Digest of(String utf8) {
    return of(utf8.getBytes(StandardCharsets.UTF_8));
  }

  public static Digest fromBytes(byte[] sha256) {
    if (sha256.length != 32) {
      throw new IllegalArgumentException("sha256 is 32 bytes, got " + sha256.length);
    }
    return new Digest(java.util.HexFormat.of().formatHex(sha256));
  }

  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  /** The first 12 hex characters, as {@code docker images} shows ids. */
  public String shortHex() {
    return hex.substring(0, 12);
  }

  @Override
  public int compareTo(Digest o) {
    return hex.compareTo(o.hex);
  }

  @Override
  public String toString() {
    return ALGORITHM + ":" + hex;
  }
}
