package io.layerstore.spi;

import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Read-only mounts that outlive the process where the kernel cannot mount the driver's file system
 * (aufs on a kernel without aufs, overlay2 where the process may not mount): the merged tree an
 * in-process union shows is written out, once, as real files at the driver's mount point, so other
 * programs can read it until {@link #remove}. An image's layers never change, so the copy shows
 * exactly what a kernel mount of them would: every path, type, mode, owner, mtime, xattr, device
 * number and link target.
 *
 * <p>A marker in the driver's mount state directory, written after the copy is complete, is what
 * says the copy exists; every process using the store sees it, so a layer with a copy counts as
 * mounted (and cannot be removed) until it is unmounted. A copy interrupted before its marker is
 * cleared by the next attempt or by the unmount.
 */
final class MountCopies {
  private static final Logger LOG = LoggerFactory.getLogger(MountCopies.class);
  private static final String MARKER = ".copy";

  /** The directories of a layer and its ancestors, nearest first. */
  interface Layers {
    List<LayerDir> of(String id) throws IOException;
  }

  private final String driver;
  private final DriverPlatform platform;
  private final Path stateDir;
  private final Function<String, Path> mountPoint;
  private final Layers layers;
  private final WhiteoutStyle style;

  /**
   * @param driver the driver's name, for messages
   * @param platform makes the files (must be {@linkplain DriverPlatform#isNative native}: an
   *     emulated tree keeps owners and devices in a sidecar no other program reads)
   * @param stateDir where the markers are kept (shared by every process using the store)
   * @param mountPoint the directory a kernel mount of an id would use
   * @param layers the layer directories the merged view is made of
   * @param style the driver's whiteouts
   */
  MountCopies(
      String driver,
      DriverPlatform platform,
      Path stateDir,
      Function<String, Path> mountPoint,
      Layers layers,
      WhiteoutStyle style) {
    if (!platform.isNative()) {
      throw new IllegalArgumentException(driver + ": copied mounts need a native platform");
    }
    this.driver = driver;
    this.platform = platform;
    this.stateDir = stateDir;
    this.mountPoint = mountPoint;
    this.layers = layers;
    this.style = style;
  }

  /** Where the markers are; the copies' reference counts are kept there too. */
  Path stateDir() {
    return stateDir;
  }

  /** Where the copy of {@code id} is (or would be). */
  Path root(String id) {
    return mountPoint.apply(id);
  }

  /** Whether a complete copy of {@code id} exists, made by any process. */
  boolean exists(String id) {
    return Files.exists(marker(id));
  }

  /** Writes the merged tree of {@code id} to its mount point, unless a copy is there already. */
  Path make(String id) throws IOException {
    Files.createDirectories(stateDir);
    Path target = root(id);
    try (FileChannel ch =
            FileChannel.open(lockFile(id), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = ch.lock()) {
      if (exists(id)) {
        return target;
      }
      Files.createDirectories(target);
      clear(target);
      try {
        platform.copyUnion(layers.of(id), style, target);
      } catch (IOException | RuntimeException e) {
        clear(target);
        throw new LayerStoreException(
            driver
                + ": could not copy the merged tree of "
                + id
                + " to "
                + target
                + ": "
                + e.getMessage(),
            e);
      }
      Files.writeString(marker(id), target + "\n");
      LOG.debug("{}: copied the merged tree of {} to {}", driver, id, target);
      return target;
    }
  }

  /** Removes the copy of {@code id} (its marker first, then its files); the mount point stays. */
  void remove(String id) throws IOException {
    if (!Files.isDirectory(stateDir)) {
      return;
    }
    try (FileChannel ch =
            FileChannel.open(lockFile(id), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = ch.lock()) {
      boolean had = Files.deleteIfExists(marker(id));
      Path target = root(id);
      if (Files.isDirectory(target)) {
        clear(target);
      }
      if (had) {
        LOG.debug("{}: removed the copy of {} at {}", driver, id, target);
      }
    }
  }

  private void clear(Path dir) throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          platform.deleteRecursively(p);
        } else {
          Files.delete(p);
        }
      }
    }
  }

  private Path marker(String id) {
    return stateDir.resolve(id + MARKER);
  }

  /** One lock for all copies: making one is rare, and no lock file is left per id. */
  private Path lockFile(String id) {
    return stateDir.resolve("copies.lock");
  }
}
