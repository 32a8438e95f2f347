package io.layerstore.aufs;

import io.layerstore.spi.DriverLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Owner of the aufs driver home, {@code <data-root>/aufs/}, in Docker's layout (docs/aufs-layout.md
 * §1):
 *
 * <pre>
 * aufs/                      0710
 *   diff/                    0710
 *     &lt;id&gt;/                 0755  the layer's files = its aufs branch; whiteouts in aufs form
 *     &lt;id&gt;-removing/        only while a remove runs (or after one crashed)
 *   mnt/                     0710
 *     &lt;id&gt;/                 0755  mount point; empty unless mounted
 *   layers/                  0710
 *     &lt;id&gt;                  0644  every ancestor id, nearest first, each followed by "\n"
 *     .tmp-&lt;id&gt;-&lt;random&gt;    ours: a layers file being written, renamed into place
 *   emulated-attrs/          ours, emulated platforms only
 *     &lt;id&gt;                  what the file system cannot hold for diff/&lt;id&gt;
 * </pre>
 *
 * <p>A layer exists exactly when its {@code layers/<id>} file does, as for Docker. The aufs
 * bookkeeping names a writable branch gets are here too, since they live in {@code diff/<id>}.
 */
record AufsLayout(Path home) implements DriverLayout {

  static final String NAME = "aufs";
  static final int HOME_MODE = 0710;
  static final int LAYER_DIR_MODE = 0755;
  static final int LAYERS_FILE_MODE = 0644;

  /** aufs's AUFS_BRANCH_MAX is 127 branches: a container's rw + init + 125 image layers. */
  static final int MAX_PARENTS = 126;

  static final String REMOVING_SUFFIX = "-removing";
  static final String TEMP_PREFIX = ".tmp-";

  /** The whiteout base file aufs makes in the root of every writable branch (0444, empty). */
  static final String WH_BASE = ".wh..wh.aufs";

  /** Pseudo-link dir (0700) in a writable branch's root. */
  static final String WH_PLINK = ".wh..wh.plnk";

  /** Orphan dir (0700) in a writable branch's root. */
  static final String WH_ORPH = ".wh..wh.orph";

  /** Whether {@code id} is usable as a name in diff/, mnt/ and layers/. */
  static boolean isValidId(String id) {
    return DriverLayout.isPlainId(id) && !id.endsWith(REMOVING_SUFFIX);
  }

  Path diffDir() {
    return home.resolve("diff");
  }

  Path mntDir() {
    return home.resolve("mnt");
  }

  Path layersDir() {
    return home.resolve("layers");
  }

  Path emulatedDir() {
    return home.resolve("emulated-attrs");
  }

  @Override
  public Path diff(String id) {
    return diffDir().resolve(id);
  }

  Path mnt(String id) {
    return mntDir().resolve(id);
  }

  /**
   * Docker mounts a layer at {@code mnt/<id>}; without the kernel's aufs a copy may stand there.
   */
  @Override
  public Path mountPoint(String id) {
    return mnt(id);
  }

  Path layersFile(String id) {
    return layersDir().resolve(id);
  }

  /** As for Docker, a layer exists exactly when its {@code layers/<id>} file does. */
  @Override
  public Path layerIndex() {
    return layersDir();
  }

  @Override
  public boolean indexesDirectories() {
    return false;
  }

  Path layersTemp(String id, String random) {
    return layersDir().resolve(TEMP_PREFIX + id + "-" + random);
  }

  @Override
  public Path emulatedAttrs(String id) {
    return emulatedDir().resolve(id);
  }

  @Override
  public boolean isLayerId(String id) {
    return isValidId(id);
  }

  /** {@code diff/<id>-removing} or {@code mnt/<id>-removing}, for a dir of either. */
  static Path removing(Path dir) {
    return dir.resolveSibling(dir.getFileName() + REMOVING_SUFFIX);
  }

  /** The content of a {@code layers/<id>} file: every id followed by a newline (empty for none). */
  static String formatLayers(List<String> ancestors) {
    StringBuilder sb = new StringBuilder();
    for (String a : ancestors) {
      sb.append(a).append('\n');
    }
    return sb.toString();
  }

  /**
   * The ids in a {@code layers/<id>} file, as Go's line scanner reads them: CRLF too, empty lines
   * dropped.
   */
  static List<String> parseLayers(String content) {
    List<String> out = new ArrayList<>();
    for (String line : content.split("\n", -1)) {
      String l = line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
      if (!l.isEmpty()) {
        out.add(l);
      }
    }
    return out;
  }
}
