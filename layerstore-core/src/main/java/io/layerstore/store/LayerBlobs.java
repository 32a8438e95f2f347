package io.layerstore.store;

import io.layerstore.format.ArchiveIndex;
import java.io.IOException;
import java.io.InputStream;

/**
 * Where the layers of a load come from, by the name the image's manifest gives them: members of a
 * {@code docker save} archive, or blobs of an OCI layout (whose streams check the blob's digest as
 * they are read). The staging of layers is the same for both.
 */
interface LayerBlobs {

  /** The archive or layout, for messages. */
  String source();

  /** The layer's stored (compressed) length, to stage the largest first; fails if it is missing. */
  long size(String name) throws IOException;

  /** The layer's stored bytes; each call is an independent stream. */
  InputStream open(String name) throws IOException;

  /** How many layers may be read and staged at once (a pull's maxConcurrentDownloads). */
  default int parallelism() {
    return Runtime.getRuntime().availableProcessors();
  }

  /**
   * Whether each layer is published as soon as it and the layers below it are complete, so that a
   * failure or a kill keeps them (unreferenced, held by their chain locks until the image is
   * published) and the next attempt does not fetch them again: a pull's layers ({@link
   * ImageSource#keepsCompletedLayers()}), whose bytes are costly to get again. A load's are at
   * hand, and a refused load leaves the store as it was.
   */
  default boolean keepsCompletedLayers() {
    return false;
  }

  /** Told, for a pull's progress, that the store has the layer already: it is not read. */
  default void present(String name) {}

  /** Told, for a pull's progress, that the layer was read, checked and unpacked. */
  default void staged(String name) {}

  /** The layers of a {@code docker save} archive: its members, symlinks followed. */
  static LayerBlobs of(ArchiveIndex index) {
    return new LayerBlobs() {
      @Override
      public String source() {
        return index.source();
      }

      @Override
      public long size(String name) throws IOException {
        return index.require(name).size();
      }

      @Override
      public InputStream open(String name) throws IOException {
        return index.open(index.require(name));
      }
    };
  }
}
