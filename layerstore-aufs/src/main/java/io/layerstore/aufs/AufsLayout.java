package io.layerstore.aufs;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Owner of the aufs driver home, {@code <data-root>/aufs/}, in Docker's layout (docs/aufs-layout.md §1):
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
final class AufsLayout {

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

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

  private final Path home;

  AufsLayout(Path home) {
    this.home = home;
  }

  Path home() {
    return home;
  }

  /** Whether {@code id} is usable as a name in diff/, mnt/ and layers/. */
  static boolean isValidId(String id) {
    return id != null && ID.matcher(id).matches() && !id.endsWith(REMOVING_SUFFIX);
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

  Path diff(String id) {
    return diffDir().resolve(id);
  }

  Path mnt(String id) {
    return mntDir().resolve(id);
  }

  Path layersFile(String id) {
    return layersDir().resolve(id);
  }

  Path layersTemp(String id, String random) {
    return layersDir().resolve(TEMP_PREFIX + id + "-" + random);
  }

  Path emulatedAttrs(String id) {
    return emulatedDir().resolve(id);
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

  /** The ids in a {@code layers/<id>} file, as Go's line scanner reads them: CRLF too, empty lines dropped. */
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
