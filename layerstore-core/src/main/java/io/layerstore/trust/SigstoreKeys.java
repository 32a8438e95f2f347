package io.layerstore.trust;

import io.layerstore.Digest;
import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Arrays;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.pkcs.RSAPrivateKey;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;

/**
 * sigstore keys from PEM. Private: PKCS#8 ({@code PRIVATE KEY}), SEC1 ({@code EC PRIVATE KEY}),
 * PKCS#1 ({@code RSA PRIVATE KEY}) or cosign's encrypted form ({@link CosignEncryptedKey}). Public:
 * {@code PUBLIC KEY} (SubjectPublicKeyInfo), as {@code cosign generate-key-pair} writes {@code
 * cosign.pub}. The keys become JDK keys, so signing and verifying use the JDK's providers.
 */
final class SigstoreKeys {

  private SigstoreKeys() {}

  static PrivateKey privateKey(byte[] pem, char[] passphrase, String what)
      throws LayerStoreException {
    PemObject obj = onePem(pem, what);
    byte[] content = obj.getContent();
    try {
      PrivateKeyInfo info =
          switch (obj.getType()) {
            case "PRIVATE KEY" -> PrivateKeyInfo.getInstance(content);
            case "EC PRIVATE KEY" -> {
              ECPrivateKey ec = ECPrivateKey.getInstance(content);
              yield new PrivateKeyInfo(
                  new AlgorithmIdentifier(
                      X9ObjectIdentifiers.id_ecPublicKey, ec.getParametersObject()),
                  ec);
            }
            case "RSA PRIVATE KEY" ->
                new PrivateKeyInfo(
                    new AlgorithmIdentifier(PKCSObjectIdentifiers.rsaEncryption, DERNull.INSTANCE),
                    RSAPrivateKey.getInstance(content));
            case CosignEncryptedKey.SIGSTORE_TYPE, CosignEncryptedKey.COSIGN_TYPE -> {
              byte[] der = CosignEncryptedKey.decrypt(content, passphrase, what);
              try {
                yield PrivateKeyInfo.getInstance(der);
              } finally {
                Arrays.fill(der, (byte) 0);
              }
            }
            default ->
                throw new LayerStoreException(
                    what
                        + " holds a PEM \""
                        + obj.getType()
                        + "\"; a private key (PRIVATE KEY, EC PRIVATE KEY, RSA PRIVATE KEY or"
                        + " cosign's ENCRYPTED SIGSTORE PRIVATE KEY) was expected");
          };
      return new JcaPEMKeyConverter().getPrivateKey(info);
    } catch (IOException | RuntimeException e) {
      if (e instanceof LayerStoreException l) {
        throw l;
      }
      throw new LayerStoreException(what + " is not a usable private key: " + e.getMessage(), e);
    } finally {
      Arrays.fill(content, (byte) 0);
    }
  }

  static PublicKey publicKey(byte[] pem, String what) throws LayerStoreException {
    PemObject obj = onePem(pem, what);
    if (!obj.getType().equals("PUBLIC KEY")) {
      throw new LayerStoreException(
          what + " holds a PEM \"" + obj.getType() + "\" where a PUBLIC KEY was expected");
    }
    try {
      return new JcaPEMKeyConverter()
          .getPublicKey(SubjectPublicKeyInfo.getInstance(obj.getContent()));
    } catch (IOException | RuntimeException e) {
      throw new LayerStoreException(what + " is not a usable public key: " + e.getMessage(), e);
    }
  }

  /** How a {@link io.layerstore.Verification} names a sigstore key: sha256 of its DER. */
  static String fingerprint(PublicKey key) {
    return Digest.of(key.getEncoded()).toString();
  }

  private static PemObject onePem(byte[] pem, String what) throws LayerStoreException {
    try (PemReader reader =
        new PemReader(new StringReader(new String(pem, StandardCharsets.US_ASCII)))) {
      PemObject obj = reader.readPemObject();
      if (obj == null) {
        throw new LayerStoreException(what + " holds no PEM block");
      }
      return obj;
    } catch (IOException e) {
      if (e instanceof LayerStoreException l) {
        throw l;
      }
      throw new LayerStoreException(what + " is not valid PEM: " + e.getMessage(), e);
    }
  }
}
