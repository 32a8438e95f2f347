package io.layerstore;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code docker info} says about storage, for a store ({@link LayerStore#info()}): the graph
 * driver and its facts, the numbers of images and containers, and the data-root.
 *
 * @param driver the graph driver's name ({@code Storage Driver})
 * @param driverStatus the driver's facts in display order, with Docker's names and values where
 *     Docker has them (overlay2: {@code Backing Filesystem}, {@code Supports d_type}, {@code Native
 *     Overlay Diff}; aufs: {@code Root Dir}, {@code Backing Filesystem}, {@code Dirs}, {@code
 *     Dirperm1 Supported})
 * @param images how many images the store has ({@code Images})
 * @param containers how many containers it has ({@code Containers})
 * @param root the data-root ({@code Docker Root Dir})
 */
public record StoreInfo(
    String driver, Map<String, String> driverStatus, int images, int containers, Path root) {

  /**
   * Copies the driver's facts, keeping their order, so the record cannot change after it is made.
   *
   * @param driver the graph driver's name
   * @param driverStatus the driver's facts in display order
   * @param images how many images
   * @param containers how many containers
   * @param root the data-root
   */
  public StoreInfo {
    driverStatus = Collections.unmodifiableMap(new LinkedHashMap<>(driverStatus));
  }

  /**
   * The lines {@code docker info} prints for these facts, in its order and form: {@code Containers:
   * N}, {@code Images: N}, {@code Storage Driver: NAME} with the driver's facts indented by one
   * space under it, then {@code Docker Root Dir: DIR}.
   *
   * @return the text, one fact a line, each line ending in a newline
   */
  public String format() {
    StringBuilder sb = new StringBuilder();
    sb.append("Containers: ").append(containers).append('\n');
    sb.append("Images: ").append(images).append('\n');
    sb.append("Storage Driver: ").append(driver).append('\n');
    for (Map.Entry<String, String> e : driverStatus.entrySet()) {
      sb.append(' ').append(e.getKey()).append(": ").append(e.getValue()).append('\n');
    }
    sb.append("Docker Root Dir: ").append(root).append('\n');
    return sb.toString();
  }
}
