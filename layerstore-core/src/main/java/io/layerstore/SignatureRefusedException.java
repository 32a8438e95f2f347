package io.layerstore;

/**
 * A trust policy refused an image: the message names the image, the requirement that failed and
 * why. Nothing was stored because of it.
 */
public class SignatureRefusedException extends LayerStoreException {
  private static final long serialVersionUID = 1L;

  /** Why a requirement was not met. */
  public enum Reason {
    /** The policy rejects every image in this scope ({@code reject}). */
    REJECTED,
    /** The requirement needs a signature and the image has none of its kind. */
    NO_SIGNATURE,
    /** Signatures exist, but none was made by a key the requirement trusts. */
    WRONG_KEY,
    /**
     * A signature is malformed, too large, truncated, of the wrong packet types, or does not verify
     * against the data it carries.
     */
    INVALID_SIGNATURE,
    /** The signing key or the signature has expired. */
    EXPIRED,
    /** The signing key has been revoked. */
    REVOKED,
    /** A trusted signature was made for another manifest. */
    DIGEST_MISMATCH,
    /** A trusted signature was made for another image name. */
    IDENTITY_MISMATCH,
    /** The policy asks for something this library does not do (Fulcio, Rekor, other key types). */
    UNSUPPORTED
  }

  private final String requirement;
  private final Reason reason;

  /**
   * Creates the exception.
   *
   * @param requirement the requirement that failed, as the policy names it
   * @param reason why it failed
   * @param message the whole explanation, naming the image, for a person
   */
  public SignatureRefusedException(String requirement, Reason reason, String message) {
    super(message);
    this.requirement = requirement;
    this.reason = reason;
  }

  /**
   * The requirement that failed.
   *
   * @return its type in the policy ({@code signedBy}, {@code sigstoreSigned}, {@code reject})
   */
  public String requirement() {
    return requirement;
  }

  /**
   * Why it failed.
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }
}
