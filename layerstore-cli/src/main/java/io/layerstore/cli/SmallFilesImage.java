package io.layerstore.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * The many-small-files image of {@code bench-load --small-files}: {@code files} files of 0.2 to 4
 * KB in about one directory per twenty files (two levels: 2,000 directories for the default
 * 40,000), in two layers of half the files each. The tree is the same for the same count (a fixed
 * seed; tars with sorted names, mtime 0, owner root), and Docker itself makes the archive from it:
 * {@code docker import} of the first layer, the second copied into a container of it and committed,
 * then {@code docker save} — all through the private daemon's Engine API.
 */
final class SmallFilesImage {
  static final int DEFAULT_FILES = 40_000;
  private static final long SEED = 20_260_101L;

  private SmallFilesImage() {}

  /** The directory of file {@code i} of {@code files}: {@code gNN/dNNNN}. */
  static String directory(int i, int files, Random random) {
    int dirs = Math.max(1, files / 20);
    int d = random.nextInt(dirs);
    return String.format("g%02d/d%04d", d % 50, d);
  }

  /**
   * Writes {@code files} files as {@code layers} trees of equal share, {@code dir/l1} to {@code
   * dir/lN}.
   */
  static void writeTrees(Path dir, int files, int layers) throws IOException {
    Random random = new Random(SEED);
    byte[] content = new byte[4096];
    for (int i = 0; i < files; i++) {
      Path layer = dir.resolve("l" + (1 + (int) ((long) i * layers / files)));
      Path d = Files.createDirectories(layer.resolve(directory(i, files, random)));
      int size = 200 + random.nextInt(4096 - 200 + 1);
      random.nextBytes(content);
      Files.write(d.resolve("f" + i), java.util.Arrays.copyOf(content, size));
    }
  }

  /**
   * Packs {@code tree} into {@code tar}, the same bytes for the same tree. The tree stays until the
   * benchmark's work directory goes: deleting it would slow the timed runs that follow (see {@link
   * BenchHarness}).
   */
  static void pack(Path tree, Path tar) throws IOException {
    Shell.check(
        List.of(
            "tar",
            "-C",
            tree.toString(),
            "--sort=name",
            "--mtime=@0",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "-cf",
            tar.toString(),
            "."));
  }

  /**
   * Makes the archive {@code out} with the daemon; {@code work} is left with the trees and layer
   * tars, the daemon with the images and the container, all deleted with the work directory.
   */
  static void make(PrivateDocker docker, int files, Path work, Path out) throws IOException {
    writeTrees(work, files, 2);
    for (String l : List.of("l1", "l2")) {
      pack(work.resolve(l), work.resolve(l + ".tar"));
    }
    EngineApi api = docker.engine();
    String tag = Integer.toString(files);
    api.importTar(work.resolve("l1.tar"), "small-files-base", tag);
    String c = api.createContainer("small-files-base:" + tag);
    api.putArchive(c, work.resolve("l2.tar"));
    api.commit(c, "small-files", tag);
    api.save(List.of("small-files:" + tag), out);
  }
}
