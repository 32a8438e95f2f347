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
 * ranking, the host's platform by default. With a {@link #policy(TrustPolicy) policy}, the
 * manifest's signatures are checked before anything is stored.
 */
public final class PullOptions {

  private final LoadOptions platforms;
  private final TransferListener listener;
  private final TrustPolicy policy;

  private PullOptions(LoadOptions platforms, TransferListener listener, TrustPolicy policy) {
    this.platforms = platforms;
    this.listener = listener;
    this.policy = policy;
  }

  /**
   * The host's platform, no listener.
   *
   * @return the default options
   */
  public static PullOptions defaults() {
    return new PullOptions(LoadOptions.defaults(), TransferListener.NONE, null);
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
    return new PullOptions(platforms.platform(platform), listener, policy);
  }

  /**
   * Pulls every platform of an index; the reference tags the host's (or the asked platform's)
   * image, and the store keeps the index the reference stands for.
   *
   * @return new options
   */
  public PullOptions allPlatforms() {
    return new PullOptions(platforms.allPlatforms(), listener, policy);
  }

  /**
   * Who hears each layer's progress.
   *
   * @param listener the listener, called from several threads
   * @return new options
   * @throws NullPointerException if {@code listener} is null
   */
  public PullOptions listener(TransferListener listener) {
    return new PullOptions(platforms, Objects.requireNonNull(listener, "listener"), policy);
  }

  /**
   * Checks the image against a trust policy, as podman and skopeo do: after the manifest (or index)
   * the reference names is fetched, and before any layer is, the policy's requirements for the
   * image must be met by signatures of exactly those manifest bytes. A refusal ({@link
   * SignatureRefusedException}) stores nothing.
   *
   * @param policy the policy and registries.d to check against
   * @return new options
   * @throws NullPointerException if {@code policy} is null
   */
  public PullOptions policy(TrustPolicy policy) {
    return new PullOptions(platforms, listener, Objects.requireNonNull(policy, "policy"));
  }

  /**
   * The trust policy checked.
   *
   * @return the policy, or empty when signatures are not checked (the default)
   */
  public Optional<TrustPolicy> policy() {
    return Optional.ofNullable(policy);
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
    String base = "PullOptions[" + platforms.toString().replaceFirst("^LoadOptions\\[", "");
    return policy == null ? base : base.substring(0, base.length() - 1) + ", " + policy + "]";
  }
}
