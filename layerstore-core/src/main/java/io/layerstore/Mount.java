package io.layerstore;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A mounted root filesystem. Closing it gives the mount back; the last holder's close unmounts.
 * Repeated mounts of the same layer chain share one underlying mount.
 */
public interface Mount extends AutoCloseable {

  /**
   * The root of the mounted filesystem.
   *
   * @return the directory to read (and, if {@link #isWritable()}, write) the tree through; it stays
   *     valid until the handle is closed, or until {@link LayerStore#unmount} after {@link
   *     #leaveMounted()}
   */
  Path root();

  /**
   * Whether {@link #root()} is a real kernel mount.
   *
   * @return {@code true} for a kernel mount, which other processes see too; {@code false} for an
   *     in-process union view, which only this process can use through {@link #root()}'s file
   *     system
   */
  boolean isKernelMount();

  /**
   * Whether writes through {@link #root()} are allowed.
   *
   * @return {@code true} for a container's read-write layer, {@code false} for an image's layers
   */
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
   * @throws IOException if writing the copy or recording the handed-over mount fails
   */
  void leaveMounted() throws IOException;

  @Override
  void close() throws IOException;
}
