package io.layerstore;

/**
 * sha256 of a layer's uncompressed tar stream, every byte included. It is what an image's config
 * lists in {@code rootfs.diff_ids}; the store names the layer itself by its {@link ChainId}.
 *
 * @param digest the diffID itself
 */
public record DiffId(Digest digest) {
  /**
   * Checks the digest is present.
   *
   * @param digest the diffID itself
   * @throws IllegalArgumentException if {@code digest} is null
   */
  public DiffId {
    if (digest == null) {
      throw new IllegalArgumentException("diffID digest is null");
    }
  }

  /** diffID of a tar holding nothing but the two end-of-archive blocks. */
  public static final DiffId EMPTY_LAYER =
      parse("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");

  /**
   * Parses a diffID in {@code sha256:<hex>} form (the bare 64-hex form is accepted too).
   *
   * @param text the diffID as text
   * @return the diffID
   * @throws IllegalArgumentException if {@code text} is null or not a sha256 digest
   */
  public static DiffId parse(String text) {
    return new DiffId(Digest.parse(text));
  }

  @Override
  public String toString() {
    return digest.toString();
  }
}
