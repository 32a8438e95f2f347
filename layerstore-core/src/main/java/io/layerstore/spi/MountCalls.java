package io.layerstore.spi;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The kernel's mount(2) and umount2(2) as a driver calls them, with the flags drivers use. A driver
 * gets them from {@link DriverSupport#mountCalls()}, present only where the platform may mount
 * (Linux, with privilege); tests hand in a platform that records the calls instead.
 */
public interface MountCalls {

  /** The page size, which bounds the data of one mount(2) call. */
  int pageSize();

  /** mount(2), with the flags below. */
  void mount(String source, Path target, String fsType, long flags, String data) throws IOException;

  /**
   * mount(2) run in {@code workingDir}, so that {@code data} may name paths relative to it
   * (shorter).
   */
  void mountFrom(
      Path workingDir, String source, Path target, String fsType, long flags, String data)
      throws IOException;

  /** mount(2) flag: read-only. */
  long MS_RDONLY = 1;

  /**
   * mount(2) flag: change an existing mount (aufs: add branches; a bind mount: make it read-only).
   */
  long MS_REMOUNT = 32;

  /** mount(2) flag: bind {@code source} at {@code target}. */
  long MS_BIND = 4096;

  /**
   * What is mounted at {@code target} ({@code overlay}, {@code aufs}, ...), or null for nothing.
   */
  String mountType(Path target) throws IOException;

  /** Whether anything is mounted at {@code target}. */
  boolean isMountPoint(Path target) throws IOException;

  /** umount2(2), with the flag below. */
  void unmount(Path target, int flags) throws IOException;

  /** umount2(2) flag: detach now, let go of the file system once nothing uses it. */
  int MNT_DETACH = 2;
}
