package io.layerstore.container;

import io.layerstore.ImageId;
import java.time.Instant;
import java.util.List;

/**
 * One container of the store: a read-write layer (and usually an init layer) on top of an image.
 *
 * @param id the container id
 * @param name its unique name
 * @param image the image it was created from
 * @param imageReference the image as the caller named it at creation ({@code fx:multi}, an id)
 * @param created when it was created
 * @param mountId the driver id of its read-write layer ({@code layerdb/mounts/<id>/mount-id})
 * @param initId the driver id of its init layer ({@code <mountId>-init}), or null if it has none
 * @param init what its init layer was made with
 * @param command what it would run: the config's entrypoint then its command
 */
public record Container(
    ContainerId id,
    String name,
    ImageId image,
    String imageReference,
    Instant created,
    String mountId,
    String initId,
    InitFiles init,
    List<String> command) {
  /**
   * Copies {@code command}, so the record cannot change after it is made.
   *
   * @param id the container id
   * @param name its unique name
   * @param image the image it was created from
   * @param imageReference the image as the caller named it at creation ({@code fx:multi}, an id)
   * @param created when it was created
   * @param mountId the driver id of its read-write layer ({@code layerdb/mounts/<id>/mount-id})
   * @param initId the driver id of its init layer ({@code <mountId>-init}), or null if it has none
   * @param init what its init layer was made with
   * @param command what it would run: the config's entrypoint then its command
   * @throws NullPointerException if {@code command} is null or holds a null
   */
  public Container {
    command = List.copyOf(command);
  }
}
