package io.layerstore.build;

import io.layerstore.ImageId;
import java.io.IOException;

/**
 * Builds one image on a base image (or on nothing: scratch) from layers of files and a config, as
 * Jib does: no container, no daemon, and the same inputs always give the same image id.
 *
 * <p>Obtained from {@code LayerStore.build(base)} or {@code LayerStore.build()}. Collects layers
 * and settings; nothing is read or stored until {@link #tag(String)} or {@link #build()}, which
 * checks every input first (a bad input fails with an exception naming it and leaves the store as
 * it was), then stores the new layers, the config and the tag as one change.
 *
 * <p>Each new layer is also compressed (gzip, deterministically) while it is stored, and the blob
 * kept, so that a later {@code LayerStore.push} uploads it without compressing the layer again.
 *
 * <p>Not thread safe: one builder per build. A builder may be used again after a build, e.g. to add
 * another layer and build once more.
 */
public interface ImageBuilder {

  /**
   * Adds a layer on top of the base image's layers and the layers added before it.
   *
   * @param layer what the layer holds and with which attributes
   * @return this builder
   */
  ImageBuilder addLayer(LayerSpec layer);

  /**
   * Sets the image's config: what it runs and with which environment. Unset fields keep the base
   * image's values (see {@link ImageSettings}).
   *
   * @param settings the config; replaces settings given before
   * @return this builder
   */
  ImageBuilder config(ImageSettings settings);

  /**
   * Builds the image and tags it, in one change: the layers, the image and the tag appear together
   * or not at all. A tag without a tag part gets {@code latest}; a tag that points elsewhere moves.
   *
   * @param reference {@code name[:tag]}
   * @return the image's id, the same for the same inputs on every machine
   * @throws io.layerstore.InvalidReferenceException if {@code reference} is not a valid reference
   * @throws io.layerstore.NotFoundException if a source path does not exist, or the base image was
   *     removed meanwhile
   * @throws io.layerstore.InvalidArchiveException if a source cannot go into a layer (a symlink
   *     loop, a socket or device), naming it
   * @throws IOException if reading a source or writing the store fails
   */
  ImageId tag(String reference) throws IOException;

  /**
   * Builds the image without tagging it.
   *
   * @return the image's id
   * @throws io.layerstore.NotFoundException if a source path does not exist, or the base image was
   *     removed meanwhile
   * @throws io.layerstore.InvalidArchiveException if a source cannot go into a layer, naming it
   * @throws IOException if reading a source or writing the store fails
   */
  ImageId build() throws IOException;
}
