package io.layerstore.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reference images in the repository's {@code fixtures/} directory, made by a real Docker
 * daemon ({@code fixtures/README.md} says how). Found through the system property {@code
 * layerstore.fixtures}, which the build sets for every module; outside Maven (an IDE running a
 * test) through the working directory or one of its parents holding {@code fixtures/}. They are
 * part of the checkout, so not finding them is an error, never a reason to skip.
 */
public final class Fixtures {

  /** The full id of fx:multi, from the fixtures README. */
  public static final String FX_MULTI_ID =
      "sha256:7baf36a82e1ed94d93e41d3fbf7f8da8d2a09d1a1bb49f23cf256e8de6926135";

  /** The system property the build sets to the fixtures directory. */
  public static final String PROPERTY = "layerstore.fixtures";

  private Fixtures() {}

  /**
   * The fixtures directory: the system property's value if set, else the first {@code fixtures/}
   * holding {@code fx-multi.docker.tar} in the working directory or one of its parents.
   *
   * @return the directory, absolute
   * @throws IllegalStateException if the property names no directory, or none is found
   */
  public static Path fixtures() {
    String prop = System.getProperty(PROPERTY);
    if (prop != null) {
      Path p = Path.of(prop).toAbsolutePath().normalize();
      if (!Files.isDirectory(p)) {
        throw new IllegalStateException("-D" + PROPERTY + "=" + prop + " is not a directory");
      }
      return p;
    }
    // Walking up covers an IDE that runs a module's test with the module as working directory.
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      Path p = d.resolve("fixtures");
      if (Files.isRegularFile(p.resolve("fx-multi.docker.tar"))) {
        return p;
      }
    }
    throw new IllegalStateException(
        "cannot find the repository's fixtures/ directory; set -D" + PROPERTY + "=...");
  }

  /**
   * {@code docker save fx:multi}.
   *
   * @return {@code fixtures/fx-multi.docker.tar}
   * @throws IllegalStateException if the fixtures directory is not found
   */
  public static Path fxMultiArchive() {
    return fixtures().resolve("fx-multi.docker.tar");
  }

  /**
   * Docker's data-root right after loading fx:multi: a tar of its {@code image/overlay2/} and
   * {@code overlay2/} directories, xattrs and device nodes included.
   *
   * @return {@code fixtures/fx-multi.docker-root.tar}
   * @throws IllegalStateException if the fixtures directory is not found
   */
  public static Path fxMultiDockerRoot() {
    return fixtures().resolve("fx-multi.docker-root.tar");
  }

  /**
   * The expected rootfs listing of fx:multi, in {@link RootfsManifest}'s format.
   *
   * @return {@code fixtures/fx-multi.rootfs.manifest}
   * @throws IllegalStateException if the fixtures directory is not found
   */
  public static Path fxMultiManifest() {
    return fixtures().resolve("fx-multi.rootfs.manifest");
  }

  /**
   * The script that writes a rootfs listing from a real mount, the reference {@link RootfsManifest}
   * follows.
   *
   * @return {@code fixtures/rootfs-manifest.py}
   * @throws IllegalStateException if the fixtures directory is not found
   */
  public static Path rootfsManifestScript() {
    return fixtures().resolve("rootfs-manifest.py");
  }
}
