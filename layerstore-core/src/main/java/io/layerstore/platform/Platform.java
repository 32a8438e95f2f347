package io.layerstore.platform;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the machine and the store's file system can do, and the way to do it. Chosen once per store
 * from its root: native on the default file system of a Linux host with privilege, emulated
 * everywhere else. Driver code is the same on both.
 */
public interface Platform {

  /** The platform for a store rooted at {@code root}: native where possible, else emulated. */
  static Platform forRoot(Path root) {
    return Platforms.forRoot(root);
  }

  /**
   * Why a store rooted at {@code root} cannot have the native platform, or {@code null} if it can
   * (the check {@link #forRoot} makes).
   */
  static String whyNotNative(Path root) {
    return Platforms.whyNotNative(root);
  }

  /** An emulated platform whatever the host could do (tests, and the {@code emulate} option). */
  static Platform emulated() {
    return Platforms.emulated();
  }

  /** Whether trees created by this platform keep metadata in the kernel. */
  boolean isNative();

  /**
   * The tree rooted at {@code root}. {@code sidecar} is the record file an emulated tree keeps its
   * records in (ignored by native trees); it must lie outside {@code root}.
   */
  Tree tree(Path root, Path sidecar);

  /** Kernel mounts, when this platform may use them. */
  Optional<KernelMounts> kernelMounts();

  /**
   * Frees what the platform holds (the thread kernel mounts with relative paths run on); called by
   * the store that made the platform when it closes. Nothing else may be asked of it afterwards.
   */
  default void close() {}

  /**
   * Deletes {@code dir} and everything below it without following any symlink inside it and without
   * leaving it, coping with read-only directories. Absent is fine.
   */
  default void deleteRecursively(Path dir) throws IOException {
    SafeTreeOps.deleteAll(dir);
  }

  /**
   * Makes everything written below {@code dir} durable (survives a power loss), before the store
   * makes it visible. Default: fsync of every file and directory, without following symlinks, on
   * the default file system; nothing elsewhere (an in-memory file system has nothing to lose).
   */
  default void sync(Path dir) throws IOException {
    Durability.syncTree(dir);
  }
}
