package io.layerstore.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs external commands for the benchmarks (never used by the library). */
final class Shell {
  private Shell() {}

  /** Runs {@code cmd}, discarding output; fails with its output if it exits non-zero. */
  static void check(List<String> cmd) throws IOException {
    output(cmd);
  }

  /**
   * Runs {@code cmd} and returns its output (stderr mixed in), stripped; fails with the output if
   * it exits non-zero.
   */
  static String output(List<String> cmd) throws IOException {
    return output(cmd, null);
  }

  /** As {@link #output(List)}, in the working directory {@code dir} (null: this process's). */
  static String output(List<String> cmd, java.nio.file.Path dir) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    try {
      if (p.waitFor() != 0) {
        throw new IOException(
            String.join(" ", cmd) + " failed: " + new String(out, StandardCharsets.UTF_8));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + cmd, e);
    }
    return new String(out, StandardCharsets.UTF_8).strip();
  }

  /** Runs {@code cmd}, ignoring failures. */
  static void run(List<String> cmd) {
    try {
      check(cmd);
    } catch (IOException e) {
      // best effort
    }
  }

  /** Whether {@code command} is on the PATH. */
  static boolean found(String command) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, command))) {
        return true;
      }
    }
    return false;
  }
}
