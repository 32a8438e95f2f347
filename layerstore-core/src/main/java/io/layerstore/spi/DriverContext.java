package io.layerstore.spi;

import io.layerstore.platform.Platform;
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
 * @param platform native or emulated file operations and kernel mounts
 * @param options driver options, free-form
 */
public record DriverContext(
    Path dataRoot, Path stateDir, Platform platform, Map<String, String> options) {
  public DriverContext {
    Objects.requireNonNull(dataRoot, "dataRoot");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(platform, "platform");
    options = options == null ? Map.of() : Map.copyOf(options);
  }
}
