package io.layerstore.platform;

import java.io.IOException;
import java.nio.file.Path;

/** Real kernel mounts: mount(2), umount2(2) and the mount table. Linux with privilege only. */
public interface KernelMounts {

  long MS_RDONLY = 1;
  long MS_REMOUNT = 32;
  long MS_BIND = 4096;
  long MS_PRIVATE = 1 << 18;

  int MNT_DETACH = 2;

  /** mount(2). The error message names the target, the type and the data string. */
  void mount(String source, Path target, String fsType, long flags, String data) throws IOException;

  /**
   * mount(2) with {@code data} holding paths relative to {@code workingDir}: the call is made from
   * a thread whose working directory (its own, unshared with the rest of the process) is {@code
   * workingDir}. This is how Docker fits a 125-layer overlay into one page of mount options.
   */
  void mountFrom(
      Path workingDir, String source, Path target, String fsType, long flags, String data)
      throws IOException;

  /** umount2(2). */
  void unmount(Path target, int flags) throws IOException;

  /** Whether {@code target} is a mount point now (reads {@code /proc/self/mountinfo}). */
  boolean isMountPoint(Path target) throws IOException;

  /** The file system type mounted at {@code target}, or {@code null} if it is not a mount point. */
  String mountType(Path target) throws IOException;

  /** Whether the kernel lists {@code fsType} in {@code /proc/filesystems}. */
  boolean supportsFileSystem(String fsType);

  /** The system page size, the limit on mount data. */
  int pageSize();

  /** Ends the thread {@link #mountFrom} runs on, if one was started. */
  default void close() {}
}
