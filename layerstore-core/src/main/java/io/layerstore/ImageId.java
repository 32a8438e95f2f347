package io.layerstore;

/** sha256 of an image's config bytes, exactly as stored. */
public record ImageId(Digest digest) {
  public ImageId {
    if (digest == null) {
      throw new IllegalArgumentException("image id digest is null");
    }
  }

  public static ImageId parse(String text) {
    return new ImageId(Digest.parse(text));
  }

  public static ImageId ofConfig(byte[] configBytes) {
    return new ImageId(Digest.of(configBytes));
  }

  public String shortId() {
    return digest.shortHex();
  }

  @Override
  public String toString() {
    return digest.toString();
  }
}
