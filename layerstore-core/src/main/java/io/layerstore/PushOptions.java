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
     * gzip, at level 1 unless {@link #gzipLevel(int)} says otherwise, compressed in parallel and
     * deterministically: a Docker schema 2 manifest with {@code
     * application/vnd.docker.image.rootfs.diff.tar.gzip} layers, as {@code docker push}.
     */
    GZIP,
    /**
     * zstd, level 3: an OCI manifest with {@code application/vnd.oci.image.layer.v1.tar+zstd}
     * layers (Docker's schema 2 has no zstd layer type that every client reads).
     */
    ZSTD
  }

  /**
   * The gzip level of every layer blob this library compresses unless told otherwise, on every
   * machine (pushes and the blobs an image build keeps alike): 1, gzip's fastest, as
   * go-containerregistry's; see {@link #gzipLevel(int)} for why.
   */
  public static final int DEFAULT_GZIP_LEVEL = 1;

  private final LayerCompression compression;
  private final TransferListener listener;
  private final SignBy signBy;
  private final Path registriesD;
  private final int gzipLevel;

  private PushOptions(
      LayerCompression compression,
      TransferListener listener,
      SignBy signBy,
      Path registriesD,
      int gzipLevel) {
    this.compression = compression;
    this.listener = listener;
    this.signBy = signBy;
    this.registriesD = registriesD;
    this.gzipLevel = gzipLevel;
  }

  /**
   * gzip layers, no listener.
   *
   * @return the default options
   */
  public static PushOptions defaults() {
    return new PushOptions(
        LayerCompression.GZIP, TransferListener.NONE, null, null, DEFAULT_GZIP_LEVEL);
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
        Objects.requireNonNull(compression, "compression"),
        listener,
        signBy,
        registriesD,
        gzipLevel);
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
        compression, Objects.requireNonNull(listener, "listener"), signBy, registriesD, gzipLevel);
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
        compression, listener, Objects.requireNonNull(signBy, "signBy"), registriesD, gzipLevel);
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
        compression,
        listener,
        signBy,
        Objects.requireNonNull(registriesD, "registriesD"),
        gzipLevel);
  }

  /**
   * The gzip level of layers this push compresses itself (blobs recorded at pull, load or build are
   * pushed as they are).
   *
   * <p>The default, 1 ({@link #DEFAULT_GZIP_LEVEL}), is go-containerregistry's choice (crane, ko):
   * deflate is nearly all of a push's CPU, and level 6 (docker's and Jib's) takes about four times
   * the CPU of level 1 for blobs about 8 % smaller (measured on a 280 MB layer of text and
   * translations), a loss unless the link to the registry is slow. A level is a fixed choice, never
   * a machine's: the same layer at the same level gives the same blob everywhere, so a registry
   * dedupes it.
   *
   * @param level 1 (fastest) to 9 (smallest); 6 is what {@code docker push} uses
   * @return new options
   * @throws IllegalArgumentException if {@code level} is not between 1 and 9
   */
  public PushOptions gzipLevel(int level) {
    if (level < 1 || level > 9) {
      throw new IllegalArgumentException("gzip level " + level + " is not between 1 and 9");
    }
    return new PushOptions(compression, listener, signBy, registriesD, level);
  }

  /**
   * The gzip level of newly compressed gzip layers.
   *
   * @return 1 to 9; {@link #DEFAULT_GZIP_LEVEL} by default
   */
  public int gzipLevel() {
    return gzipLevel;
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
   * @return such as {@code PushOptions[GZIP level 1]}
   */
  @Override
  public String toString() {
    return "PushOptions["
        + compression
        + (compression == LayerCompression.GZIP ? " level " + gzipLevel : "")
        + (signBy == null ? "" : ", " + signBy)
        + "]";
  }
}
