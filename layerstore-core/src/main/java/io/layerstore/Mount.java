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
   * <p>A read-only in-process mount on a real disk (a driver the kernel cannot mount here, such as
   * aufs on a kernel without it) is left behind as a copy: the merged tree is written out as real
   * files at the driver's mount point, which {@link #root()} names from then on, and it counts as
   * mounted until {@link LayerStore#unmount} removes it. The image's layers never change, so the
   * copy shows what the kernel mount would.
   *
   * @throws LayerStoreException for a writable in-process mount, or one on an in-memory or
   *     otherwise emulated file system, which cannot outlive the process
   */
  void leaveMounted() throws IOException;

  @Override
  void close() throws IOException;
}
