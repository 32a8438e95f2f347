package io.layerstore;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Which images {@link LayerStore#load(java.nio.file.Path, LoadOptions)} takes from a multi-platform
 * index of an OCI image layout. Immutable: each method returns new options.
 *
 * <pre>{@code
 * store.load(dir, LoadOptions.defaults());                        // the host's platform
 * store.load(dir, LoadOptions.defaults().platform("linux/arm64")); // another one
 * store.load(dir, LoadOptions.defaults().allPlatforms());          // every platform
 * }</pre>
 *
 * Platforms are matched as containerd matches them ({@code linux/arm64} is {@code linux/arm64/v8};
 * {@code linux/arm} is {@code linux/arm/v7}; an {@code amd64} host also takes {@code 386}). A
 * {@code docker save} archive has no index and ignores these options.
 *
 * <p>Equal options are {@link #equals equal}.
 */
public final class LoadOptions {

  private static final Pattern PLATFORM =
      Pattern.compile("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?");

  private final String platform;
  private final boolean allPlatforms;

  private LoadOptions(String platform, boolean allPlatforms) {
    this.platform = platform;
    this.allPlatforms = allPlatforms;
  }

  /**
   * The host's platform only.
   *
   * @return options that take the image for the platform this JVM runs on
   */
  public static LoadOptions defaults() {
    return new LoadOptions(null, false);
  }

  /**
   * Takes {@code platform} instead of the host's: from a multi-platform index, the image for it; an
   * OCI layout's single image must then be for it, or the load is refused (as {@code docker load
   * --platform} refuses it).
   *
   * @param platform {@code os/architecture[/variant]}, such as {@code linux/arm64} or {@code
   *     linux/arm/v7}
   * @return new options
   * @throws IllegalArgumentException if the platform is not of that form
   */
  public LoadOptions platform(String platform) {
    if (platform == null || !PLATFORM.matcher(platform).matches()) {
      throw new IllegalArgumentException(
          "invalid platform \"" + platform + "\": expected os/architecture[/variant]");
    }
    return new LoadOptions(platform, allPlatforms);
  }

  /**
   * Takes every platform of an index: the reference then tags the image for the host (or the {@link
   * #platform(String) platform} asked for), and the store keeps the index the reference stands for.
   *
   * @return new options
   */
  public LoadOptions allPlatforms() {
    return new LoadOptions(platform, true);
  }

  /**
   * The platform asked for.
   *
   * @return {@code os/architecture[/variant]}, or empty for the host's
   */
  public Optional<String> platform() {
    return Optional.ofNullable(platform);
  }

  /**
   * Whether every platform is taken.
   *
   * @return true after {@link #allPlatforms()}
   */
  public boolean isAllPlatforms() {
    return allPlatforms;
  }

  /**
   * Whether {@code o} takes the same images.
   *
   * @param o another object
   * @return true for load options with the same platform and the same all-platforms choice
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof LoadOptions l
        && allPlatforms == l.allPlatforms
        && Objects.equals(platform, l.platform);
  }

  /**
   * A hash consistent with {@link #equals}.
   *
   * @return the hash of the platform and the all-platforms choice
   */
  @Override
  public int hashCode() {
    return Objects.hash(platform, allPlatforms);
  }

  /**
   * The options, for logs.
   *
   * @return such as {@code LoadOptions[platform=linux/arm64, all platforms]}
   */
  @Override
  public String toString() {
    return "LoadOptions[platform="
        + (platform == null ? "host" : platform)
        + (allPlatforms ? ", all platforms" : "")
        + "]";
  }
}
