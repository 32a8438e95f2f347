package io.layerstore.trust;

import io.layerstore.SignatureRefusedException.Reason;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Date;
import org.bouncycastle.openpgp.PGPCompressedData;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPMarker;
import org.bouncycastle.openpgp.PGPOnePassSignature;
import org.bouncycastle.openpgp.PGPOnePassSignatureList;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPPublicKeyRing;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureList;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.bc.BcPGPObjectFactory;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentVerifierBuilderProvider;

/**
 * Checks an OpenPGP signed message, as {@code gpg --sign} makes it (optionally compressed; a
 * one-pass signature, the literal data, the signature), against trusted keys, and gives back the
 * data it carries. Anything else — another packet sequence, a detached signature, encrypted data,
 * several signatures, trailing packets, a truncated or oversized message, an expired or revoked
 * key, an expired signature — is refused with the reason.
 */
final class PgpVerifier {

  /** What a valid signature says. */
  record Verified(String signerFingerprint, byte[] payload) {}

  private PgpVerifier() {}

  static Verified verify(byte[] message, PgpKeyring trusted, Date now) throws Refusal {
    if (message.length > Limits.MAX_SIGNATURE_BYTES) {
      throw invalid(
          "the signature is "
              + message.length
              + " bytes, more than the "
              + Limits.MAX_SIGNATURE_BYTES
              + " allowed");
    }
    try {
      return read(message, trusted, now);
    } catch (EOFException e) {
      throw invalid("the OpenPGP message is truncated", e);
    } catch (IOException | PGPException | RuntimeException e) {
      throw invalid("the signature is not a valid OpenPGP message: " + PgpKeyring.describe(e), e);
    }
  }

  private static Verified read(byte[] message, PgpKeyring trusted, Date now)
      throws IOException, PGPException, Refusal {
    InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(message));
    BcPGPObjectFactory factory = new BcPGPObjectFactory(in);
    Object o = next(factory);
    if (o instanceof PGPCompressedData compressed) {
      // gpg writes the compressed packet with an indeterminate length: it runs to the end of the
      // message, so everything else is inside it, and checked there.
      factory = new BcPGPObjectFactory(compressed.getDataStream());
      o = next(factory);
    }
    if (!(o instanceof PGPOnePassSignatureList onePass)) {
      throw invalid(
          "the OpenPGP message starts with "
              + describe(o)
              + ", not a one-pass signature (a signed message, as gpg --sign makes, is expected)");
    }
    if (onePass.size() != 1) {
      throw invalid("the OpenPGP message has " + onePass.size() + " signatures, not one");
    }
    PGPOnePassSignature ops = onePass.get(0);
    o = next(factory);
    if (!(o instanceof PGPLiteralData literal)) {
      throw invalid("the OpenPGP message has " + describe(o) + " where literal data belongs");
    }
    byte[] payload = readBounded(literal.getInputStream());
    o = next(factory);
    if (o == null) {
      throw invalid("the OpenPGP message ends before its signature (truncated)");
    }
    if (!(o instanceof PGPSignatureList signatures) || signatures.size() != 1) {
      throw invalid("the OpenPGP message has " + describe(o) + " where one signature belongs");
    }
    if (next(factory) != null) {
      throw invalid("the OpenPGP message has packets after its signature");
    }
    PGPSignature sig = signatures.get(0);
    if (sig.getKeyID() != ops.getKeyID()) {
      throw invalid("the one-pass signature and the signature name different keys");
    }
    if (sig.getSignatureType() != PGPSignature.BINARY_DOCUMENT
        && sig.getSignatureType() != PGPSignature.CANONICAL_TEXT_DOCUMENT) {
      throw invalid("the signature is of type " + sig.getSignatureType() + ", not a document's");
    }
    PGPPublicKeyRing ring = trusted.ringOf(sig.getKeyID());
    if (ring == null) {
      throw new Refusal(
          Reason.WRONG_KEY,
          "the signature was made by key ID "
              + PgpKeyring.keyId(sig.getKeyID())
              + ", which this requirement does not trust");
    }
    PGPPublicKey key = ring.getPublicKey(sig.getKeyID());
    PGPPublicKey primary = ring.getPublicKey();
    sig.init(new BcPGPContentVerifierBuilderProvider(), key);
    sig.update(payload);
    if (!sig.verify()) {
      throw invalid(
          "the signature by key "
              + PgpKeyring.fingerprint(primary)
              + " does not verify: the signed data or the signature was changed");
    }
    checkValidity(sig, key, primary, now);
    return new Verified(PgpKeyring.fingerprint(primary), payload);
  }

  /** As gpg: a revoked or expired key (primary or subkey), or an expired signature, is refused. */
  private static void checkValidity(
      PGPSignature sig, PGPPublicKey key, PGPPublicKey primary, Date now) throws Refusal {
    String fpr = PgpKeyring.fingerprint(primary);
    for (PGPPublicKey k :
        key == primary ? new PGPPublicKey[] {key} : new PGPPublicKey[] {primary, key}) {
      if (k.hasRevocation()) {
        throw new Refusal(
            Reason.REVOKED,
            "key "
                + PgpKeyring.fingerprint(k)
                + (k == primary ? "" : " (a subkey of " + fpr + ")")
                + " has been revoked");
      }
      long valid = k.getValidSeconds();
      if (valid > 0 && now.getTime() > k.getCreationTime().getTime() + valid * 1000) {
        throw new Refusal(
            Reason.EXPIRED,
            "key "
                + PgpKeyring.fingerprint(k)
                + " expired on "
                + new Date(k.getCreationTime().getTime() + valid * 1000).toInstant());
      }
    }
    if (sig.hasSubpackets()) {
      long sigValid = sig.getHashedSubPackets().getSignatureExpirationTime();
      if (sigValid > 0 && now.getTime() > sig.getCreationTime().getTime() + sigValid * 1000) {
        throw new Refusal(
            Reason.EXPIRED,
            "the signature by key "
                + fpr
                + " expired on "
                + new Date(sig.getCreationTime().getTime() + sigValid * 1000).toInstant());
      }
    }
  }

  private static Object next(BcPGPObjectFactory factory) throws IOException {
    Object o = factory.nextObject();
    while (o instanceof PGPMarker) {
      o = factory.nextObject();
    }
    return o;
  }

  private static byte[] readBounded(InputStream in) throws IOException, Refusal {
    byte[] data = in.readNBytes(Limits.MAX_SIGNATURE_BYTES + 1);
    if (data.length > Limits.MAX_SIGNATURE_BYTES) {
      throw invalid("the signed data is larger than " + Limits.MAX_SIGNATURE_BYTES + " bytes");
    }
    return data;
  }

  private static String describe(Object o) {
    return o == null ? "nothing" : "a " + o.getClass().getSimpleName() + " packet";
  }

  private static Refusal invalid(String message) {
    return new Refusal(Reason.INVALID_SIGNATURE, message);
  }

  private static Refusal invalid(String message, Throwable cause) {
    return new Refusal(Reason.INVALID_SIGNATURE, message, cause);
  }
}
