package io.layerstore.container;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A container's id: 32 random bytes as 64 lowercase hex, drawn the way Docker draws them (again if
 * the first 12 characters are all decimal digits, so a short id never reads as a number). Shown
 * without the {@code sha256:} prefix image ids have.
 *
 * @param hex the 64 lowercase hex characters
 */
public record ContainerId(String hex) implements Comparable<ContainerId> {
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  /**
   * Checks {@code hex} is exactly 64 lowercase hex characters, so that it is safe as a path
   * element.
   *
   * @param hex the 64 lowercase hex characters
   * @throws IllegalArgumentException if it is not
   */
  public ContainerId {
    if (hex == null || !HEX64.matcher(hex).matches()) {
      throw new IllegalArgumentException("not a container id (64 lowercase hex): \"" + hex + "\"");
    }
  }

  /**
   * Parses a full id; surrounding whitespace is ignored. Short ids and names are resolved by {@link
   * Containers}, not here.
   *
   * @param text the id as text
   * @return the id
   * @throws IllegalArgumentException if {@code text} is null or not 64 lowercase hex characters
   */
  public static ContainerId parse(String text) {
    return new ContainerId(text == null ? null : text.strip());
  }

  /**
   * Whether {@code text} is a full container id. Unlike {@link #parse}, surrounding whitespace is
   * not ignored.
   *
   * @param text the text to check, may be null
   * @return whether it is exactly 64 lowercase hex characters
   */
  public static boolean isValid(String text) {
    return text != null && HEX64.matcher(text).matches();
  }

  /**
   * A new random id.
   *
   * @param random the source of the 32 bytes (drawn again while the short id is all digits)
   * @return the id
   */
  public static ContainerId random(SecureRandom random) {
    byte[] b = new byte[32];
    while (true) {
      random.nextBytes(b);
      String hex = HexFormat.of().formatHex(b);
      if (!hex.substring(0, 12).chars().allMatch(Character::isDigit)) {
        return new ContainerId(hex);
      }
    }
  }

  /**
   * The first 12 characters, as {@code docker ps} shows them (also the default hostname).
   *
   * @return the short id
   */
  public String shortId() {
    return hex.substring(0, 12);
  }

  @Override
  public int compareTo(ContainerId o) {
    return hex.compareTo(o.hex);
  }

  @Override
  public String toString() {
    return hex;
  }
}
