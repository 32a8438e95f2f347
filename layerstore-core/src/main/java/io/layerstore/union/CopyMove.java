package io.layerstore.union;

import io.layerstore.platform.NodeStat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;

/**
 * {@code Files.copy} and {@code Files.move} within the union, built from the union's own operations
 * the way the default provider builds them from system calls on Linux, so that code does the same
 * on the union as on a kernel overlay mount: an existing target is removed first, a move is a
 * rename(2), and where that fails with EXDEV (a directory from a lower layer) the move falls back
 * to copying an empty directory and fails for a non-empty one.
 */
final class CopyMove {

  private final UnionFileSystem fs;
  private final UnionOperations ops;

  CopyMove(UnionFileSystem fs, UnionOperations ops) {
    this.fs = fs;
    this.ops = ops;
  }

  /**
   * Moves {@code source} to {@code target}. With {@code ATOMIC_MOVE} this is exactly rename(2)
   * ({@link UnionOperations#rename}); without it, an existing target is removed first (needs {@code
   * REPLACE_EXISTING}) and an empty directory from a lower layer is moved by copy.
   */
  void move(UnionPath source, UnionPath target, CopyOption... options) throws IOException {
    ops.checkWritable();
    if (Options.contains(options, StandardCopyOption.ATOMIC_MOVE)) {
      ops.rename(source, target);
      return;
    }
    Node node = ops.node(source, false);
    if (!clearTarget(
        node, target, Options.contains(options, StandardCopyOption.REPLACE_EXISTING))) {
      return;
    }
    if (node.isDirectory() && node.hasLayersBelow(0)) {
      if (!ops.shared(() -> ops.branches().list(node)).isEmpty()) {
        DirectoryNotEmptyException notEmpty = new DirectoryNotEmptyException(source.toString());
        notEmpty.initCause(UnionOperations.crossDevice(source, target));
        throw notEmpty;
      }
      ops.createDirectory(target, sameMode(node.stat()));
      copyAttributes(node, target);
      ops.delete(source);
      return;
    }
    ops.rename(source, target);
  }

  /**
   * Copies {@code source} to {@code target}: a directory without its entries, a symlink (with
   * {@code NOFOLLOW_LINKS}) as a symlink, a device node, fifo or socket as a new node, a file by
   * content, each created with the source's permission bits less the umask; {@code COPY_ATTRIBUTES}
   * adds mode, owner, {@code user.} xattrs and mtime.
   */
  void copy(UnionPath source, UnionPath target, CopyOption... options) throws IOException {
    ops.checkWritable();
    Node node = ops.node(source, !Options.contains(options, LinkOption.NOFOLLOW_LINKS));
    if (!clearTarget(
        node, target, Options.contains(options, StandardCopyOption.REPLACE_EXISTING))) {
      return;
    }
    NodeStat stat = node.stat();
    switch (stat.kind()) {
      case DIRECTORY:
        ops.createDirectory(target, sameMode(stat));
        break;
      case SYMLINK:
        String link = Files.readSymbolicLink(node.top().path()).toString();
        ops.createSymbolicLink(target, UnionPath.parse(fs, link));
        break;
      case REGULAR:
        copyContent(node, target, sameMode(stat));
        break;
      default:
        ops.makeNode(target, stat);
        break;
    }
    if (Options.contains(options, StandardCopyOption.COPY_ATTRIBUTES)) {
      copyAttributes(node, target);
    }
  }

  /**
   * Makes room at {@code target} as the default provider does before copying or renaming. Returns
   * {@code false} when target and source are one file, so there is nothing to do.
   */
  private boolean clearTarget(Node source, UnionPath target, boolean replace) throws IOException {
    Resolved existing = ops.resolve(target, false);
    if (!existing.exists()) {
      return true;
    }
    if (UnionOperations.sameNode(source, existing.node())) {
      return false;
    }
    if (!replace) {
      throw new FileAlreadyExistsException(target.toString());
    }
    ops.delete(target);
    return true;
  }

  /** The default provider creates a copy with the source's permission bits (then the umask). */
  private static FileAttribute<?> sameMode(NodeStat stat) {
    return PosixFilePermissions.asFileAttribute(Modes.permissions(stat.mode()));
  }

  private void copyContent(Node source, UnionPath target, FileAttribute<?> mode)
      throws IOException {
    Set<OpenOption> create = Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    UnionOperations.Opener<SeekableByteChannel> opener = Files::newByteChannel;
    try (InputStream in = Files.newInputStream(source.top().path(), LinkOption.NOFOLLOW_LINKS);
        OutputStream out =
            Channels.newOutputStream(
                ops.open(target, create, new FileAttribute<?>[] {mode}, opener))) {
      in.transferTo(out);
    }
  }

  /** What the default provider copies for {@code COPY_ATTRIBUTES} and for a move by copy. */
  private void copyAttributes(Node source, UnionPath target) throws IOException {
    NodeStat stat = source.stat();
    Map<String, byte[]> xattrs =
        ops.branches().tree(source.top().branch()).xattrs(source.top().path());
    ops.modifyUpper(
        target,
        false,
        (tree, backing, created) -> {
          tree.setOwner(backing, stat.uid(), stat.gid());
          if (!stat.isSymlink()) {
            tree.setMode(backing, stat.mode());
          }
          for (Map.Entry<String, byte[]> xattr : xattrs.entrySet()) {
            if (xattr.getKey().startsWith("user.")) {
              tree.setXattr(backing, xattr.getKey(), xattr.getValue());
            }
          }
          tree.setMtime(backing, stat.mtime());
        });
  }
}
