package io.layerstore.trust;

import java.util.Objects;

/**
 * One sigstore signature as it travels: the payload (a layer of the {@code sha256-<hex>.sig} image,
 * media type {@value #PAYLOAD_MEDIA_TYPE}) and the base64 signature of it (that layer's {@value
 * #SIGNATURE_ANNOTATION} annotation).
 *
 * @param payload the signed JSON
 * @param base64Signature the signature, base64
 */
public record SigstoreSignature(byte[] payload, String base64Signature) {

  /** The media type of a signature payload layer. */
  public static final String PAYLOAD_MEDIA_TYPE =
      "application/vnd.dev.cosign.simplesigning.v1+json";

  /** The layer annotation that holds the signature. */
  public static final String SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature";

  /**
   * Checks and copies.
   *
   * @param payload the signed JSON
   * @param base64Signature the signature, base64
   */
  public SigstoreSignature {
    payload = Objects.requireNonNull(payload, "payload").clone();
    Objects.requireNonNull(base64Signature, "base64Signature");
  }

  /**
   * The attachment tag of a manifest, as cosign names it.
   *
   * @param manifestDigest the signed manifest's digest
   * @return {@code sha256-<hex>.sig}
   */
  public static String attachmentTag(io.layerstore.Digest manifestDigest) {
    return "sha256-" + manifestDigest.hex() + ".sig";
  }

  @Override
  public byte[] payload() {
    return payload.clone();
  }
}
