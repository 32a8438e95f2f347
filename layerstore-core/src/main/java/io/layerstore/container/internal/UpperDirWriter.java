package io.layerstore.container.internal;

import io.layerstore.LayerStoreException;
import io.layerstore.archive.LayerStack;
import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.platform.NodeKind;
import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Makes the few changes container creation needs in a fresh, empty upper layer directory, leaving
 * it as an overlay mount of that directory over the layers below would: a lower directory is copied
 * up (owner, mode, extended attributes, mtime) before anything changes in it, removing a lower name
 * leaves a whiteout, a directory made over a whiteout is opaque.
 *
 * <p>Docker does this work through a kernel mount, and the in-process union could do it too; both
 * cost far more than the dozen nodes written here (a mount and an unmount, or the union's general
 * path resolution through every layer for every call), and creating a container should cost about
 * as much as writing those nodes. So the writer remembers what it wrote instead of reading the
 * upper directory back, and looks every name of the layers below up once (they never change).
 *
 * <p>Paths are relative, {@code /} between names. Symlinks are never followed, except by {@link
 * #resolveInView}, which resolves them inside the view as a container would see them.
 */
final class UpperDirWriter {

  /** What the upper directory holds at a path, as far as this writer made it. */
  private enum Upper {
    DIR,
    OPAQUE_DIR,
    OTHER,
    WHITEOUT
  }

  private final Tree upper;
  private final LayerStack lower;
  private final WhiteoutFormat format;
  private final Map<String, Upper> written = new HashMap<>();
  private final Map<String, Optional<LayerStack.Dir>> lowerDirs = new HashMap<>();
  private final Map<String, Optional<LayerStack.Node>> lowerNodes = new HashMap<>();

  /**
   * @param upper the layer written into; must be empty
   * @param lowers the layers below, nearest first
   */
  UpperDirWriter(Tree upper, List<Tree> lowers, WhiteoutFormat format) throws IOException {
    this.upper = upper;
    this.lower = new LayerStack(lowers, format);
    this.format = format;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(upper.root())) {
      if (ds.iterator().hasNext()) {
        throw new IllegalStateException(upper.root() + " is not empty");
      }
    }
  }

  /** What the view shows at a path: the node's kind and where it lives. */
  record Shown(NodeKind kind, Tree tree, Path path, NodeStat lowerStat) {
    boolean isDirectory() {
      return kind == NodeKind.DIRECTORY;
    }
  }

  /** The node the view shows at {@code rel} (not following a symlink there), or null. */
  Shown lookup(String rel) throws IOException {
    if (rel.isEmpty()) {
      return new Shown(NodeKind.DIRECTORY, upper, upper.root(), null);
    }
    String[] parts = rel.split("/");
    boolean lowerVisible = true;
    String prefix = "";
    for (int i = 0; i < parts.length; i++) {
      String childRel = prefix.isEmpty() ? parts[i] : prefix + "/" + parts[i];
      boolean last = i == parts.length - 1;
      Upper u = written.get(childRel);
      if (u == Upper.WHITEOUT) {
        return null;
      }
      if (u == Upper.OTHER) {
        return last ? upperNode(childRel) : null;
      }
      if (u != null) {
        if (last) {
          return new Shown(NodeKind.DIRECTORY, upper, upper.root().resolve(childRel), null);
        }
        lowerVisible = lowerVisible && u == Upper.DIR;
      } else {
        if (!lowerVisible) {
          return null;
        }
        if (last) {
          LayerStack.Node n = lowerNode(childRel);
          return n == null ? null : new Shown(n.stat().kind(), n.tree(), n.path(), n.stat());
        }
        if (lowerDir(childRel) == null) {
          return null;
        }
      }
      if (lowerVisible && lowerDir(childRel) == null) {
        lowerVisible = false;
      }
      prefix = childRel;
    }
    throw new AssertionError("unreachable");
  }

  private Shown upperNode(String rel) throws IOException {
    Path p = upper.root().resolve(rel);
    return new Shown(upper.stat(p).kind(), upper, p, null);
  }

  /** The merged directory of the layers below at {@code rel}, or null; looked up once. */
  private LayerStack.Dir lowerDir(String rel) throws IOException {
    Optional<LayerStack.Dir> known = lowerDirs.get(rel);
    if (known != null) {
      return known.orElse(null);
    }
    LayerStack.Dir d;
    if (rel.isEmpty()) {
      d = lower.layers().isEmpty() ? null : lower.root();
    } else {
      LayerStack.Dir parent = lowerDir(parentOf(rel));
      d = parent == null ? null : lower.childDir(parent, nameOf(rel));
    }
    lowerDirs.put(rel, Optional.ofNullable(d));
    return d;
  }

  /** The node the layers below show at {@code rel}, or null; looked up once. */
  private LayerStack.Node lowerNode(String rel) throws IOException {
    Optional<LayerStack.Node> known = lowerNodes.get(rel);
    if (known != null) {
      return known.orElse(null);
    }
    LayerStack.Dir parent = lowerDir(parentOf(rel));
    LayerStack.Node n = parent == null ? null : lower.child(parent, nameOf(rel));
    lowerNodes.put(rel, Optional.ofNullable(n));
    return n;
  }

  /** Whether the layers below show {@code rel} through the upper directory's opaque dirs. */
  private boolean shownBelow(String rel) throws IOException {
    String prefix = "";
    for (String part : parentOf(rel).isEmpty() ? new String[0] : parentOf(rel).split("/")) {
      prefix = prefix.isEmpty() ? part : prefix + "/" + part;
      if (written.get(prefix) == Upper.OPAQUE_DIR) {
        return false;
      }
    }
    return lowerNode(rel) != null;
  }

  // ---- changes --------------------------------------------------------------------------------

  /** unlink(2) of the non-directory the view shows at {@code rel}. */
  void unlink(String rel) throws IOException {
    Path dir = upperDir(parentOf(rel));
    if (written.get(rel) == Upper.OTHER) {
      upper.delete(dir.resolve(nameOf(rel)));
      written.remove(rel);
    }
    if (shownBelow(rel)) {
      format.createWhiteout(upper, dir, nameOf(rel));
      written.put(rel, Upper.WHITEOUT);
    }
  }

  /** Makes directory {@code rel} (nothing is shown there) with {@code mode}, owned by root. */
  void mkdir(String rel, int mode) throws IOException {
    Path dir = upperDir(parentOf(rel));
    boolean overWhiteout = clearWhiteout(dir, rel);
    Path p = dir.resolve(nameOf(rel));
    Files.createDirectory(p, permissions(p, mode));
    own(p, NodeKind.DIRECTORY, mode);
    if (overWhiteout) {
      format.setOpaque(upper, p);
    }
    written.put(rel, overWhiteout ? Upper.OPAQUE_DIR : Upper.DIR);
  }

  /** Makes the regular file {@code rel} (nothing is shown there) holding {@code content}. */
  void createFile(String rel, byte[] content, int mode) throws IOException {
    Path dir = upperDir(parentOf(rel));
    clearWhiteout(dir, rel);
    Path p = dir.resolve(nameOf(rel));
    Files.createFile(p, permissions(p, mode));
    if (content != null && content.length > 0) {
      Files.write(p, content);
    }
    own(p, NodeKind.REGULAR, mode);
    written.put(rel, Upper.OTHER);
  }

  /** Makes the symlink {@code rel} (nothing is shown there) pointing at {@code target}. */
  void symlink(String rel, String target) throws IOException {
    Path dir = upperDir(parentOf(rel));
    clearWhiteout(dir, rel);
    Path p = dir.resolve(nameOf(rel));
    Files.createSymbolicLink(p, p.getFileSystem().getPath(target));
    own(p, NodeKind.SYMLINK, 0777);
    written.put(rel, Upper.OTHER);
  }

  /**
   * Makes every missing directory of {@code rel} 0755 root; an existing non-directory is an error.
   */
  void mkdirs(String rel) throws IOException {
    if (rel.isEmpty()) {
      return;
    }
    String prefix = "";
    for (String part : rel.split("/")) {
      prefix = prefix.isEmpty() ? part : prefix + "/" + part;
      Shown s = lookup(prefix);
      if (s == null) {
        mkdir(prefix, 0755);
      } else if (!s.isDirectory()) {
        throw new LayerStoreException(
            "cannot make directory /" + rel + ": /" + prefix + " is not a directory");
      }
    }
  }

  /**
   * Resolves {@code path} (absolute, as a container names it) the way Docker's {@code
   * FollowSymlinkInScope} does: symlinks on the way are followed inside the view, {@code ..} stops
   * at the root, names that do not exist are kept. Returns the relative path.
   */
  String resolveInView(String path) throws IOException {
    Deque<String> todo = new ArrayDeque<>(Arrays.asList(path.split("/")));
    List<String> done = new ArrayList<>();
    int links = 0;
    while (!todo.isEmpty()) {
      String part = todo.pollFirst();
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!done.isEmpty()) {
          done.remove(done.size() - 1);
        }
        continue;
      }
      done.add(part);
      Shown s = lookup(String.join("/", done));
      if (s == null || s.kind() != NodeKind.SYMLINK) {
        continue;
      }
      if (++links > 255) {
        throw new LayerStoreException("too many levels of symbolic links in " + path);
      }
      done.remove(done.size() - 1);
      String target = Files.readSymbolicLink(s.path()).toString();
      if (target.startsWith("/")) {
        done.clear();
      }
      String[] t = target.split("/");
      for (int i = t.length - 1; i >= 0; i--) {
        todo.addFirst(t[i]);
      }
    }
    return String.join("/", done);
  }

  /** Writes buffered records of the upper tree. */
  void flush() throws IOException {
    upper.flush();
  }

  // ---- helpers --------------------------------------------------------------------------------

  /** Removes a whiteout this writer left at {@code rel}; returns whether there was one. */
  private boolean clearWhiteout(Path dir, String rel) throws IOException {
    if (written.get(rel) != Upper.WHITEOUT) {
      return false;
    }
    upper.delete(format.whiteoutPath(dir, nameOf(rel)));
    written.remove(rel);
    return true;
  }

  /** The upper copy of directory {@code rel}, copied up (metadata only) with its parents. */
  private Path upperDir(String rel) throws IOException {
    if (rel.isEmpty()) {
      return upper.root();
    }
    Path p = upper.root().resolve(rel);
    Upper u = written.get(rel);
    if (u == Upper.DIR || u == Upper.OPAQUE_DIR) {
      return p;
    }
    upperDir(parentOf(rel));
    Shown below = lookup(rel);
    if (below == null || !below.isDirectory() || below.lowerStat() == null) {
      throw new LayerStoreException("/" + rel + " is not a directory below " + upper.root());
    }
    NodeStat ls = below.lowerStat();
    Files.createDirectory(p);
    upper.setOwner(p, ls.uid(), ls.gid());
    upper.setMode(p, ls.mode());
    for (Map.Entry<String, byte[]> x : below.tree().xattrs(below.path()).entrySet()) {
      if (!x.getKey().startsWith("trusted.overlay.") && !format.isBookkeepingXattr(x.getKey())) {
        upper.setXattr(p, x.getKey(), x.getValue());
      }
    }
    upper.setMtime(p, ls.mtime());
    written.put(rel, Upper.DIR);
    return p;
  }

  /**
   * Gives a node made here root ownership and exactly {@code mode}; one stat when creation already
   * got them (the usual case), else the calls that fix them.
   */
  private void own(Path p, NodeKind kind, int mode) throws IOException {
    NodeStat st = upper.stat(p);
    if (st.uid() != 0 || st.gid() != 0) {
      upper.setOwner(p, 0, 0);
    }
    if (kind != NodeKind.SYMLINK && st.mode() != mode) {
      upper.setMode(p, mode);
    }
  }

  /**
   * {@code mode} as a creation attribute, where the file system takes one (the umask may still
   * clear bits).
   */
  private static FileAttribute<?>[] permissions(Path p, int mode) {
    if (!p.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      return new FileAttribute<?>[0];
    }
    StringBuilder sb = new StringBuilder(9);
    String rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++) {
      sb.append((mode & (0400 >> i)) != 0 ? rwx.charAt(i) : '-');
    }
    return new FileAttribute<?>[] {
      PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(sb.toString()))
    };
  }

  static String parentOf(String rel) {
    int slash = rel.lastIndexOf('/');
    return slash < 0 ? "" : rel.substring(0, slash);
  }

  static String nameOf(String rel) {
    return rel.substring(rel.lastIndexOf('/') + 1);
  }

  static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }
}
