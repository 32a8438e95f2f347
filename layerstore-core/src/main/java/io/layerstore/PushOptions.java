package io.layerstore;

import java.util.Objects;

/**
 * How {@link LayerStore#push(String, PushOptions)} pushes: the compression of layers it must
 * compress itself (those without a recorded blob for the registry), and who hears the progress.
 * Immutable: each method returns new options.
 *
 * <pre>{@code
 * store.push("registry.example:5000/app:1", PushOptions.defaults().listener(l));
 * }</pre>
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

  private PushOptions(LayerCompression compression, TransferListener listener) {
    this.compression = compression;
    this.listener = listener;
  }

  /**
   * gzip layers, no listener.
   *
   * @return the default options
   */
  public static PushOptions defaults() {
    return new PushOptions(LayerCompression.GZIP, TransferListener.NONE);
  }

  /**
   * Compresses the layers that have no recorded blob with {@code compression}.
   *
   * @param compression gzip or zstd
   * @return new options
   * @throws NullPointerException if {@code compression} is null
   */
  public PushOptions compression(LayerCompression compression) {
    return new PushOptions(Objects.requireNonNull(compression, "compression"), listener);
  }

  /**
   * Who hears each layer's progress.
   *
   * @param listener the listener, called from several threads
   * @return new options
   * @throws NullPointerException if {@code listener} is null
   */
  public PushOptions listener(TransferListener listener) {
    return new PushOptions(compression, Objects.requireNonNull(listener, "listener"));
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
    return "PushOptions[" + compression + "]";
  }
}
