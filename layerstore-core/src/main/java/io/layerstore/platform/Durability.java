package io.layerstore.platform;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Durability of a tree: on Linux one syncfs(2) of its file system; elsewhere fsync of it the
 * portable way: every regular file, then every directory (so that the names in it are durable too).
 * Symlinks are not followed; fifos and devices are never opened (opening a fifo would block).
 */
final class Durability {
  private static final Logger LOG = LoggerFactory.getLogger(Durability.class);

  private Durability() {}

  static void syncTree(Path dir) throws IOException {
    if (dir.getFileSystem() != FileSystems.getDefault()) {
      return;
    }
    if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).startsWith("linux")) {
      try {
        LinuxCalls.syncfs(dir); // needs no privilege; covers the driver's own files too
        return;
      } catch (LinkageError | RuntimeException e) {
        // no libc through JNA: fsync one by one (slower, as durable)
        LOG.debug("no syncfs ({}); fsync of every file below {}", e.toString(), dir);
      }
    }
    Files.walkFileTree(
        dir,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes a) throws IOException {
            if (a.isRegularFile()) {
              try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ch.force(true);
              }
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
            if (e != null) {
              throw e;
            }
            try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
              ch.force(true);
            }
            return FileVisitResult.CONTINUE;
          }
        });
  }
}
