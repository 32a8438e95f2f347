package io.layerstore;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Everything the store knows about one image ({@code layerstore inspect}).
 *
 * @param id the image id (sha256 of {@link #config()})
 * @param repoTags familiar {@code name:tag} references, sorted
 * @param parent the parent image id from the metadata, or null
 * @param created creation time from the config, or null
 * @param lastTagTime when it was last tagged, or null
 * @param architecture from the config
 * @param os from the config
 * @param size sum of the layers' sizes
 * @param diffIds the config's diff ids, base first
 * @param chainIds the chain ids of the layers, base first
 * @param driverData the driver's facts about the top layer (LowerDir, UpperDir, ...)
 * @param config the config bytes exactly as stored
 */
public record Image(
    ImageId id,
    List<String> repoTags,
    ImageId parent,
    Instant created,
    Instant lastTagTime,
    String architecture,
    String os,
    long size,
    List<DiffId> diffIds,
    List<ChainId> chainIds,
    Map<String, String> driverData,
    byte[] config) {
  /**
   * Copies every collection and the config bytes, so the record cannot change after it is made.
   *
   * @param id the image id (sha256 of {@link #config()})
   * @param repoTags familiar {@code name:tag} references, sorted
   * @param parent the parent image id from the metadata, or null
   * @param created creation time from the config, or null
   * @param lastTagTime when it was last tagged, or null
   * @param architecture from the config
   * @param os from the config
   * @param size sum of the layers' sizes
   * @param diffIds the config's diff ids, base first
   * @param chainIds the chain ids of the layers, base first
   * @param driverData the driver's facts about the top layer (LowerDir, UpperDir, ...)
   * @param config the config bytes exactly as stored
   * @throws NullPointerException if a list, the map or the config is null, or holds a null
   */
  public Image {
    repoTags = List.copyOf(repoTags);
    diffIds = List.copyOf(diffIds);
    chainIds = List.copyOf(chainIds);
    driverData = Map.copyOf(driverData);
    config = config.clone();
  }

  /**
   * The config bytes exactly as stored, hashed to {@link #id()}.
   *
   * @return a fresh copy on every call; changing it changes nothing here
   */
  @Override
  public byte[] config() {
    return config.clone();
  }

  /**
   * Two images are equal when every component is, the config compared by content (a record's own
   * equality would compare the arrays by identity, so equal images would differ).
   *
   * @param o the other object
   * @return whether {@code o} is an image with equal components and config bytes
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof Image i
        && id.equals(i.id)
        && repoTags.equals(i.repoTags)
        && java.util.Objects.equals(parent, i.parent)
        && java.util.Objects.equals(created, i.created)
        && java.util.Objects.equals(lastTagTime, i.lastTagTime)
        && java.util.Objects.equals(architecture, i.architecture)
        && java.util.Objects.equals(os, i.os)
        && size == i.size
        && diffIds.equals(i.diffIds)
        && chainIds.equals(i.chainIds)
        && driverData.equals(i.driverData)
        && java.util.Arrays.equals(config, i.config);
  }

  /**
   * A hash consistent with {@link #equals}.
   *
   * @return the hash of the components, the config by content
   */
  @Override
  public int hashCode() {
    return 31
            * java.util.Objects.hash(
                id,
                repoTags,
                parent,
                created,
                lastTagTime,
                architecture,
                os,
                size,
                diffIds,
                chainIds,
                driverData)
        + java.util.Arrays.hashCode(config);
  }
}
