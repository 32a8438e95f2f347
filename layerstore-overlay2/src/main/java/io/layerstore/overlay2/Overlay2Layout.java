package io.layerstore.overlay2;

import io.layerstore.spi.DriverLayout;
import java.nio.file.Path;

/**
 * Owner of the overlay2 driver home, {@code <data-root>/overlay2/}, in Docker's layout:
 *
 * <pre>
 * overlay2/                 0710
 *   l/                      0700  &lt;26-char link id&gt; -&gt; ../&lt;id&gt;/diff
 *   &lt;id&gt;/                  0710
 *     diff/                 0755  the layer's own content
 *     link                  0644  the link id, no NL
 *     lower                 0644  l/&lt;parent link&gt;:l/&lt;grandparent link&gt;:... (only with a parent)
 *     work/                 0700  overlay workdir (only with a parent)
 *     merged/               0700  mount point, only while mounted
 *     committed             0600  empty; written when a child is created on this layer
 *     emulated-attrs        ours, emulated platforms only: what the file system cannot hold
 * </pre>
 */
record Overlay2Layout(Path home) implements DriverLayout {

  static final String NAME = "overlay2";
  static final String LINK_DIR = "l";
  static final int HOME_MODE = 0710;
  static final int LAYER_MODE = 0710;
  static final int LINK_DIR_MODE = 0700;
  static final int DIFF_MODE = 0755;
  static final int WORK_MODE = 0700;
  static final int MERGED_MODE = 0700;
  static final int FILE_MODE = 0644;
  static final int COMMITTED_MODE = 0600;

  /** Docker refuses a lower chain longer than this. */
  static final int MAX_DEPTH = 128;

  /** Whether {@code id} is usable as a directory name here (no separators, not {@code l}). */
  static boolean isValidId(String id) {
    return DriverLayout.isPlainId(id) && !id.equals(LINK_DIR);
  }

  static boolean isValidLinkId(String link) {
    // 26 characters of base32 ([A-Z2-7]), checked in a loop rather than by a regular expression:
    // a mount checks the link of every lower layer (up to 125).
    if (link == null || link.length() != 26) {
      return false;
    }
    for (int i = 0; i < 26; i++) {
      char c = link.charAt(i);
      if ((c < 'A' || c > 'Z') && (c < '2' || c > '7')) {
        return false;
      }
    }
    return true;
  }

  Path linkDir() {
    return home.resolve(LINK_DIR);
  }

  Path link(String linkId) {
    return linkDir().resolve(linkId);
  }

  /** The relative target of a layer's {@code l/} symlink. */
  static String linkTarget(String id) {
    return "../" + id + "/diff";
  }

  /** The {@code lower} file entry for a link id. */
  static String lowerEntry(String linkId) {
    return LINK_DIR + "/" + linkId;
  }

  Path layer(String id) {
    return home.resolve(id);
  }

  /** A layer is a directory in the home (which also holds {@code l/}). */
  @Override
  public Path layerIndex() {
    return home;
  }

  @Override
  public boolean indexesDirectories() {
    return true;
  }

  @Override
  public Path diff(String id) {
    return layer(id).resolve("diff");
  }

  Path linkFile(String id) {
    return layer(id).resolve("link");
  }

  Path lowerFile(String id) {
    return layer(id).resolve("lower");
  }

  Path work(String id) {
    return layer(id).resolve("work");
  }

  Path merged(String id) {
    return layer(id).resolve("merged");
  }

  /** The kernel mounts a layer at its {@code merged/}. */
  @Override
  public Path mountPoint(String id) {
    return merged(id);
  }

  Path committed(String id) {
    return layer(id).resolve("committed");
  }

  @Override
  public Path emulatedAttrs(String id) {
    return layer(id).resolve("emulated-attrs");
  }

  @Override
  public boolean isLayerId(String id) {
    return isValidId(id);
  }

  /** {@code <id>/diff} relative to the home, for relative mount data. */
  static String relativeDiff(String id) {
    return id + "/diff";
  }

  static String relativeWork(String id) {
    return id + "/work";
  }
}
