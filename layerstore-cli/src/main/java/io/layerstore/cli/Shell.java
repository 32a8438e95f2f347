package io.layerstore.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** Runs external commands for the benchmarks (never used by the library). */
final class Shell {
  private Shell() {}

  /** Runs {@code cmd}, discarding output; fails with its output if it exits non-zero. */
  static void check(List<String> cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
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
  }

  /** Runs {@code cmd}, ignoring failures. */
  static void run(List<String> cmd) {
    try {
      check(cmd);
    } catch (IOException e) {
      // best effort
    }
  }
}
