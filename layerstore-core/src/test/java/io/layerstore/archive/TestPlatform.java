package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The one place that decides whether a test needing something outside the JVM (a tool binary) skips
 * or fails when it is missing: it skips on a developer machine and fails when {@code
 * -Dlayerstore.requirePlatform=true} (CI), so CI can never go green by skipping. The fixtures are
 * part of the repository, so a missing one always fails.
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

  /**
   * A file of the repository's {@code fixtures/} directory ({@code -Dlayerstore.fixtures}, which
   * the build sets; else {@code fixtures/} in the working directory or a parent, for an IDE).
   */
  public static Path fixture(String name) {
    String dir = System.getProperty("layerstore.fixtures");
    Path p = dir != null ? Path.of(dir).resolve(name) : findUpwards(Path.of("fixtures", name));
    if (p == null || !Files.exists(p)) {
      fail(
          "the fixture "
              + (p != null ? p : "fixtures/" + name)
              + " is missing (it belongs to the checkout)");
    }
    return p;
  }

  private static Path findUpwards(Path relative) {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.exists(d.resolve(relative))) {
        return d.resolve(relative);
      }
    }
    return null;
  }

  private static void missing(String what) {
    if (required()) {
      fail(what + " is missing and layerstore.requirePlatform=true");
    }
    Assumptions.abort(what + " is missing");
  }
}
