package io.layerstore;

import java.util.List;

/**
 * One image a {@code docker save} archive brought into the store ({@link LayerStore#loadDetailed}).
 *
 * @param id the image
 * @param tags the tags the archive gave it, in familiar form ({@code name:tag})
 */
public record LoadedImage(ImageId id, List<String> tags) {
  /**
   * Copies the tags, so the record cannot change after it is made.
   *
   * @param id the image
   * @param tags the tags the archive gave it, in familiar form ({@code name:tag})
   */
  public LoadedImage {
    tags = List.copyOf(tags);
  }
}
