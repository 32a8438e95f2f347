package io.layerstore.registry;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes the bytes of a blob whose digest is known only once they are all written (a layer being
 * compressed as it is uploaded). Called once per attempt: a failed upload starts over and calls it
 * again, so it must write the same bytes every time (deterministic compression does).
 */
@FunctionalInterface
public interface BlobWriter {
  /**
   * Writes the blob from its first byte.
   *
   * @param out where the bytes go; closing it is allowed and does not end the upload
   * @throws IOException if the bytes cannot be produced, or the upload under {@code out} failed
   */
  void writeTo(OutputStream out) throws IOException;
}
