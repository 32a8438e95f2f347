package io.layerstore;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * The key a push signs with, and the kind of signature it makes: an OpenPGP simple signature (as
 * {@code skopeo copy --sign-by}; stored in the registry's lookaside, as registries.d says) or a
 * sigstore signature (as {@code cosign sign --key}; stored in the registry as an OCI image tagged
 * {@code sha256-<hex>.sig}).
 *
 * <p>The passphrase is copied in and out; {@link #clearPassphrase()} overwrites the copy held here
 * once the signature is made.
 */
public final class SignBy {

  /** Which signature format a key makes. */
  public enum Kind {
    /**
     * An OpenPGP signed message over a simple-signing payload ({@code atomic container signature}).
     */
    OPENPGP,
    /** A sigstore signature over a cosign payload ({@code cosign container image signature}). */
    SIGSTORE
  }

  private final Kind kind;
  private final Path keyFile;
  private final char[] passphrase;

  private SignBy(Kind kind, Path keyFile, char[] passphrase) {
    this.kind = kind;
    this.keyFile = Objects.requireNonNull(keyFile, "keyFile");
    this.passphrase = passphrase == null ? new char[0] : passphrase.clone();
  }

  /**
   * Signs with an OpenPGP secret key, as {@code gpg --armor --export-secret-keys} writes it. The
   * first key of the file that may sign (the primary key, else a signing subkey) makes the
   * signature.
   *
   * @param armoredSecretKey the armored secret key file
   * @param passphrase the key's passphrase; empty or {@code null} for a key without one
   * @return the signing choice
   * @throws NullPointerException if {@code armoredSecretKey} is null
   */
  public static SignBy openPgp(Path armoredSecretKey, char[] passphrase) {
    return new SignBy(Kind.OPENPGP, armoredSecretKey, passphrase);
  }

  /**
   * Signs with a sigstore private key: PEM PKCS#8 ({@code PRIVATE KEY}), SEC1 ({@code EC PRIVATE
   * KEY}) or PKCS#1 ({@code RSA PRIVATE KEY}), or cosign's encrypted form ({@code ENCRYPTED
   * SIGSTORE PRIVATE KEY}, {@code ENCRYPTED COSIGN PRIVATE KEY}); ECDSA P-256, Ed25519 or RSA.
   *
   * @param pem the private key file
   * @param passphrase the passphrase of an encrypted key; empty or {@code null} for none
   * @return the signing choice
   * @throws NullPointerException if {@code pem} is null
   */
  public static SignBy sigstore(Path pem, char[] passphrase) {
    return new SignBy(Kind.SIGSTORE, pem, passphrase);
  }

  /**
   * The signature format.
   *
   * @return which kind of signature this key makes
   */
  public Kind kind() {
    return kind;
  }

  /**
   * The key file.
   *
   * @return the secret or private key file
   */
  public Path keyFile() {
    return keyFile;
  }

  /**
   * A copy of the passphrase.
   *
   * @return the passphrase, empty for none; the caller should overwrite it after use
   */
  public char[] passphrase() {
    return passphrase.clone();
  }

  /** Overwrites the passphrase held here with zeros. */
  public void clearPassphrase() {
    Arrays.fill(passphrase, '\0');
  }

  @Override
  public String toString() {
    return "SignBy[" + kind + ", " + keyFile + "]";
  }
}
