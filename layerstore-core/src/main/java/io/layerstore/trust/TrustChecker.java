package io.layerstore.trust;

import io.layerstore.Digest;
import io.layerstore.LayerStoreException;
import io.layerstore.Reference;
import io.layerstore.SignatureRefusedException;
import io.layerstore.SignatureRefusedException.Reason;
import io.layerstore.TrustPolicy;
import io.layerstore.Verification;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a {@link TrustPolicy} to an image, as containers/image's {@code
 * PolicyContext.IsRunningImageAllowed} does: every requirement of the most specific scope must be
 * satisfied, by a signature for exactly these manifest bytes. The policy and registries.d are read
 * once, when the checker is made.
 */
public final class TrustChecker {

  private static final Logger LOG = LoggerFactory.getLogger(TrustChecker.class);

  /**
   * Reads an image's sigstore attachments (the {@code sha256-<hex>.sig} image) from its registry.
   */
  @FunctionalInterface
  public interface SigstoreAttachments {
    /**
     * The signatures attached to a manifest.
     *
     * @param manifestDigest the signed manifest
     * @return its signatures; empty when there is no attachment
     * @throws IOException when the registry cannot be read
     */
    List<SigstoreSignature> read(Digest manifestDigest) throws IOException;
  }

  private final Policy policy;
  private final SignatureStorage storage;

  private TrustChecker(Policy policy, SignatureStorage storage) {
    this.policy = policy;
    this.storage = storage;
  }

  /**
   * Reads a policy and its registries.d.
   *
   * @param trust the files
   * @return a checker
   * @throws LayerStoreException naming the file and what is wrong in it
   */
  public static TrustChecker load(TrustPolicy trust) throws LayerStoreException {
    return new TrustChecker(
        Policy.load(trust.policyFile()), SignatureStorage.load(trust.registriesDir()));
  }

  /**
   * Checks an image.
   *
   * @param ref the reference the image was asked for (its tag or digest is what signatures must
   *     name)
   * @param manifest the manifest bytes as the registry served them (an index, when the reference
   *     names one)
   * @param attachments reads sigstore attachments when registries.d turns them on
   * @return what was accepted
   * @throws SignatureRefusedException when a requirement is not satisfied
   * @throws IOException when keys or signatures cannot be read
   */
  public Verification check(Reference ref, byte[] manifest, SigstoreAttachments attachments)
      throws IOException {
    Reference intended = DockerNames.intended(ref);
    Digest digest = Digest.of(manifest);
    String image = DockerNames.full(intended);
    if (ref.digest() != null && !ref.digest().equals(digest)) {
      throw new SignatureRefusedException(
          "manifest",
          Reason.DIGEST_MISMATCH,
          "image "
              + image
              + ": the manifest checked hashes to "
              + digest
              + ", not the digest asked for");
    }
    Policy.Applicable applicable = policy.forDocker(intended);
    Candidate candidate = new Candidate(intended, digest, supply(intended, digest, attachments));
    List<Verification.Acceptance> accepted = new ArrayList<>();
    for (Requirement r : applicable.requirements()) {
      try {
        accepted.add(r.check(candidate));
      } catch (Refusal refusal) {
        throw new SignatureRefusedException(
            r.type(),
            refusal.reason(),
            "image "
                + image
                + " (manifest "
                + digest
                + ") is refused by requirement "
                + r.type()
                + " of "
                + applicable.scope()
                + " in "
                + policy.source()
                + ": "
                + refusal.getMessage());
      }
    }
    LOG.debug("{} ({}) accepted by {}: {}", image, digest, applicable.scope(), accepted);
    return new Verification(image, digest, applicable.scope(), accepted);
  }

  /** Signatures are fetched at most once each, and only when a requirement asks. */
  private Candidate.Supply supply(Reference ref, Digest digest, SigstoreAttachments attachments) {
    return new Candidate.Supply() {
      private List<byte[]> simple;
      private List<SigstoreSignature> sigstore;

      @Override
      public List<byte[]> simpleSignatures() throws IOException {
        if (simple == null) {
          simple = storage.readSimpleSignatures(ref, digest);
        }
        return simple;
      }

      @Override
      public List<SigstoreSignature> sigstoreSignatures() throws IOException {
        if (sigstore == null) {
          List<SigstoreSignature> read =
              storage.useSigstoreAttachments(ref) ? attachments.read(digest) : List.of();
          if (read.size() > Limits.MAX_SIGNATURES) {
            throw new LayerStoreException(
                "image "
                    + DockerNames.full(ref)
                    + " has "
                    + read.size()
                    + " sigstore signatures, more than "
                    + Limits.MAX_SIGNATURES);
          }
          sigstore = read;
        }
        return sigstore;
      }
    };
  }
}
