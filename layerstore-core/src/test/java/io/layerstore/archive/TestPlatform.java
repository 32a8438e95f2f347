package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The one place that decides whether a test needing something outside the JVM (a tool binary,
 * the shared fixtures) skips or fails when it is missing: it skips on a developer machine and
 * fails when {@code -Dlayerstore.requirePlatform=true} (CI), so CI can never go green by skipping.
 */
public final class TestPlatform {

  private TestPlatform() {}

  public static boolean required() {
    return Boolean.getBoolean("layerstore.requirePlatform");
  }

  /** An executable, e.g. {@code /usr/bin/tar-split}. */
  public static Path tool(String path) {
    Path p = Path.of(path);
    if (!Files.isExecutable(p)) {
      missing("tool " + path);
    }
    return p;
  }

  /** A file under the shared folder ({@code -Dlayerstore.shared}, else {@code /work/shared}). */
  public static Path shared(String relative) {
    String root = System.getProperty("layerstore.shared", "/work/shared");
    Path p = Path.of(root).resolve(relative);
    if (!Files.exists(p)) {
      missing("shared file " + p);
    }
    return p;
  }

  private static void missing(String what) {
    if (required()) {
      fail(what + " is missing and layerstore.requirePlatform=true");
    }
    Assumptions.abort(what + " is missing");
  }
}
