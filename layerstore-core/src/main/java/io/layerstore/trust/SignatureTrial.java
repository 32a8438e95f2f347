package io.layerstore.trust;

import io.layerstore.InvalidReferenceException;
import io.layerstore.Reference;
import io.layerstore.SignatureRefusedException.Reason;
import io.layerstore.Verification;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Tries a requirement's signatures in turn: the first one accepted satisfies it; when none is, the
 * refusal reports the most telling failure (one that got furthest: a trusted signature for another
 * image says more than a signature by an unknown key) and lists them all.
 */
final class SignatureTrial {

  /** What one signature proved once its cryptography held: who made it, and what it says. */
  record Proven(String signer, SignaturePayload payload) {}

  @FunctionalInterface
  interface Check<T> {
    Proven prove(T signature) throws Refusal;
  }

  private static final List<Reason> RANK =
      List.of(
          Reason.WRONG_KEY,
          Reason.INVALID_SIGNATURE,
          Reason.EXPIRED,
          Reason.REVOKED,
          Reason.DIGEST_MISMATCH,
          Reason.IDENTITY_MISMATCH);

  private SignatureTrial() {}

  static <T> Verification.Acceptance acceptFirst(
      String requirement, List<T> signatures, Check<T> check, Candidate c, IdentityRule rule)
      throws Refusal {
    if (signatures.isEmpty()) {
      throw new Refusal(Reason.NO_SIGNATURE, "a signature is required, but the image has none");
    }
    List<Refusal> failures = new ArrayList<>();
    for (T sig : signatures) {
      try {
        Proven p = check.prove(sig);
        checkClaims(p.payload(), c, rule);
        return new Verification.Acceptance(requirement, p.signer(), p.payload().dockerReference());
      } catch (Refusal r) {
        failures.add(r);
      }
    }
    Refusal strongest =
        failures.stream().max(Comparator.comparingInt(r -> RANK.indexOf(r.reason()))).orElseThrow();
    if (failures.size() == 1) {
      throw strongest;
    }
    StringBuilder all = new StringBuilder(strongest.getMessage());
    all.append(" (none of the ").append(failures.size()).append(" signatures is accepted:");
    for (int i = 0; i < failures.size(); i++) {
      all.append(" [").append(i + 1).append("] ").append(failures.get(i).getMessage());
    }
    throw new Refusal(strongest.reason(), all.append(')').toString());
  }

  /** As containers/image: the signed identity, then the signed manifest digest. */
  private static void checkClaims(SignaturePayload p, Candidate c, IdentityRule rule)
      throws Refusal {
    Reference signed;
    try {
      signed = Reference.parse(p.dockerReference());
    } catch (InvalidReferenceException e) {
      throw new Refusal(
          Reason.IDENTITY_MISMATCH,
          "the signed identity \"" + p.dockerReference() + "\" is not a valid reference",
          e);
    }
    if (!rule.matches(c.intended(), signed)) {
      throw new Refusal(
          Reason.IDENTITY_MISMATCH,
          "the signature is for \""
              + p.dockerReference()
              + "\", which does not match "
              + DockerNames.full(c.intended())
              + " under signedIdentity "
              + rule.describe());
    }
    if (!p.manifestDigest().equals(c.manifestDigest())) {
      throw new Refusal(
          Reason.DIGEST_MISMATCH,
          "the signature is for manifest "
              + p.manifestDigest()
              + ", but the manifest is "
              + c.manifestDigest());
    }
  }
}
