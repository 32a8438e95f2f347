package io.layerstore.testkit;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The reference images in {@code ../shared/fixtures} (made by a real Docker daemon). Found through
 * the system property {@code layerstore.shared} (the build sets it), else {@code ../shared} or
 * {@code ../../shared} from the working directory.
 */
public final class Fixtures {

  /** The full id of fx:multi, from the fixtures README. */
  public static final String FX_MULTI_ID = "sha256:7baf36a82e1ed94d93e41d3fbf7f8da8d2a09d1a1bb49f23cf256e8de6926135";

  private Fixtures() {}

  public static Path shared() {
    String prop = System.getProperty("layerstore.shared");
    if (prop != null && Files.isDirectory(Path.of(prop))) {
      return Path.of(prop).toAbsolutePath().normalize();
    }
    for (String c : new String[] {"../shared", "../../shared", "../../../shared"}) {
      Path p = Path.of(c);
      if (Files.isDirectory(p.resolve("fixtures"))) {
        return p.toAbsolutePath().normalize();
      }
    }
    throw new IllegalStateException("cannot find the shared/ folder; set -Dlayerstore.shared=...");
  }

  public static Path fixtures() {
    return shared().resolve("fixtures");
  }

  /** {@code docker save fx:multi}. */
  public static Path fxMultiArchive() {
    return fixtures().resolve("fx-multi.docker.tar");
  }

  /** Docker's data-root right after loading fx:multi. */
  public static Path fxMultiDockerRoot() {
    return fixtures().resolve("fx-multi.docker-root.tar");
  }

  /** The expected rootfs listing of fx:multi. */
  public static Path fxMultiManifest() {
    return fixtures().resolve("fx-multi.rootfs.manifest");
  }

  public static Path rootfsManifestScript() {
    return fixtures().resolve("rootfs-manifest.py");
  }
}
