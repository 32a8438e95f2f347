package io.layerstore.spi;

import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What core does for a driver on the store's platform (native, or emulated where the file system or
 * the process cannot hold device nodes, ownership and trusted xattrs), in terms a driver can name:
 * kernel mounts, deleting trees, making entries in a layer directory, the in-process union over
 * layer directories, and copies of it. A driver gets it from {@link DriverContext#platform()};
 * {@link DriverSupport} uses it for everything that touches a layer's files beyond plain NIO.
 *
 * <p>Core keeps one view of each layer directory's metadata (on an emulated platform that view
 * buffers records in memory): every call naming a {@link LayerDir} goes through it, so the driver's
 * mounts and the store's unpacking, diffs and saves see the same metadata. Implementations are safe
 * for concurrent use by several threads.
 */
public interface DriverPlatform {

  /**
   * Whether layer directories keep their metadata in the file system itself; else some of it is
   * emulated in each layer's {@link LayerDir#emulatedAttrs} file.
   *
   * @return {@code true} on the native platform
   */
  boolean isNative();

  /**
   * The kernel's mount calls, where the platform may mount (Linux, with privilege).
   *
   * @return the mount calls, or empty where the driver must not make kernel mounts
   */
  Optional<MountCalls> mountCalls();

  /**
   * Deletes {@code dir} and everything below it, with the platform's metadata of it, without
   * following any symlink inside it and without leaving it, coping with read-only directories.
   * Absent is fine.
   *
   * @param dir the directory to delete
   * @throws IOException if something could not be deleted
   */
  void deleteRecursively(Path dir) throws IOException;

  /**
   * Creates {@code name} (a directory, or an empty file) in the root of {@code layer} with
   * permission bits {@code mode}, unless it is there, and writes the metadata out; an emulated
   * platform records the mode too.
   *
   * @param layer the layer directory
   * @param name the entry's name, directly in the layer's root
   * @param directory whether to make a directory (else an empty regular file)
   * @param mode the nine permission bits, and the special ones ({@code 07777})
   * @throws IOException if the entry cannot be made
   */
  void addEntry(LayerDir layer, String name, boolean directory, int mode) throws IOException;

  /**
   * Opens the in-process union of {@code branches}: a file system that shows them stacked as a
   * kernel mount of the driver's file system would. Writes, if {@code writable}, go to the topmost
   * branch. Closing the file system closes the union.
   *
   * @param branches the layer directories, topmost first
   * @param style how the branches record deletions
   * @param writable whether the union accepts writes (into the topmost branch)
   * @return the union, whose root is {@code getPath("/")}
   * @throws IOException if a branch cannot be read
   */
  FileSystem openUnion(List<LayerDir> branches, WhiteoutStyle style, boolean writable)
      throws IOException;

  /**
   * Writes the merged tree the union of {@code branches} shows to {@code target}, an empty
   * directory, as real files with every path, type, mode, owner, mtime, xattr, device number and
   * link target, then makes it durable; so other programs can read it as they would a kernel mount.
   * Needs the {@linkplain #isNative native} platform: an emulated one keeps owners and devices
   * where no other program reads them.
   *
   * @param branches the layer directories, topmost first
   * @param style how the branches record deletions
   * @param target the empty directory to fill
   * @throws IOException if the copy fails (what was written stays; the caller clears it)
   * @throws IllegalStateException on an emulated platform
   */
  void copyUnion(List<LayerDir> branches, WhiteoutStyle style, Path target) throws IOException;

  /**
   * Drops what core holds in memory of {@code layer}'s metadata, before its files are deleted, so a
   * layer made later in the same place starts afresh.
   *
   * @param layer the layer directory about to be deleted
   */
  void forget(LayerDir layer);

  /**
   * Writes out the metadata buffered for every layer directory (an emulated platform's records).
   *
   * @throws IOException if some could not be written
   */
  void flush() throws IOException;
}
