package io.layerstore;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * How {@link LayerStore#push(String, PushOptions)} pushes: the compression of layers it must
 * compress itself (those without a recorded blob for the registry), and who hears the progress.
 * Immutable: each method returns new options.
 *
 * <pre>{@code
 * store.push("registry.example:5000/app:1", PushOptions.defaults().listener(l));
 * store.push("registry.example:5000/app:1", PushOptions.defaults().signBy(SignBy.openPgp(key, pw)));
 * }</pre>
 *
 * With {@link #signBy(SignBy)}, the pushed manifest is signed once the registry has it.
 */
public final class PushOptions {

  /** How a layer is compressed for the registry. */
  public enum LayerCompression {
    /**
     * gzip, level 6, compressed in parallel and deterministically: a Docker schema 2 manifest with
     * {@code application/vnd.docker.image.rootfs.diff.tar.gzip} layers, as {@code docker push}.
     */
    GZIP,
    /**
     * zstd, level 3: an OCI manifest with {@code application/vnd.oci.image.layer.v1.tar+zstd}
     * layers (Docker's schema 2 has no zstd layer type that every client reads).
     */
    ZSTD
  }

  private final LayerCompression compression;
  private final TransferListener listener;
  private final SignBy signBy;
  private final Path registriesD;

  private PushOptions(
      LayerCompression compression, TransferListener listener, SignBy signBy, Path registriesD) {
    this.compression = compression;
    this.listener = listener;
    this.signBy = signBy;
    this.registriesD = registriesD;
  }

  /**
   * gzip layers, no listener.
   *
   * @return the default options
   */
  public static PushOptions defaults() {
    return new PushOptions(LayerCompression.GZIP, TransferListener.NONE, null, null);
  }

  /**
   * Compresses the layers that have no recorded blob with {@code compression}.
   *
   * @param compression gzip or zstd
   * @return new options
   * @throws NullPointerException if {@code compression} is null
   */
  public PushOptions compression(LayerCompression compression) {
    return new PushOptions(
        Objects.requireNonNull(compression, "compression"), listener, signBy, registriesD);
  }

  /**
   * Who hears each layer's progress.
   *
   * @param listener the listener, called from several threads
   * @return new options
   * @throws NullPointerException if {@code listener} is null
   */
  public PushOptions listener(TransferListener listener) {
    return new PushOptions(
        compression, Objects.requireNonNull(listener, "listener"), signBy, registriesD);
  }

  /**
   * Signs the pushed manifest, under the name pushed, as {@code skopeo copy --sign-by} (OpenPGP:
   * the signature goes to the lookaside registries.d names, its staging one if set) or {@code
   * cosign sign --key} (sigstore: attached to the repository as {@code sha256-<hex>.sig}, after the
   * signatures already there) do.
   *
   * @param signBy the key and the kind of signature
   * @return new options
   * @throws NullPointerException if {@code signBy} is null
   */
  public PushOptions signBy(SignBy signBy) {
    return new PushOptions(
        compression, listener, Objects.requireNonNull(signBy, "signBy"), registriesD);
  }

  /**
   * The registries.d directory that says where OpenPGP signatures are written, instead of the
   * user's ({@link TrustPolicy#defaults()}).
   *
   * @param registriesD the directory
   * @return new options
   * @throws NullPointerException if {@code registriesD} is null
   */
  public PushOptions registriesD(Path registriesD) {
    return new PushOptions(
        compression, listener, signBy, Objects.requireNonNull(registriesD, "registriesD"));
  }

  /**
   * The signing key.
   *
   * @return the key, or empty when the push does not sign (the default)
   */
  public Optional<SignBy> signBy() {
    return Optional.ofNullable(signBy);
  }

  /**
   * The registries.d directory for signature storage.
   *
   * @return the one given, else the user's as {@link TrustPolicy#defaults()} finds it
   */
  public Path registriesD() {
    return registriesD != null ? registriesD : TrustPolicy.defaults().registriesDir();
  }

  /**
   * The compression of newly compressed layers.
   *
   * @return {@link LayerCompression#GZIP} by default
   */
  public LayerCompression compression() {
    return compression;
  }

  /**
   * The progress listener.
   *
   * @return the listener, {@link TransferListener#NONE} by default
   */
  public TransferListener listener() {
    return listener;
  }

  /**
   * The options, for logs.
   *
   * @return such as {@code PushOptions[GZIP]}
   */
  @Override
  public String toString() {
    return "PushOptions[" + compression + (signBy == null ? "" : ", " + signBy) + "]";
  }
}
