package io.layerstore.trust;

import io.layerstore.LayerStoreException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Date;
import java.util.Iterator;
import org.bouncycastle.bcpg.BCPGOutputStream;
import org.bouncycastle.bcpg.CompressionAlgorithmTags;
import org.bouncycastle.bcpg.HashAlgorithmTags;
import org.bouncycastle.bcpg.sig.KeyFlags;
import org.bouncycastle.openpgp.PGPCompressedDataGenerator;
import org.bouncycastle.openpgp.PGPException;
import org.bouncycastle.openpgp.PGPLiteralData;
import org.bouncycastle.openpgp.PGPLiteralDataGenerator;
import org.bouncycastle.openpgp.PGPPrivateKey;
import org.bouncycastle.openpgp.PGPPublicKey;
import org.bouncycastle.openpgp.PGPSecretKey;
import org.bouncycastle.openpgp.PGPSecretKeyRing;
import org.bouncycastle.openpgp.PGPSecretKeyRingCollection;
import org.bouncycastle.openpgp.PGPSignature;
import org.bouncycastle.openpgp.PGPSignatureGenerator;
import org.bouncycastle.openpgp.PGPSignatureSubpacketGenerator;
import org.bouncycastle.openpgp.PGPUtil;
import org.bouncycastle.openpgp.operator.bc.BcKeyFingerprintCalculator;
import org.bouncycastle.openpgp.operator.bc.BcPBESecretKeyDecryptorBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPContentSignerBuilder;
import org.bouncycastle.openpgp.operator.bc.BcPGPDigestCalculatorProvider;

/**
 * Makes what {@code gpg --sign} makes of a payload: a compressed OpenPGP message holding a one-pass
 * signature, the literal data and the signature (SHA-256), with the key from an armored secret key
 * export.
 */
final class PgpSigner {

  private final PGPPublicKey publicKey;
  private final PGPPrivateKey privateKey;

  private PgpSigner(PGPPublicKey publicKey, PGPPrivateKey privateKey) {
    this.publicKey = publicKey;
    this.privateKey = privateKey;
  }

  /**
   * Unlocks the signing key of an armored secret key export.
   *
   * @param what the file, for messages
   * @throws LayerStoreException when there is no signing key or the passphrase is wrong
   */
  static PgpSigner fromArmoredSecretKey(byte[] armored, char[] passphrase, String what)
      throws LayerStoreException {
    PGPSecretKeyRingCollection rings;
    try (InputStream in = PGPUtil.getDecoderStream(new ByteArrayInputStream(armored))) {
      rings = new PGPSecretKeyRingCollection(in, new BcKeyFingerprintCalculator());
    } catch (IOException | PGPException | RuntimeException e) {
      throw new LayerStoreException(
          what
              + " is not an OpenPGP secret key export (gpg --armor --export-secret-keys): "
              + PgpKeyring.describe(e),
          e);
    }
    Iterator<PGPSecretKeyRing> it = rings.getKeyRings();
    if (!it.hasNext()) {
      throw new LayerStoreException(what + " holds no OpenPGP secret key");
    }
    PGPSecretKey key = signingKey(it.next());
    if (key == null) {
      throw new LayerStoreException(what + " holds no secret key that may sign");
    }
    if (key.isPrivateKeyEmpty()) {
      throw new LayerStoreException(
          what
              + ": the secret part of key "
              + PgpKeyring.fingerprint(key.getPublicKey())
              + " is not in the export (a stub, as for a key on a smartcard)");
    }
    try {
      PGPPrivateKey priv =
          key.extractPrivateKey(
              new BcPBESecretKeyDecryptorBuilder(new BcPGPDigestCalculatorProvider())
                  .build(passphrase));
      return new PgpSigner(key.getPublicKey(), priv);
    } catch (PGPException e) {
      throw new LayerStoreException(
          "cannot unlock key "
              + PgpKeyring.fingerprint(key.getPublicKey())
              + " of "
              + what
              + " (wrong passphrase?): "
              + PgpKeyring.describe(e),
          e);
    }
  }

  /** The primary key if it may sign, else the first subkey that may; null if none. */
  private static PGPSecretKey signingKey(PGPSecretKeyRing ring) {
    for (Iterator<PGPSecretKey> keys = ring.getSecretKeys(); keys.hasNext(); ) {
      PGPSecretKey k = keys.next();
      if (k.isSigningKey() && maySign(k.getPublicKey()) && !k.getPublicKey().hasRevocation()) {
        return k;
      }
    }
    return null;
  }

  /** The key flags of the self-signature or binding, when it has them, must allow signing. */
  private static boolean maySign(PGPPublicKey key) {
    int type =
        key.isMasterKey() ? PGPSignature.POSITIVE_CERTIFICATION : PGPSignature.SUBKEY_BINDING;
    for (int t : new int[] {type, PGPSignature.DIRECT_KEY}) {
      for (Iterator<PGPSignature> sigs = key.getSignaturesOfType(t); sigs.hasNext(); ) {
        PGPSignature s = sigs.next();
        if (s.hasSubpackets() && s.getHashedSubPackets().getKeyFlags() != 0) {
          return (s.getHashedSubPackets().getKeyFlags() & KeyFlags.SIGN_DATA) != 0;
        }
      }
    }
    return true;
  }

  String fingerprint() {
    return PgpKeyring.fingerprint(publicKey);
  }

  byte[] sign(byte[] payload) throws LayerStoreException {
    try {
      PGPSignatureGenerator gen =
          new PGPSignatureGenerator(
              new BcPGPContentSignerBuilder(publicKey.getAlgorithm(), HashAlgorithmTags.SHA256),
              publicKey);
      gen.init(PGPSignature.BINARY_DOCUMENT, privateKey);
      Date now = new Date();
      PGPSignatureSubpacketGenerator hashed = new PGPSignatureSubpacketGenerator();
      hashed.setSignatureCreationTime(false, now);
      hashed.setIssuerFingerprint(false, publicKey);
      hashed.setIssuerKeyID(false, publicKey.getKeyID());
      gen.setHashedSubpackets(hashed.generate());

      ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length + 512);
      PGPCompressedDataGenerator compressed =
          new PGPCompressedDataGenerator(CompressionAlgorithmTags.ZIP);
      try (BCPGOutputStream bcpg = new BCPGOutputStream(compressed.open(out))) {
        gen.generateOnePassVersion(false).encode(bcpg);
        PGPLiteralDataGenerator literal = new PGPLiteralDataGenerator();
        try (OutputStream data =
            literal.open(bcpg, PGPLiteralData.BINARY, "", payload.length, now)) {
          data.write(payload);
        }
        gen.update(payload);
        gen.generate().encode(bcpg);
      }
      compressed.close();
      return out.toByteArray();
    } catch (IOException | PGPException e) {
      throw new LayerStoreException(
          "cannot sign with OpenPGP key " + fingerprint() + ": " + PgpKeyring.describe(e), e);
    }
  }
}
