package io.layerstore.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A directory fsync that fails where fsync must work is an error, not a silent skip; where the file
 * system has nothing to sync (jimfs) it is skipped. That the syncs happen at all, in the right
 * places, is tested end to end under strace by the CLI module's {@code DurabilityTest}.
 */
class AtomicFilesTest {

  @TempDir Path tmp;

  private static final Path PROC = Path.of("/proc");

  /** procfs has no fsync: the kernel answers EINVAL, as a file system without it would. */
  @Test
  void aDirectoryFsyncThatFailsOnADiskFileSystemIsReported() {
    assumeTrue(Files.isDirectory(PROC.resolve("self")), "Linux, with procfs at /proc");
    AtomicFiles files = new AtomicFiles(new SecureRandom(), true);
    IOException e = assertThrows(IOException.class, () -> files.syncDir(PROC));
    assertTrue(e.getMessage().contains("cannot fsync the directory /proc"), e.getMessage());
  }

  @Test
  void notDurableNeverSyncs() {
    AtomicFiles files = new AtomicFiles(new SecureRandom(), false);
    assertDoesNotThrow(() -> files.syncDir(PROC));
  }

  @Test
  void aDirectoryFsyncOnADiskSucceeds() throws IOException {
    AtomicFiles files = new AtomicFiles(new SecureRandom(), true);
    files.write(tmp.resolve("f"), new byte[] {1, 2}, 0644);
    files.syncDir(tmp);
    assertArrayEquals(new byte[] {1, 2}, Files.readAllBytes(tmp.resolve("f")));
  }

  @Test
  void jimfsHasNoDirectoryToSyncAndWritesAllTheSame() throws IOException {
    try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix())) {
      Path dir = Files.createDirectories(fs.getPath("/store"));
      AtomicFiles files = new AtomicFiles(new SecureRandom(), true);
      files.write(dir.resolve("f"), new byte[] {3}, 0644);
      assertDoesNotThrow(() -> files.syncDir(dir));
      assertArrayEquals(new byte[] {3}, Files.readAllBytes(dir.resolve("f")));
    }
  }
}
