package io.layerstore.registry;

import java.io.IOException;
import java.io.InputStream;

/**
 * The bytes of a blob to upload. Opened once per attempt, so a failed upload can start over without
 * keeping the blob in memory.
 */
@FunctionalInterface
public interface BlobContent {
  /**
   * Opens the blob from its first byte.
   *
   * @return a new stream; the caller closes it
   * @throws IOException if the content cannot be read
   */
  InputStream open() throws IOException;
}
