package io.layerstore.store;

import io.layerstore.format.Descriptor;
import java.io.IOException;
import java.io.InputStream;

/**
 * Where the blobs of images described by OCI descriptors come from: an OCI image layout on disk or
 * in a tar, or a repository of a registry. {@link OciLayoutLoader} walks indexes and manifests and
 * stages layers through this alone, so a load and a pull choose platforms, check, stage, publish
 * and record the wire form the same way.
 */
interface ImageSource {

  /** The layout or repository, for messages. */
  String source();

  /**
   * A manifest, index or config, at most {@code limit} bytes, checked against {@code d}'s size and
   * digest before it is returned.
   */
  byte[] read(Descriptor d, String where, int limit) throws IOException;

  /**
   * Checks, before any lock is taken, what can be checked of a layer blob without reading it (a
   * layout: that it is there, of the size declared). A registry is asked nothing: the download
   * checks it.
   */
  default void checkLayer(Descriptor d, String where) throws IOException {}

  /** The layer blob's bytes; the stream fails at its end if they do not hash to {@code d}. */
  InputStream openLayer(Descriptor d, String where) throws IOException;

  /** How many layers may be read and staged at once. */
  default int parallelism() {
    return Runtime.getRuntime().availableProcessors();
  }

  /**
   * Whether each layer is published as soon as it and the layers below it are complete, so that a
   * failure or a kill keeps them (unreferenced, held by their chain locks until the image is
   * published) and the next attempt does not fetch them again: a pull's layers, whose bytes are
   * costly to get again. A load's are at hand, and a refused load leaves the store as it was.
   */
  default boolean keepsCompletedLayers() {
    return false;
  }

  /** Told that the store has layer {@code d} already: it will not be read. */
  default void layerPresent(Descriptor d) {}

  /** Told that layer {@code d} was read, checked and unpacked. */
  default void layerStaged(Descriptor d) {}
}
