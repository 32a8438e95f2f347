package io.layerstore;

/**
 * sha256 of an image's config bytes, exactly as stored.
 *
 * @param digest the image id itself
 */
public record ImageId(Digest digest) {
  /**
   * Checks the digest is present.
   *
   * @param digest the image id itself
   * @throws IllegalArgumentException if {@code digest} is null
   */
  public ImageId {
    if (digest == null) {
      throw new IllegalArgumentException("image id digest is null");
    }
  }

  /**
   * Parses a full image id in {@code sha256:<hex>} form (the bare 64-hex form is accepted too).
   * Short ids are not ids: {@link LayerStore} resolves those against the images it holds.
   *
   * @param text the image id as text
   * @return the image id
   * @throws IllegalArgumentException if {@code text} is null or not a sha256 digest
   */
  public static ImageId parse(String text) {
    return new ImageId(Digest.parse(text));
  }

  /**
   * The id of an image with this config.
   *
   * @param configBytes the config exactly as stored; any change of byte (even whitespace) is
   *     another image
   * @return sha256 of the bytes
   */
  public static ImageId ofConfig(byte[] configBytes) {
    return new ImageId(Digest.of(configBytes));
  }

  /**
   * The first 12 hex characters, as {@code docker images} shows ids.
   *
   * @return the short id, without the {@code sha256:} prefix
   */
  public String shortId() {
    return digest.shortHex();
  }

  @Override
  public String toString() {
    return digest.toString();
  }
}
