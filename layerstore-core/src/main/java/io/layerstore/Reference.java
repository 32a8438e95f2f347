package io.layerstore;

import java.util.regex.Pattern;

/**
 * An image reference such as {@code fx:multi}, {@code ubuntu}, {@code localhost:5000/a/b:1} or
 * {@code busybox@sha256:...}, normalized the way Docker normalizes it ({@code ubuntu} is {@code
 * docker.io/library/ubuntu:latest}) and shown in Docker's familiar form.
 *
 * @param domain registry host (and port); {@code docker.io} when none is written
 * @param path repository path, {@code library/ubuntu} for official images
 * @param tag tag, or {@code null} when the reference is by digest only
 * @param digest manifest digest, or {@code null}
 */
public record Reference(String domain, String path, String tag, Digest digest) {

  /** The registry a reference without one names ({@code index.docker.io} is folded into it too). */
  public static final String DEFAULT_DOMAIN = "docker.io";

  /** The tag {@link #withDefaultTag()} adds, as Docker does. */
  public static final String DEFAULT_TAG = "latest";

  private static final String ALNUM = "[a-z0-9]+";
  private static final String SEPARATOR = "(?:[._]|__|[-]*)";
  private static final String COMPONENT = ALNUM + "(?:" + SEPARATOR + ALNUM + ")*";
  private static final Pattern PATH = Pattern.compile(COMPONENT + "(?:/" + COMPONENT + ")*");
  private static final Pattern DOMAIN =
      Pattern.compile(
          "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
              + "(?:\\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*"
              + "(?::[0-9]+)?|\\[[a-fA-F0-9:]+\\](?::[0-9]+)?");
  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final Pattern HEX64 = Pattern.compile("[a-f0-9]{64}");
  private static final int NAME_MAX = 255;

  /**
   * Checks the two parts every reference has; the parts are not validated beyond that, use {@link
   * #parse} for text from outside.
   *
   * @param domain registry host (and port); {@code docker.io} when none is written
   * @param path repository path, {@code library/ubuntu} for official images
   * @param tag tag, or {@code null} when the reference is by digest only
   * @param digest manifest digest, or {@code null}
   * @throws IllegalArgumentException if {@code domain} or {@code path} is null
   */
  public Reference {
    if (domain == null || path == null) {
      throw new IllegalArgumentException("reference needs a domain and a path");
    }
  }

  /**
   * Parses and normalizes a reference. A missing tag is <b>not</b> filled in; use {@link
   * #withDefaultTag()} where Docker would add {@code latest}. A bare 64-hex string is refused, as
   * Docker refuses it, since it would read as an image id.
   *
   * @param text the reference as a user writes it
   * @return the normalized reference
   * @throws InvalidReferenceException naming the text and what is wrong with it
   */
  public static Reference parse(String text) throws InvalidReferenceException {
    if (text == null || text.isEmpty()) {
      throw new InvalidReferenceException("invalid reference format: empty");
    }
    if (HEX64.matcher(text).matches()) {
      throw new InvalidReferenceException(
          "invalid reference format: \"" + text + "\": cannot specify 64-byte hexadecimal strings");
    }
    String rest = text;
    Digest digest = null;
    int at = rest.indexOf('@');
    if (at >= 0) {
      try {
        digest = Digest.parse(rest.substring(at + 1));
      } catch (IllegalArgumentException e) {
        throw new InvalidReferenceException(
            "invalid reference format: \"" + text + "\": bad digest", e);
      }
      rest = rest.substring(0, at);
    }
    String tag = null;
    int colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      tag = rest.substring(colon + 1);
      rest = rest.substring(0, colon);
      if (!TAG.matcher(tag).matches()) {
        throw new InvalidReferenceException(
            "invalid reference format: \"" + text + "\": bad tag \"" + tag + "\"");
      }
    }
    String domain;
    String path;
    int slash = rest.indexOf('/');
    String first = slash < 0 ? rest : rest.substring(0, slash);
    if (slash < 0
        || (!first.contains(".")
            && !first.contains(":")
            && !first.equals("localhost")
            && first.equals(first.toLowerCase(java.util.Locale.ROOT)))) {
      domain = DEFAULT_DOMAIN;
      path = rest;
    } else {
      domain = first;
      path = rest.substring(slash + 1);
    }
    if (domain.equals("index.docker.io")) {
      domain = DEFAULT_DOMAIN;
    }
    if (!DOMAIN.matcher(domain).matches()) {
      throw new InvalidReferenceException(
          "invalid reference format: \"" + text + "\": bad registry \"" + domain + "\"");
    }
    if (!path.equals(path.toLowerCase(java.util.Locale.ROOT))) {
      throw new InvalidReferenceException(
          "invalid reference format: \"" + text + "\": repository name must be lowercase");
    }
    if (!PATH.matcher(path).matches()) {
      throw new InvalidReferenceException("invalid reference format: \"" + text + "\"");
    }
    if (domain.equals(DEFAULT_DOMAIN) && path.indexOf('/') < 0) {
      path = "library/" + path;
    }
    if (domain.length() + 1 + path.length() > NAME_MAX) {
      throw new InvalidReferenceException(
          "invalid reference format: \"" + text + "\": repository name too long");
    }
    return new Reference(domain, path, tag, digest);
  }

  /**
   * This reference with tag {@code latest} if it has neither tag nor digest.
   *
   * @return a new reference with tag {@link #DEFAULT_TAG}, or this one when it has a tag or digest
   */
  public Reference withDefaultTag() {
    return tag == null && digest == null ? new Reference(domain, path, DEFAULT_TAG, null) : this;
  }

  /**
   * The repository in Docker's short form: {@code ubuntu}, {@code foo/bar}, {@code
   * localhost:5000/x}.
   *
   * @return the repository without {@code docker.io/} and, for official images, {@code library/}
   */
  public String familiarName() {
    if (domain.equals(DEFAULT_DOMAIN)) {
      if (path.startsWith("library/") && path.indexOf('/', 8) < 0) {
        return path.substring(8);
      }
      return path;
    }
    return domain + "/" + path;
  }

  /**
   * The reference in familiar form, as {@code docker images} and the repositories file show it.
   *
   * @return {@code name:tag}, {@code name@digest} or, when it carries both, {@code name:tag@digest}
   */
  public String familiarString() {
    StringBuilder sb = new StringBuilder(familiarName());
    if (tag != null) {
      sb.append(':').append(tag);
    }
    if (digest != null) {
      sb.append('@').append(digest);
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return familiarString();
  }
}
