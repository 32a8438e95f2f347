package io.layerstore.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The floor of loading: the least this machine does to unpack and hash the same layers. Each layer
 * is read once: decompressed if it is compressed, {@code tee}d into a FIFO that {@code sha256sum}
 * reads and piped into GNU {@code tar -x}, one pipeline per layer, all layers at once up to the
 * number of cores, largest first.
 */
final class Floor {
  private Floor() {}

  /** Unpacks and hashes every layer into {@code dest/l<n>}; fails if any pipeline fails. */
  static void unpack(List<ImageInput.Layer> layers, Path dest)
      throws IOException, InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
    try {
      List<Future<?>> jobs = new ArrayList<>();
      int k = 0;
      for (ImageInput.Layer l : layers) {
        Path into = Files.createDirectories(dest.resolve("l" + k++));
        jobs.add(
            pool.submit(
                () -> {
                  Shell.check(pipeline(l, into));
                  return null;
                }));
      }
      for (Future<?> j : jobs) {
        j.get();
      }
    } catch (ExecutionException e) {
      throw new IOException("floor: " + e.getCause().getMessage(), e.getCause());
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The floor of a commit: GNU {@code tar -c} of the changed tree, {@code tee}d into {@code
   * sha256sum} (the diffID) and written to {@code layer}, in one read.
   */
  static void pack(Path tree, Path layer) throws IOException {
    Shell.check(
        List.of(
            "bash",
            "-c",
            "set -eo pipefail; mkfifo \"$3\"; sha256sum < \"$3\" > \"$3.sha256\" & "
                + "tar -C \"$1\" --numeric-owner --xattrs -cf - . | tee \"$3\" > \"$2\"; wait $!",
            "floor",
            tree.toString(),
            layer.toString(),
            layer.resolveSibling(layer.getFileName() + ".fifo").toString()));
  }

  /** The shell pipeline for one layer (exposed for the tests, which check it without timing). */
  static List<String> pipeline(ImageInput.Layer l, Path into) {
    String read =
        switch (l.compression()) {
          case "gzip" -> "gzip -dc < \"$1\" | tee \"$3\"";
          case "zstd" -> "zstd -dcq < \"$1\" | tee \"$3\"";
          default -> "tee \"$3\" < \"$1\"";
        };
    String script =
        "set -eo pipefail; mkfifo \"$3\"; sha256sum < \"$3\" > \"$3.sha256\" & "
            + read
            + " | tar -x -C \"$2\" --numeric-owner --xattrs '--xattrs-include=*'; wait $!";
    return List.of(
        "bash",
        "-c",
        script,
        "floor",
        l.file().toString(),
        into.toString(),
        into.resolveSibling(into.getFileName() + ".fifo").toString());
  }
}
