package io.layerstore.union;

import com.google.common.util.concurrent.Striped;
import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every change to the upper branch, done the way overlayfs does it so that the upper directory ends
 * up as the kernel would leave it: parents are copied up (metadata only) before anything is created
 * or removed in them; a lower node is copied up (content, mode, owner, xattrs, mtime) before its
 * content or metadata changes; removing a name that a lower branch still shows leaves a whiteout; a
 * directory made where the upper branch had a whiteout is opaque. Like the kernel, a copy-up puts
 * the upper parent's mtime back afterwards, so copying up is not a visible change of the parent.
 *
 * <p>Callers hold the union's write lock for every method except {@link #copyUp}, which takes the
 * locks itself: a regular file's content is copied into a staging node ({@link
 * Branches#STAGING_PREFIX}, never visible) without the write lock, so other threads keep working,
 * and renamed into place under it. A per-path lock makes concurrent copy-ups of one file happen
 * once.
 */
final class UpperWriter {

  private static final Logger log = LoggerFactory.getLogger(UpperWriter.class);

  private final Branches branches;
  private final Resolver resolver;
  private final ReadWriteLock lock;
  private final Striped<Lock> copyUpLocks = Striped.lock(64);

  UpperWriter(Branches branches, Resolver resolver, ReadWriteLock lock) {
    this.branches = branches;
    this.resolver = resolver;
    this.lock = lock;
  }

  private Tree upper() {
    return branches.tree(0);
  }

  private WhiteoutFormat format() {
    return branches.format();
  }

  /** The upper copy of directory {@code dir}, copying it and its parents up if needed. */
  Path upperDir(Node dir) throws IOException {
    if (dir.isIn(0)) {
      return dir.top().path();
    }
    Node parent = parentOf(dir);
    Path upperParent = upperDir(parent);
    FileTime parentMtime = upper().stat(upperParent).mtime();
    Path target = upperParent.resolve(dir.name());
    Files.createDirectory(target);
    copyMetadata(dir.top(), target);
    upper().setMtime(upperParent, parentMtime);
    log.debug("copied up directory /{}", String.join("/", dir.path()));
    return target;
  }

  private Node parentOf(Node node) throws IOException {
    List<String> path = node.path();
    Node parent = resolver.reload(path.subList(0, path.size() - 1));
    if (parent == null) {
      throw new NoSuchFileException("/" + String.join("/", path), null, "parent vanished");
    }
    return parent;
  }

  /**
   * Makes sure the node at {@code realPath} lives in the upper branch. A regular file's content is
   * copied unless {@code withData} is false (it is about to be truncated). Takes the locks itself;
   * the caller must hold none.
   */
  void copyUp(List<String> realPath, boolean withData) throws IOException {
    Node node;
    Path upperParent;
    lock.writeLock().lock();
    try {
      node = resolver.reload(realPath);
      if (node == null) {
        throw new NoSuchFileException("/" + String.join("/", realPath));
      }
      if (node.isIn(0)) {
        return;
      }
      if (node.isDirectory()) {
        upperDir(node);
        return;
      }
      upperParent = upperDir(parentOf(node));
      if (!node.stat().isRegular()) {
        FileTime parentMtime = upper().stat(upperParent).mtime();
        copyUpNode(node, upperParent.resolve(node.name()));
        upper().setMtime(upperParent, parentMtime);
        return;
      }
    } finally {
      lock.writeLock().unlock();
    }
    Lock pathLock = copyUpLocks.get(String.join("/", realPath));
    pathLock.lock();
    try {
      copyUpFile(realPath, upperParent, withData);
    } finally {
      pathLock.unlock();
    }
  }

