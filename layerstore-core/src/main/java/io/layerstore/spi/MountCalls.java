package io.layerstore.spi;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The kernel's mount(2) and umount2(2) as a driver calls them, with the flags drivers use. A
 * driver gets them from {@link DriverSupport#mountCalls()}, present only where the platform may
 * mount (Linux, with privilege); tests hand in a platform that records the calls instead.
 */
public interface MountCalls {

  /** Read-only mount. */
  long MS_RDONLY = 1;
  /** Change the options of an existing mount. */
  long MS_REMOUNT = 32;
  /** Bind mount. */
  long MS_BIND = 4096;
  /** umount2 flag: detach now, finish when no longer busy. */
  int MNT_DETACH = 2;

  /** mount(2). */
  void mount(String source, Path target, String fsType, long flags, String data) throws IOException;

  /** mount(2) with {@code workingDir} as the working directory, so {@code data} may hold relative paths. */
  void mountFrom(Path workingDir, String source, Path target, String fsType, long flags, String data)
      throws IOException;

  /** umount2(2). */
  void unmount(Path target, int flags) throws IOException;

  /** Whether something is mounted at {@code target}. */
  boolean isMountPoint(Path target) throws IOException;

  /** The file system type mounted at {@code target}, or null when nothing is. */
  String mountType(Path target) throws IOException;

  /** The page size, which bounds mount(2)'s data. */
  int pageSize();
}
