package io.layerstore.trust;

import io.layerstore.LayerStoreException;
import io.layerstore.SignatureRefusedException.Reason;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.util.Base64;

/**
 * The signature algorithms cosign and containers/image use for a key: ECDSA with SHA-256 (ASN.1 DER
 * signatures), RSA PKCS#1 v1.5 with SHA-256, and pure Ed25519 over the payload.
 */
final class SigstoreCrypto {

  private SigstoreCrypto() {}

  private static Signature engine(Key key) throws GeneralSecurityException {
    return switch (key.getAlgorithm()) {
      case "EC", "ECDSA" -> Signature.getInstance("SHA256withECDSA");
      case "RSA" -> Signature.getInstance("SHA256withRSA");
      case "Ed25519", "EdDSA" -> Signature.getInstance("Ed25519");
      default ->
          throw new GeneralSecurityException(
              "unsupported key algorithm " + key.getAlgorithm() + " (ECDSA, RSA or Ed25519)");
    };
  }

  /**
   * The base64 signature cosign puts in the {@code dev.cosignproject.cosign/signature} annotation.
   */
  static String sign(PrivateKey key, byte[] payload) throws LayerStoreException {
    try {
      Signature s = engine(key);
      s.initSign(key);
      s.update(payload);
      return Base64.getEncoder().encodeToString(s.sign());
    } catch (GeneralSecurityException e) {
      throw new LayerStoreException("cannot make a sigstore signature: " + e.getMessage(), e);
    }
  }

  static void verify(PublicKey key, byte[] payload, String base64Signature) throws Refusal {
    if (base64Signature.length() > Limits.MAX_SIGNATURE_BYTES) {
      throw new Refusal(Reason.INVALID_SIGNATURE, "the sigstore signature annotation is too large");
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(base64Signature.strip());
    } catch (IllegalArgumentException e) {
      throw new Refusal(Reason.INVALID_SIGNATURE, "the sigstore signature is not base64", e);
    }
    boolean ok;
    try {
      Signature s = engine(key);
      s.initVerify(key);
      s.update(payload);
      ok = s.verify(raw);
    } catch (GeneralSecurityException | RuntimeException e) {
      // A malformed DER signature is an exception, not a false: both mean "not this key's".
      ok = false;
    }
    if (!ok) {
      throw new Refusal(
          Reason.WRONG_KEY,
          "the sigstore signature does not verify with key "
              + SigstoreKeys.fingerprint(key)
              + " (another key made it, or the payload or signature was changed)");
    }
  }
}
