package io.layerstore.trust;

import io.layerstore.Digest;
import io.layerstore.LayerStoreException;
import io.layerstore.Reference;
import io.layerstore.SignBy;
import java.security.PrivateKey;
import java.util.Arrays;

/**
 * Signs manifests with the key of a {@link SignBy}: an OpenPGP simple signature, or a sigstore
 * signature, each over a payload naming the image and the manifest digest, as skopeo and cosign
 * make them. The key is read and unlocked once, when the signer is made.
 */
public final class ImageSigner {

  private final SignBy.Kind kind;
  private final PgpSigner pgp;
  private final PrivateKey sigstoreKey;

  private ImageSigner(SignBy.Kind kind, PgpSigner pgp, PrivateKey sigstoreKey) {
    this.kind = kind;
    this.pgp = pgp;
    this.sigstoreKey = sigstoreKey;
  }

  /**
   * Reads and unlocks the key.
   *
   * @param by the key and its passphrase
   * @return a signer
   * @throws LayerStoreException when the key cannot be read or unlocked, naming the file and why
   */
  public static ImageSigner load(SignBy by) throws LayerStoreException {
    String what = "signing key " + by.keyFile();
    byte[] data = TrustFiles.read(by.keyFile(), "signing key");
    char[] pass = by.passphrase();
    try {
      return switch (by.kind()) {
        case OPENPGP ->
            new ImageSigner(by.kind(), PgpSigner.fromArmoredSecretKey(data, pass, what), null);
        case SIGSTORE ->
            new ImageSigner(by.kind(), null, SigstoreKeys.privateKey(data, pass, what));
      };
    } finally {
      Arrays.fill(pass, '\0');
      Arrays.fill(data, (byte) 0);
    }
  }

  /**
   * The signature format this signer makes.
   *
   * @return OpenPGP or sigstore
   */
  public SignBy.Kind kind() {
    return kind;
  }

  /**
   * An OpenPGP simple signature.
   *
   * @param identity the name the signature vouches for (the reference pushed)
   * @param manifestDigest the manifest pushed
   * @return the OpenPGP signed message, as skopeo writes {@code signature-N}
   * @throws LayerStoreException when this is not an OpenPGP signer, or signing fails
   */
  public byte[] simpleSignature(Reference identity, Digest manifestDigest)
      throws LayerStoreException {
    if (pgp == null) {
      throw new LayerStoreException("this signer holds a sigstore key, not an OpenPGP key");
    }
    return pgp.sign(payload(SignaturePayload.SIMPLE_SIGNING, identity, manifestDigest));
  }

  /**
   * A sigstore signature.
   *
   * @param identity the name the signature vouches for (the reference pushed)
   * @param manifestDigest the manifest pushed
   * @return the payload and its base64 signature, for a layer of the {@code .sig} image
   * @throws LayerStoreException when this is not a sigstore signer, or signing fails
   */
  public SigstoreSignature sigstoreSignature(Reference identity, Digest manifestDigest)
      throws LayerStoreException {
    if (sigstoreKey == null) {
      throw new LayerStoreException("this signer holds an OpenPGP key, not a sigstore key");
    }
    byte[] payload = payload(SignaturePayload.SIGSTORE, identity, manifestDigest);
    return new SigstoreSignature(payload, SigstoreCrypto.sign(sigstoreKey, payload));
  }

  /** skopeo signs the destination's full name with its tag ({@code registry/repo:tag}). */
  private static byte[] payload(String type, Reference identity, Digest manifestDigest) {
    return SignaturePayload.ours(type, DockerNames.full(identity.withDefaultTag()), manifestDigest)
        .toJson();
  }
}
