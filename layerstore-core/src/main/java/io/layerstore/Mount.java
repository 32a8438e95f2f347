package io.layerstore;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A mounted root filesystem. Closing it gives the mount back; the last holder's close unmounts.
 * Repeated mounts of the same layer chain share one underlying mount.
 */
public interface Mount extends AutoCloseable {

  /** The root of the mounted filesystem. */
  Path root();

  /** Whether {@link #root()} is a real kernel mount (otherwise an in-process union view). */
  boolean isKernelMount();

  /** Whether writes through {@link #root()} are allowed. */
  boolean isWritable();

  @Override
  void close() throws IOException;
}
