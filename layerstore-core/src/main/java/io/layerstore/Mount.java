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
   * <p>It may belong to another file system than the default one: an in-process mount's root is the
   * root ({@code /}) of a union file system of its own, where {@link Path#toFile()} fails and an
   * absolute path resolves against that file system, while a kernel mount's root is a directory of
   * the host, where an absolute path resolves against the host's root. To reach a path of the image
   * the same way on both, use {@link #path(String)}.
   *
   * @return the directory to read (and, if {@link #isWritable()}, write) the tree through; it stays
   *     valid until the handle is closed, or until {@link LayerStore#unmount} after {@link
   *     #leaveMounted()}
   */
  Path root();

  /**
   * A path of the image inside this mount, the same on a kernel and an in-process mount: {@code
   * mount.path("/etc/os-release")} is the image's {@code /etc/os-release}, never the host's.
   *
   * @param imagePath a path as the image sees it, absolute ({@code /etc/os-release}) or relative to
   *     the image's root ({@code etc/os-release})
   * @return that path under {@link #root()}, on {@link #root()}'s file system
   * @throws IllegalArgumentException if {@code imagePath} has a {@code ..} element, which could
   *     name something outside the image
   */
  default Path path(String imagePath) {
    // Split by hand: Path.relativize and normalize would fold ".." away instead of refusing it,
    // and resolving an absolute string would leave the mount for the root of its file system.
    Path p = root();
    for (String name : imagePath.split("/")) {
      if (name.equals("..")) {
        throw new IllegalArgumentException(
            "image path " + imagePath + " has a .. element; name a path inside the image");
      }
      if (!name.isEmpty() && !name.equals(".")) {
        p = p.resolve(name);
      }
    }
    return p;
  }

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
