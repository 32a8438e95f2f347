package io.layerstore;

import java.util.List;

/**
 * The multi-platform index a reference stands for, kept when a load took every platform ({@link
 * LoadOptions#allPlatforms()}); {@link LayerStore#platformIndex} returns it.
 *
 * @param digest the index's digest, of its bytes as they came (kept byte for byte)
 * @param mediaType the OCI image index or the Docker manifest list
 * @param platforms each entry's {@code os/architecture[/variant]}, in the index's order ({@code
 *     unknown} for an entry without a platform)
 */
public record PlatformIndex(Digest digest, String mediaType, List<String> platforms) {
  /**
   * Copies the list.
   *
   * @param digest the index's digest
   * @param mediaType its media type
   * @param platforms its entries' platforms
   */
  public PlatformIndex {
    platforms = List.copyOf(platforms);
  }
}
