package io.layerstore.store;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The top of a data-root: where the per-driver image metadata lives, where each driver keeps its
 * layers, and where layerstore keeps its own runtime state (locks, mount reference counts), which
 * Docker ignores. The areas below have their own layout owners ({@link LayerDb}, {@link ImageDb},
 * {@link ReferenceStore}).
 *
 * <pre>
 * &lt;root&gt;/                       0710
 *   image/                        0700
 *     &lt;driver&gt;/                  0700
 *       layerdb/  imagedb/  repositories.json
 *   &lt;driver&gt;/                    the driver's home
 *   layerstore/                   0700, ours: locks/, mounts/, journal/, containers/
 * </pre>
 *
 * <p>{@code layerstore/containers/} is owned by {@code
 * io.layerstore.container.internal.ContainerLayout}.
 */
public final class StoreLayout {

  public static final int ROOT_MODE = 0710;
  public static final int IMAGE_DIR_MODE = 0700;
  public static final int STATE_DIR_MODE = 0700;

  private final Path root;
  private final String driver;

  public StoreLayout(Path root, String driver) {
    this.root = root;
    this.driver = driver;
  }

  public Path root() {
    return root;
  }

  public String driver() {
    return driver;
  }

  /** {@code image/} */
  public Path imageTop() {
    return root.resolve("image");
  }

  /** {@code image/<driver>/} */
  public Path imageRoot() {
    return imageTop().resolve(driver);
  }

  /** {@code image/<name>/} for any driver name (to detect which drivers have state). */
  public Path imageRoot(String driverName) {
    return imageTop().resolve(driverName);
  }

  public Path layerDb() {
    return imageRoot().resolve("layerdb");
  }

  /**
   * {@code image/<name>/layerdb/sha256/} for any driver name: where that driver's layer records
   * are, if it has any (to detect which drivers have state).
   */
  public Path layerRecords(String driverName) {
    return imageRoot(driverName).resolve("layerdb").resolve("sha256");
  }

  public Path imageDb() {
    return imageRoot().resolve("imagedb");
  }

  public Path repositoriesJson() {
    return imageRoot().resolve("repositories.json");
  }

  /** The home of driver {@code name}: {@code <root>/<name>}. */
  public Path driverHome(String name) {
    return root.resolve(name);
  }

  /** {@code layerstore/}: our own state, outside Docker's layout. */
  public Path stateDir() {
    return root.resolve("layerstore");
  }

  /** {@code layerstore/containers/}: our records of containers (see {@code ContainerLayout}). */
  public Path containersDir() {
    return stateDir().resolve("containers");
  }

  /**
   * {@code layerstore/tmp/}: scratch files and directories of running operations ({@link Scratch}),
   * and the {@code push-*.blob} files where pushes of earlier versions spooled a compressed layer
   * (a push now uploads as it compresses; a killed push of an earlier version may have left some,
   * which fsck reports).
   */
  private Path tmpDir() {
    return stateDir().resolve("tmp");
  }

  /** Where {@link Scratch} entries live: {@code layerstore/tmp/}. */
  Path scratchDir() {
    return tmpDir();
  }

  /** The {@code push-*.blob} files earlier versions' killed pushes left in {@code tmp/}. */
  List<Path> pushScratchLeftovers() throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(tmpDir(), "push-*.blob")) {
      ds.forEach(out::add);
    } catch (NoSuchFileException | NotDirectoryException e) {
      // never made: no push of an earlier version ran here
    }
    return out;
  }

  /** {@code layerstore/locks/} */
  public Path locksDir() {
    return stateDir().resolve("locks");
  }

  /**
   * {@code buildkit/}: Docker's build cache, whose snapshots are driver directories that only its
   * own database records (so fsck never removes unrecorded driver directories when it exists).
   */
  public Path buildkitDir() {
    return root.resolve("buildkit");
  }

  /** {@code layerstore/journal/}: changes being applied ({@link Journal}). */
  public Path journalDir() {
    return stateDir().resolve("journal");
  }
}