  private void copyUpFile(List<String> realPath, Path upperParent, boolean withData)
      throws IOException {
    Node source;
    lock.readLock().lock();
    try {
      source = resolver.reload(realPath);
    } finally {
      lock.readLock().unlock();
    }
    if (source == null) {
      throw new NoSuchFileException("/" + String.join("/", realPath));
    }
    if (source.isIn(0)) {
      return; // another thread was first
    }
    Path staging = upperParent.resolve(Branches.STAGING_PREFIX + UUID.randomUUID());
    FileTime parentMtime = upper().stat(upperParent).mtime();
    try {
      if (withData) {
        Files.copy(source.top().path(), staging, LinkOption.NOFOLLOW_LINKS);
      } else {
        Files.createFile(staging);
      }
      copyMetadata(source.top(), staging);
      lock.writeLock().lock();
      try {
        Node now = resolver.reload(realPath);
        if (now != null && !now.isIn(0) && now.top().equals(source.top())) {
          Path parent = upperDir(parentOf(now));
          upper().move(staging, parent.resolve(now.name()));
          if (parent.equals(upperParent)) {
            upper().setMtime(parent, parentMtime);
          }
          log.debug("copied up /{}", String.join("/", realPath));
        } else {
          upper().delete(staging); // the name changed meanwhile; the caller looks again
        }
      } finally {
        lock.writeLock().unlock();
      }
    } catch (IOException | RuntimeException e) {
      try {
        upper().delete(staging);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /** Copies a symlink, device node or fifo to {@code target} (no content to copy). */
  private void copyUpNode(Node node, Path target) throws IOException {
    NodeStat stat = node.stat();
    switch (stat.kind()) {
      case SYMLINK:
        Path linkTarget = Files.readSymbolicLink(node.top().path());
        Files.createSymbolicLink(target, target.getFileSystem().getPath(linkTarget.toString()));
        break;
      case CHAR_DEVICE:
      case BLOCK_DEVICE:
      case FIFO:
      case SOCKET:
        upper().makeNode(target, stat.kind(), stat.mode(), stat.devMajor(), stat.devMinor());
        break;
      default:
        throw new FileSystemException(
            "/" + String.join("/", node.path()), null, "cannot copy up a " + stat.kind());
    }
    copyMetadata(node.top(), target);
    log.debug("copied up {} /{}", stat.kind(), String.join("/", node.path()));
  }

  /**
   * Gives {@code target} the owner, mode, xattrs (not the formats' bookkeeping) and mtime of {@code
   * source}. Owner first: a kernel chown clears setuid bits and file capabilities.
   */
  private void copyMetadata(Layer source, Path target) throws IOException {
    NodeStat stat = source.stat();
    Tree upper = upper();
    upper.setOwner(target, stat.uid(), stat.gid());
    if (!stat.isSymlink()) {
      upper.setMode(target, stat.mode());
    }
    Map<String, byte[]> xattrs = branches.tree(source.branch()).xattrs(source.path());
    for (Map.Entry<String, byte[]> xattr : xattrs.entrySet()) {
      if (!isBookkeeping(xattr.getKey())) {
        upper.setXattr(target, xattr.getKey(), xattr.getValue());
      }
    }
    upper.setMtime(target, stat.mtime());
  }

  /** overlayfs never copies its own xattrs up, whichever format the branches use. */
  boolean isBookkeeping(String xattr) {
    return xattr.startsWith("trusted.overlay.") || format().isBookkeepingXattr(xattr);
  }

  /** What a creation does with the upper branch's node at the new name. */
  interface Creation {
    void create(Path target) throws IOException;
  }

  /**
   * Creates {@code name} in directory {@code parent} (where nothing is visible under that name):
   * parents copied up, an upper whiteout of the name replaced, and a directory made over a whiteout
   * marked opaque so the lower branches stay hidden. Returns the new upper node.
   */
  Path create(Node parent, String name, boolean directory, Creation creation) throws IOException {
    Path dir = upperDir(parent);
    Path whiteout = branches.upperWhiteout(dir, name);
    Path target = dir.resolve(name);
    if (whiteout != null) {
      upper().delete(whiteout);
    }
    try {
      creation.create(target);
      if (whiteout != null && directory) {
        format().setOpaque(upper(), target);
      }
    } catch (IOException | RuntimeException e) {
      if (whiteout != null) {
        upper().delete(target);
        format().createWhiteout(upper(), dir, name);
      }
      throw e;
    }
    return target;
  }

  /**
   * Removes the visible {@code node} from directory {@code parent}: the upper copy goes, and a
   * whiteout is left if a lower branch would show the name otherwise.
   */
  void remove(Node parent, Node node) throws IOException {
    boolean shownBelow = branches.visibleBelowUpper(parent, node.name());
    Path dir = upperDir(parent);
    if (node.isIn(0)) {
      upper().delete(node.top().path());
    }
    if (shownBelow) {
      format().createWhiteout(upper(), dir, node.name());
    }
  }

  /**
   * Renames the upper node {@code source} (already copied up) to {@code name} in {@code
   * targetParent}, where nothing is visible now. Leaves a whiteout at the old name if a lower
   * branch shows it; a moved directory that lands in a merged directory becomes opaque, as
   * overlayfs does, so lower directories of the new name can't show through.
   */
  void rename(Node sourceParent, Node source, Node targetParent, String name) throws IOException {
    boolean shownBelow = branches.visibleBelowUpper(sourceParent, source.name());
    Path fromDir = upperDir(sourceParent);
    Path toDir = upperDir(targetParent);
    Path whiteout = branches.upperWhiteout(toDir, name);
    if (whiteout != null) {
      upper().delete(whiteout);
    }
    Path target = toDir.resolve(name);
    upper().move(source.top().path(), target);
    if (shownBelow) {
      format().createWhiteout(upper(), fromDir, source.name());
    }
    if (source.isDirectory()
        && targetParent.hasLayersBelow(0)
        && !format().isOpaque(upper(), target)) {
      format().setOpaque(upper(), target);
    }
  }
}
