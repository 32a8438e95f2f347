package io.layerstore.spi;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The kernel's mount(2) and umount2(2) as a driver calls them, with the flags drivers use. A driver
 * gets them from {@link DriverPlatform#mountCalls()} (or {@link DriverSupport#mountCalls()}),
 * present only where the platform may mount (Linux, with privilege); tests hand in a platform that
 * records the calls instead.
 */
public interface MountCalls {

  /**
   * The page size, which bounds the data of one mount(2) call.
   *
   * @return the page size in bytes
   */
  int pageSize();

  /**
   * mount(2), with the flags below.
   *
   * @param source what to mount ({@code overlay}, {@code none}, a directory to bind)
   * @param target the mount point
   * @param fsType the file system type ({@code overlay}, {@code aufs}), or null for a bind mount
   * @param flags the {@code MS_*} flags
   * @param data the file system's options, or null
   * @throws IOException if the kernel refuses (the message names errno)
   */
  void mount(String source, Path target, String fsType, long flags, String data) throws IOException;

  /**
   * mount(2) run in {@code workingDir}, so that {@code data} may name paths relative to it
   * (shorter).
   *
   * @param workingDir the directory relative paths in {@code data} start from
   * @param source what to mount
   * @param target the mount point
   * @param fsType the file system type
   * @param flags the {@code MS_*} flags
   * @param data the file system's options, or null
   * @throws IOException if the kernel refuses
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
   * What is mounted at {@code target}.
   *
   * @param target a path
   * @return the file system type ({@code overlay}, {@code aufs}, ...), or null for nothing
   * @throws IOException if the mount table cannot be read
   */
  String mountType(Path target) throws IOException;

  /**
   * Whether anything is mounted at {@code target}.
   *
   * @param target a path
   * @return whether it is a mount point
   * @throws IOException if the mount table cannot be read
   */
  boolean isMountPoint(Path target) throws IOException;

  /**
   * umount2(2), with the flag below.
   *
   * @param target the mount point
   * @param flags {@link #MNT_DETACH}, or 0
   * @throws IOException if the kernel refuses
   */
  void unmount(Path target, int flags) throws IOException;

  /** umount2(2) flag: detach now, let go of the file system once nothing uses it. */
  int MNT_DETACH = 2;
}
