package io.layerstore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A content digest in Docker's textual form {@code sha256:<64 lowercase hex>}.
 *
 * <p>Only sha256 is accepted: it is what Docker's layer and image stores key everything by, and
 * accepting anything else here would let a malformed id travel deep into path construction.
 *
 * @param hex the 64 lowercase hex characters, without the {@code sha256:} prefix
 */
public record Digest(String hex) implements Comparable<Digest> {

  /** The only algorithm accepted, as it appears before the colon: {@value}. */
  public static final String ALGORITHM = "sha256";

  /**
   * Checks {@code hex} is exactly 64 lowercase hex characters, so that it is safe as a path
   * element.
   *
   * @param hex the 64 lowercase hex characters, without the {@code sha256:} prefix
   * @throws IllegalArgumentException if {@code hex} is null, of another length, uppercase or not
   *     hex
   */
  public Digest {
    if (!isHex64(hex)) {
      throw new IllegalArgumentException("not a sha256 hex digest: " + hex);
    }
  }

  /**
   * Exactly 64 lowercase hex characters. A loop rather than a regular expression: every layer of a
   * chain is keyed by digests, and a mount of a deep chain parses hundreds of them, where the regex
   * matcher was the largest cost of the whole call.
   */
  private static boolean isHex64(String s) {
    if (s == null || s.length() != 64) {
      return false;
    }
    for (int i = 0; i < 64; i++) {
      char c = s.charAt(i);
      if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses {@code sha256:<hex>}; also accepts the bare 64-hex form. Surrounding whitespace is
   * ignored; uppercase hex is not.
   *
   * @param text the digest as text
   * @return the digest
   * @throws IllegalArgumentException if {@code text} is null, names another algorithm, or is not 64
   *     lowercase hex characters
   */
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
    if (!isHex64(s)) {
      throw new IllegalArgumentException("not a sha256 digest: \"" + text + "\"");
    }
    return new Digest(s);
  }

  /**
   * Whether {@code text} is a valid digest, with or without the {@code sha256:} prefix.
   *
   * @param text the text to check, may be null
   * @return whether {@link #parse} would accept it
   */
  public static boolean isValid(String text) {
    try {
      parse(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The sha256 of {@code data}.
   *
   * @param data the bytes to hash
   * @return their digest
   */
  public static Digest of(byte[] data) {
    return fromBytes(newSha256().digest(data));
  }

  /**
   * The sha256 of {@code utf8} encoded as UTF-8 (how chainIDs are computed from their text).
   *
   * @param utf8 the text to hash
   * @return the digest of its UTF-8 bytes
   */
  public static Digest of(String utf8) {
    return of(utf8.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Wraps an already computed sha256 hash, for instance from {@link #newSha256()} after streaming.
   *
   * @param sha256 the 32 bytes of the hash
   * @return the digest
   * @throws IllegalArgumentException if {@code sha256} is not 32 bytes long
   */
  public static Digest fromBytes(byte[] sha256) {
    if (sha256.length != 32) {
      throw new IllegalArgumentException("sha256 is 32 bytes, got " + sha256.length);
    }
    return new Digest(java.util.HexFormat.of().formatHex(sha256));
  }

  /**
   * A fresh SHA-256 {@link MessageDigest}, for hashing a stream as it goes by. Not thread-safe,
   * like every {@code MessageDigest}: use one per stream.
   *
   * @return a new SHA-256 digester
   * @throws IllegalStateException if the JVM has no SHA-256 (every conforming JVM has one)
   */
  public static MessageDigest newSha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }

  /**
   * The first 12 hex characters, as {@code docker images} shows ids.
   *
   * @return the short form, without the {@code sha256:} prefix
   */
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
