package io.layerstore.trust;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The real programs these tests check against (gpg, skopeo, openssl): a test that needs one skips
 * when it is missing, unless {@code -Dlayerstore.requirePlatform=true} (CI) turns that into a
 * failure. Core's tests cannot use the test kit (it depends on core), hence this small copy of its
 * rule.
 */
final class Tools {

  /** What a program printed and how it ended. */
  record Result(int exit, String out, String err) {
    Result ok() {
      if (exit != 0) {
        fail("exit " + exit + "\nstdout: " + out + "\nstderr: " + err);
      }
      return this;
    }
  }

  private Tools() {}

  static void require(String program) {
    boolean found = false;
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      found |= Files.isExecutable(Path.of(dir, program));
    }
    if (found) {
      return;
    }
    if (Boolean.getBoolean("layerstore.requirePlatform")) {
      fail(program + " is not installed, and layerstore.requirePlatform=true");
    }
    Assumptions.abort(program + " is not installed here");
  }

  static Result run(Map<String, String> env, byte[] stdin, String... command) throws IOException {
    require(command[0]);
    ProcessBuilder pb = new ProcessBuilder(List.of(command));
    pb.environment().putAll(env);
    Path out = Files.createTempFile("tool-out", ".txt");
    Path err = Files.createTempFile("tool-err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    try {
      Process p = pb.start();
      try (var in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin);
        }
      }
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        fail(String.join(" ", command) + " did not finish in 120 s");
      }
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  static Result run(String... command) throws IOException {
    return run(Map.of(), null, command);
  }

  static List<String> args(String... a) {
    return new ArrayList<>(List.of(a));
  }
}
