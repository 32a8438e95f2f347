package io.layerstore.spi;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * What a driver is opened with.
 *
 * @param dataRoot the store root (a Docker data-root); the driver's home is {@code
 *     dataRoot.resolve(name)}
 * @param stateDir a directory for layerstore's own runtime state (mount reference counts, locks),
 *     outside Docker's layout
 * @param platform what core does for the driver on the store's platform (native or emulated file
 *     metadata, kernel mounts, the in-process union)
 * @param options driver options, free-form
 */
public record DriverContext(
    Path dataRoot, Path stateDir, DriverPlatform platform, Map<String, String> options) {
  /**
   * Checks the parts; {@code options} may be null (none), and is copied.
   *
   * @param dataRoot the store root
   * @param stateDir the directory for layerstore's runtime state
   * @param platform what core does for the driver
   * @param options driver options, or null for none
   */
  public DriverContext {
    Objects.requireNonNull(dataRoot, "dataRoot");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(platform, "platform");
    options = options == null ? Map.of() : Map.copyOf(options);
  }
}
