package io.layerstore.platform;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link KernelMounts} on Linux: mount(2) and umount2(2) called directly through JNA (no {@code
 * mount} child process, so no dependency on util-linux and no argument quoting), the mount table
 * read from {@code /proc/self/mountinfo}.
 *
 * <p>mount(2) reads at most one page of data; overlay would silently see a truncated option string
 * (a missing workdir, half a lower path). A data string that does not fit is therefore refused
 * before the call, with its length, so the caller can shorten it (Docker switches to relative
 * paths). Error messages name target, type, flags and data (long data shortened in the middle).
 */
final class LinuxKernelMounts implements KernelMounts {
  private static final Logger log = LoggerFactory.getLogger(LinuxKernelMounts.class);
  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
  private static final Path FILESYSTEMS = Path.of("/proc/filesystems");
  private static final int SHOW_HEAD = 300;
  private static final int SHOW_TAIL = 80;

  private final int pageSize;
  private java.util.concurrent.ExecutorService relativeMounter;

  LinuxKernelMounts() {
    this(LinuxCalls.pageSize());
  }

  LinuxKernelMounts(int pageSize) {
    this.pageSize = pageSize;
  }

  @Override
  public void mount(String source, Path target, String fsType, long flags, String data)
      throws IOException {
    Objects.requireNonNull(target, "target");
    Path t = target.toAbsolutePath();
    String what = describe(source, fsType, flags, data);
    byte[] d = data == null ? null : LinuxCalls.encode(data);
    if (d != null && d.length > pageSize - 1) {
      throw new FileSystemException(
          t.toString(),
          null,
          what + ": data is " + d.length + " bytes, the kernel reads at most " + (pageSize - 1));
    }
    LinuxCalls.mount(source, t, fsType, flags, d, what);
    log.debug("mounted {} on {}", what, t);
  }

  @Override
  public void mountFrom(
      Path workingDir, String source, Path target, String fsType, long flags, String data)
      throws IOException {
    Objects.requireNonNull(workingDir, "workingDir");
    Path cwd = workingDir.toAbsolutePath();
    java.util.concurrent.Future<Void> f =
        relativeMounter()
            .submit(
                () -> {
                  LinuxCalls.chdir(cwd);
                  mount(source, target, fsType, flags, data);
                  return null;
                });
    try {
      f.get();
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException) {
        throw (IOException) c;
      }
      if (c instanceof RuntimeException) {
        throw (RuntimeException) c;
      }
      throw new IOException(c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while mounting on " + target);
    }
  }

  /**
   * One daemon thread that has unshared its file system context (CLONE_FS), so its chdir never
   * moves the working directory of any other thread in the process.
   */
  private synchronized java.util.concurrent.ExecutorService relativeMounter() throws IOException {
    if (relativeMounter == null) {
      java.util.concurrent.ExecutorService ex =
          java.util.concurrent.Executors.newSingleThreadExecutor(
              r -> {
                Thread t = new Thread(r, "layerstore-relative-mount");
                t.setDaemon(true);
                return t;
              });
      try {
        ex.submit(
                () -> {
                  LinuxCalls.unshareFs();
                  return null;
                })
            .get();
      } catch (java.util.concurrent.ExecutionException e) {
        ex.shutdownNow();
        throw new IOException(
            "cannot give the mount thread its own working directory", e.getCause());
      } catch (InterruptedException e) {
        ex.shutdownNow();
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted");
      }
      relativeMounter = ex;
    }
    return relativeMounter;
  }

  @Override
  public synchronized void close() {
    if (relativeMounter != null) {
      relativeMounter.shutdownNow();
      relativeMounter = null;
    }
  }

  @Override
  public void unmount(Path target, int flags) throws IOException {
    Objects.requireNonNull(target, "target");
    LinuxCalls.umount2(target.toAbsolutePath(), flags);
    log.debug("unmounted {}", target);
  }

  @Override
  public boolean isMountPoint(Path target) throws IOException {
    // One statx(2) instead of toRealPath (a readlink per path component) and a read of the whole
    // mount table: this is asked on every first mount and last unmount of a layer.
    Optional<Boolean> root = LinuxCalls.isMountRoot(target.toAbsolutePath());
    return root.isPresent() ? root.get() : mountType(target) != null;
  }

  @Override
  public String mountType(Path target) throws IOException {
    String real;
    try {
      real = target.toRealPath().toString();
    } catch (NoSuchFileException e) {
      return null;
    }
    String type = null;
    for (MountInfo m : MountInfo.parse(Files.readAllBytes(MOUNTINFO))) {
      if (m.mountPoint().equals(real)) {
        type = m.fsType(); // the last one is on top
      }
    }
    return type;
  }

  @Override
  public boolean supportsFileSystem(String fsType) {
    try {
      for (String line : Files.readAllLines(FILESYSTEMS, StandardCharsets.US_ASCII)) {
        int tab = line.lastIndexOf('\t');
        if (line.substring(tab + 1).trim().equals(fsType)) {
          return true;
        }
      }
    } catch (IOException e) {
      log.debug("cannot read {}: {}", FILESYSTEMS, e.toString());
    }
    return false;
  }

  @Override
  public int pageSize() {
    return pageSize;
  }

  static String describe(String source, String fsType, long flags, String data) {
    StringBuilder sb = new StringBuilder("mount -t ").append(fsType).append(' ').append(source);
    sb.append(" (flags 0x").append(Long.toHexString(flags));
    if (data != null) {
      sb.append(", data \"").append(shorten(data)).append('"');
    }
    return sb.append(')').toString();
  }

  static String shorten(String data) {
    if (data.length() <= SHOW_HEAD + SHOW_TAIL + 40) {
      return data;
    }
    int hidden = data.length() - SHOW_HEAD - SHOW_TAIL;
    return data.substring(0, SHOW_HEAD)
        + "...["
        + hidden
        + " more chars]..."
        + data.substring(data.length() - SHOW_TAIL);
  }
}
