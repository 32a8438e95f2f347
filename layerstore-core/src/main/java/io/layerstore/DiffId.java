package io.layerstore;

/** sha256 of a layer's uncompressed tar stream, every byte included. */
public record DiffId(Digest digest) {
  public DiffId {
    if (digest == null) {
      throw new IllegalArgumentException("diffID digest is null");
    }
  }

  /** diffID of a tar holding nothing but the two end-of-archive blocks. */
  public static final DiffId EMPTY_LAYER =
      parse("sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef");

  public static DiffId parse(String text) {
    return new DiffId(Digest.parse(text));
  }

  @Override
  public String toString() {
    return digest.toString();
  }
}
