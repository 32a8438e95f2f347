package io.layerstore.store;

import io.layerstore.ImageId;
import io.layerstore.format.ImageConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One image to save, as the caller named it: by tag (the tag, familiar form, lands in the archive)
 * or by id (tag null).
 *
 * @param id the image
 * @param config its config
 * @param tag the tag it was named by, or null
 */
public record SaveRequest(ImageId id, ImageConfig config, String tag) {

  /**
   * An image as an archive holds it: once, with every tag it was named by.
   *
   * @param id the image
   * @param config its config
   * @param tags its tags in the order named, without repeats; empty when named by id only
   */
  record Image(ImageId id, ImageConfig config, List<String> tags) {}

  /**
   * Merges requests for the same image (several tags), keeping the position of its first request,
   * as {@code docker save} does.
   */
  static List<Image> merge(List<SaveRequest> requests) {
    Map<ImageId, List<String>> tags = new LinkedHashMap<>();
    Map<ImageId, ImageConfig> configs = new HashMap<>();
    for (SaveRequest r : requests) {
      List<String> t = tags.computeIfAbsent(r.id(), k -> new ArrayList<>());
      configs.put(r.id(), r.config());
      if (r.tag() != null && !t.contains(r.tag())) {
        t.add(r.tag());
      }
    }
    List<Image> out = new ArrayList<>();
    tags.forEach((id, t) -> out.add(new Image(id, configs.get(id), List.copyOf(t))));
    return out;
  }
}
