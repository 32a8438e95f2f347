package io.layerstore.union;

import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.platform.NodeKind;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/**
 * Writes layer content into a {@link Tree} the way an unpacker does (content with NIO, the rest
 * through the tree), so one scenario can be built on jimfs with an emulated tree and on disk with a
 * native one. Paths are relative to the tree root; missing parents are made 0755 root:root.
 */
final class LayerWriter {

  /** A fixed mtime, so layers built twice look alike. */
  static final FileTime MTIME = FileTime.from(Instant.parse("2021-03-04T05:06:07Z"));

  private final Tree tree;
  private final WhiteoutFormat format;

  LayerWriter(Tree tree, WhiteoutFormat format) {
    this.tree = tree;
    this.format = format;
  }

  Tree tree() {
    return tree;
  }

  Path path(String relative) {
    return tree.root().resolve(relative);
  }

  private Path parentOf(String relative) throws IOException {
    Path p = path(relative);
    Path parent = p.getParent();
    if (!Files.isDirectory(parent)) {
      dir(tree.root().relativize(parent).toString());
    }
    return p;
  }

  LayerWriter dir(String relative) throws IOException {
    return dir(relative, 0755, 0, 0);
  }

  LayerWriter dir(String relative, int mode, long uid, long gid) throws IOException {
    Path p = parentOf(relative);
    if (!Files.isDirectory(p)) {
      Files.createDirectory(p);
    }
    return meta(p, mode, uid, gid);
  }

  LayerWriter file(String relative, String content) throws IOException {
    return file(relative, content, 0644, 0, 0);
  }

  LayerWriter file(String relative, String content, int mode, long uid, long gid)
      throws IOException {
    Path p = parentOf(relative);
    Files.write(p, content.getBytes(StandardCharsets.UTF_8));
    return meta(p, mode, uid, gid);
  }

  LayerWriter symlink(String relative, String target) throws IOException {
    Path p = parentOf(relative);
    Files.createSymbolicLink(p, p.getFileSystem().getPath(target));
    tree.setOwner(p, 0, 0);
    tree.setMtime(p, MTIME);
    return this;
  }

  LayerWriter hardlink(String relative, String existing) throws IOException {
    Files.createLink(parentOf(relative), path(existing));
    return this;
  }

  LayerWriter node(String relative, NodeKind kind, int mode, int major, int minor)
      throws IOException {
    Path p = parentOf(relative);
    tree.makeNode(p, kind, mode, major, minor);
    tree.setMtime(p, MTIME);
    return this;
  }

  /** Records that {@code relative} is deleted (in this layer's format). */
  LayerWriter whiteout(String relative) throws IOException {
    Path p = parentOf(relative);
    format.createWhiteout(tree, p.getParent(), p.getFileName().toString());
    return this;
  }

  LayerWriter opaque(String relative) throws IOException {
    format.setOpaque(tree, path(relative));
    return this;
  }

  LayerWriter xattr(String relative, String name, String value) throws IOException {
    tree.setXattr(path(relative), name, value.getBytes(StandardCharsets.UTF_8));
    return this;
  }

  /** Puts every directory's mtime back to {@link #MTIME} after the layer is written. */
  LayerWriter settle() throws IOException {
    try (var walk = Files.walk(tree.root())) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          tree.setMtime(p, MTIME);
        }
      }
    }
    tree.flush();
    return this;
  }

  private LayerWriter meta(Path p, int mode, long uid, long gid) throws IOException {
    tree.setOwner(p, uid, gid);
    tree.setMode(p, mode);
    tree.setMtime(p, MTIME);
    return this;
  }
}
