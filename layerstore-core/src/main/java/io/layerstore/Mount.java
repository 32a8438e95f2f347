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

  /**
   * Keeps a kernel mount in place after this handle, and this process, are gone: the reference it
   * holds is handed over to the store, and a later {@link LayerStore#unmount} (from any process)
   * releases it. This is what {@code layerstore mount} does. Closing the handle afterwards does
   * nothing.
   *
   * @throws LayerStoreException for an in-process mount, which cannot outlive the process
   */
  void leaveMounted() throws IOException;

  @Override
  void close() throws IOException;
}
