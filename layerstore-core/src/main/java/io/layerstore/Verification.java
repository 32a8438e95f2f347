package io.layerstore;

import java.util.List;
import java.util.Objects;

/**
 * What a trust policy accepted for an image: every requirement that applied, and the signature that
 * satisfied it.
 *
 * @param identity the reference checked, in full ({@code registry/repository:tag} or {@code
 *     registry/repository@digest})
 * @param manifestDigest the digest of the manifest bytes the signatures were checked against
 * @param scope the policy scope whose requirements applied ({@code docker} transport scope, or
 *     {@code default})
 * @param accepted one entry per requirement, in the policy's order
 */
public record Verification(
    String identity, Digest manifestDigest, String scope, List<Acceptance> accepted) {

  /**
   * Checks and copies.
   *
   * @param identity the reference checked
   * @param manifestDigest the manifest digest
   * @param scope the policy scope
   * @param accepted the requirements and what satisfied them
   * @throws NullPointerException if any argument is null
   */
  public Verification {
    Objects.requireNonNull(identity, "identity");
    Objects.requireNonNull(manifestDigest, "manifestDigest");
    Objects.requireNonNull(scope, "scope");
    accepted = List.copyOf(accepted);
  }

  /**
   * One requirement of the policy and what satisfied it.
   *
   * @param requirement the requirement, as the policy names it ({@code signedBy}, {@code
   *     sigstoreSigned}, {@code insecureAcceptAnything})
   * @param signer the key that made the accepted signature (an OpenPGP fingerprint, or {@code
   *     sha256:} of a sigstore public key), or {@code null} when the requirement needs no signature
   * @param signedIdentity the {@code docker-reference} the accepted signature names, or {@code
   *     null} when the requirement needs no signature
   */
  public record Acceptance(String requirement, String signer, String signedIdentity) {

    /**
     * Checks.
     *
     * @param requirement the requirement's type
     * @param signer the signing key, or {@code null}
     * @param signedIdentity the signed identity, or {@code null}
     * @throws NullPointerException if {@code requirement} is null
     */
    public Acceptance {
      Objects.requireNonNull(requirement, "requirement");
    }
  }
}
