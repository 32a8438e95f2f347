package io.layerstore;

import java.time.Instant;
import java.util.List;

/**
 * One line of {@code layerstore images}.
 *
 * @param id the image id
 * @param repoTags familiar {@code name:tag} references, sorted; empty for a dangling image
 * @param created creation time from the config, or null
 * @param size sum of the layers' sizes, as {@code docker images} shows
 */
public record ImageSummary(ImageId id, List<String> repoTags, Instant created, long size) {
  /**
   * Copies {@code repoTags}, so the record cannot change after it is made.
   *
   * @param id the image id
   * @param repoTags familiar {@code name:tag} references, sorted; empty for a dangling image
   * @param created creation time from the config, or null
   * @param size sum of the layers' sizes, as {@code docker images} shows
   * @throws NullPointerException if {@code repoTags} is null or holds a null
   */
  public ImageSummary {
    repoTags = List.copyOf(repoTags);
  }
}
