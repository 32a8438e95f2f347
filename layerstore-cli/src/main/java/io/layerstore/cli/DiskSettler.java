package io.layerstore.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Puts the disk in the same state before every timed run: written data synced, the kernel's caches
 * dropped, and then the files every run reads (the inputs, the JDK, our jar, the docker binaries,
 * the stores a save reads) read back into the page cache.
 *
 * <p>Why drop the caches: on a journal-less ext4 the inode allocator skips every free inode that
 * was deleted within the last 60 s (360 s while its inode-table block is dirty, and making a new
 * inode in a block dirties it), checking each one; that is ext4's {@code recently_deleted()}, and
 * it only looks at inode-table blocks still in the buffer cache. So a run that creates tens of
 * thousands of files soon after a large tree was deleted pays several times the kernel time
 * (measured here: 5.6 s of system time for a load of 40,000 files that takes 1.2 s on an
 * undisturbed disk, with a deletion of the same size 65 s before and the caches dropped; 12.3 s for
 * a {@code tar -x} of 20,000 files 50 s after a larger deletion, neither synced nor dropped).
 * Dropping the caches only shortens the penalty; the cure is not to delete while a benchmark runs,
 * which {@link BenchHarness} does. Where the caches can't be dropped (not root) the pause is all
 * there is, and this says so.
 */
final class DiskSettler {

  private static final Path DROP_CACHES = Path.of("/proc/sys/vm/drop_caches");

  private final PrintStream out;
  private final Set<Path> warm = new LinkedHashSet<>();
  private boolean canDrop = true;

  DiskSettler(PrintStream out) {
    this.out = out;
    warm.add(Path.of(System.getProperty("java.home"), "lib", "modules"));
    for (String tool :
        List.of(
            "docker",
            "dockerd",
            "containerd",
            "containerd-shim-runc-v2",
            "runc",
            "tar",
            "sha256sum",
            "umoci",
            "gzip",
            "zstd")) {
      onPath(tool).ifPresent(warm::add);
    }
  }

  /** Reads {@code path} (a file, or every file below a directory) back after each drop. */
  void keepWarm(Path path) {
    warm.add(path);
  }

  /** Syncs, drops the caches and reads the warm set back; untimed, before a run's pause. */
  void settle() throws IOException, InterruptedException {
    Shell.check(List.of("sync"));
    if (canDrop) {
      try {
        Files.writeString(DROP_CACHES, "3\n");
      } catch (IOException e) {
        canDrop = false;
        out.println(
            "note: cannot drop the kernel's caches ("
                + e.getMessage()
                + "); only the pause separates a run from the previous run's deletions");
      }
    }
    if (canDrop) {
      byte[] buf = new byte[1 << 20];
      for (Path p : warm) {
        for (Path f : files(p)) {
          try (InputStream in = Files.newInputStream(f)) {
            while (in.read(buf) >= 0) {
              // reading is the point: it brings the file back into the page cache
            }
          } catch (IOException e) {
            // a file that went away or can't be read is simply not warmed
          }
        }
      }
    }
  }

  private static List<Path> files(Path p) throws IOException {
    if (Files.isRegularFile(p)) {
      return List.of(p);
    }
    if (!Files.isDirectory(p)) {
      return List.of();
    }
    List<Path> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(p)) {
      s.filter(f -> Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS))
          .forEach(out::add);
    } catch (java.io.UncheckedIOException e) {
      // a tree that changes while walked (a daemon's files) is warmed as far as it was read
    }
    return out;
  }

  private static java.util.Optional<Path> onPath(String name) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String dir : path.split(":")) {
      if (dir.isEmpty()) {
        continue;
      }
      Path p = Path.of(dir, name);
      if (Files.isExecutable(p)) {
        return java.util.Optional.of(p);
      }
    }
    return java.util.Optional.empty();
  }
}
