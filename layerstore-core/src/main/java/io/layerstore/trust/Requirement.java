package io.layerstore.trust;

import io.layerstore.LayerStoreException;
import io.layerstore.SignatureRefusedException.Reason;
import io.layerstore.Verification;
import java.io.IOException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

/** One requirement of containers-policy.json(5), applied to a candidate image. */
sealed interface Requirement {

  /** The requirement's {@code type}, as the policy writes it. */
  String type();

  /**
   * Whether the candidate satisfies it.
   *
   * @throws Refusal saying why not
   * @throws IOException when its keys or the signatures cannot be read
   */
  Verification.Acceptance check(Candidate c) throws Refusal, IOException;

  /** {@code insecureAcceptAnything}: no check at all. */
  record AcceptAnything() implements Requirement {
    @Override
    public String type() {
      return "insecureAcceptAnything";
    }

    @Override
    public Verification.Acceptance check(Candidate c) {
      return new Verification.Acceptance(type(), null, null);
    }
  }

  /** {@code reject}: nothing is accepted. */
  record Reject() implements Requirement {
    @Override
    public String type() {
      return "reject";
    }

    @Override
    public Verification.Acceptance check(Candidate c) throws Refusal {
      throw new Refusal(Reason.REJECTED, "the policy rejects every image in this scope");
    }
  }

  /**
   * {@code signedBy} with {@code keyType: GPGKeys}: an OpenPGP simple signature by one of the keys,
   * for the manifest, with an acceptable identity.
   */
  record SignedBy(List<KeySource> keys, IdentityRule identity) implements Requirement {
    @Override
    public String type() {
      return "signedBy";
    }

    @Override
    public Verification.Acceptance check(Candidate c) throws Refusal, IOException {
      List<PgpKeyring> rings = new ArrayList<>();
      for (KeySource k : keys) {
        rings.add(PgpKeyring.parse(k.read(), k.describe()));
      }
      PgpKeyring trusted = PgpKeyring.of(rings);
      Date now = new Date();
      return SignatureTrial.acceptFirst(
          type(),
          c.signatures().simpleSignatures(),
          sig -> {
            PgpVerifier.Verified v = PgpVerifier.verify(sig, trusted, now);
            return new SignatureTrial.Proven(
                v.signerFingerprint(),
                SignaturePayload.parse(v.payload(), SignaturePayload.SIMPLE_SIGNING));
          },
          c,
          identity);
    }
  }

  /** {@code sigstoreSigned} with public keys: a sigstore signature by one of them. */
  record SigstoreSigned(List<KeySource> keys, IdentityRule identity) implements Requirement {
    @Override
    public String type() {
      return "sigstoreSigned";
    }

    @Override
    public Verification.Acceptance check(Candidate c) throws Refusal, IOException {
      List<PublicKey> trusted = new ArrayList<>();
      for (KeySource k : keys) {
        trusted.add(SigstoreKeys.publicKey(k.read(), k.describe()));
      }
      return SignatureTrial.acceptFirst(
          type(), c.signatures().sigstoreSignatures(), sig -> prove(trusted, sig), c, identity);
    }

    private static SignatureTrial.Proven prove(List<PublicKey> trusted, SigstoreSignature sig)
        throws Refusal {
      Refusal last = null;
      for (PublicKey key : trusted) {
        try {
          SigstoreCrypto.verify(key, sig.payload(), sig.base64Signature());
          return new SignatureTrial.Proven(
              SigstoreKeys.fingerprint(key),
              SignaturePayload.parse(sig.payload(), SignaturePayload.SIGSTORE));
        } catch (Refusal r) {
          last = r;
        }
      }
      throw last;
    }
  }

  /**
   * A requirement this library recognizes but does not implement (Fulcio or Rekor for sigstore,
   * {@code signedBaseLayer}, other {@code keyType}s): it refuses, saying so, rather than accept
   * what it cannot check.
   */
  record Unsupported(String type, String what) implements Requirement {
    @Override
    public Verification.Acceptance check(Candidate c) throws Refusal {
      throw new Refusal(Reason.UNSUPPORTED, what + " is not supported by layerstore");
    }
  }

  /** A key named by {@code keyPath}/{@code keyPaths} (read at check time) or {@code keyData}. */
  record KeySource(java.nio.file.Path path, byte[] data) {
    byte[] read() throws LayerStoreException {
      return data != null ? data : TrustFiles.read(path, "keyPath");
    }

    String describe() {
      return data != null ? "keyData" : "keyPath " + path;
    }
  }
}
