package io.layerstore;

import java.util.Objects;
import java.util.Optional;

/**
 * How {@link LayerStore#pull(String, PullOptions)} pulls: which platform(s) of a multi-platform
 * image, and who hears the progress. Immutable: each method returns new options.
 *
 * <pre>{@code
 * store.pull("debian:bookworm", PullOptions.defaults());
 * store.pull("debian:bookworm", PullOptions.defaults().platform("linux/arm64").listener(l));
 * }</pre>
 *
 * Platforms are chosen from an index as an OCI layout's are by {@link LoadOptions}: containerd's
 * ranking, the host's platform by default.
 */
public final class PullOptions {

  private final LoadOptions platforms;
  private final TransferListener listener;

  private PullOptions(LoadOptions platforms, TransferListener listener) {
    this.platforms = platforms;
    this.listener = listener;
  }

  /**
   * The host's platform, no listener.
   *
   * @return the default options
   */
  public static PullOptions defaults() {
    return new PullOptions(LoadOptions.defaults(), TransferListener.NONE);
  }

  /**
   * Pulls the image for {@code platform} instead of the host's; a single-platform image must then
   * be for it, or the pull is refused.
   *
   * @param platform {@code os/architecture[/variant]}
   * @return new options
   * @throws IllegalArgumentException if the platform is not of that form
   */
  public PullOptions platform(String platform) {
    return new PullOptions(platforms.platform(platform), listener);
  }

  /**
   * Pulls every platform of an index; the reference tags the host's (or the asked platform's)
   * image, and the store keeps the index the reference stands for.
   *
   * @return new options
   */
  public PullOptions allPlatforms() {
    return new PullOptions(platforms.allPlatforms(), listener);
  }

  /**
   * Who hears each layer's progress.
   *
   * @param listener the listener, called from several threads
   * @return new options
   * @throws NullPointerException if {@code listener} is null
   */
  public PullOptions listener(TransferListener listener) {
    return new PullOptions(platforms, Objects.requireNonNull(listener, "listener"));
  }

  /**
   * The platform asked for.
   *
   * @return {@code os/architecture[/variant]}, or empty for the host's
   */
  public Optional<String> platform() {
    return platforms.platform();
  }

  /**
   * Whether every platform is pulled.
   *
   * @return true after {@link #allPlatforms()}
   */
  public boolean isAllPlatforms() {
    return platforms.isAllPlatforms();
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
   * The platform choice as load options, which select from an index the same way.
   *
   * @return the platform and all-platforms choice
   */
  public LoadOptions platforms() {
    return platforms;
  }

  /**
   * The options, for logs.
   *
   * @return such as {@code PullOptions[platform=host]}
   */
  @Override
  public String toString() {
    return "PullOptions[" + platforms.toString().replaceFirst("^LoadOptions\\[", "");
  }
}
