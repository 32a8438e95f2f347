package io.layerstore.union;

import io.layerstore.platform.NodeKind;
import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.channels.Channel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The union's file operations, each as overlayfs would carry it out, with the locking that keeps
 * them consistent between threads.
 *
 * <p>Locking: lookups and reads run under a shared lock; anything that changes which node a name
 * shows (create, remove, rename, copy-up commit, metadata changes) runs under the exclusive lock.
 * Content copied up and data written through open channels need neither. An operation that needs a
 * copy-up first does it with no lock held ({@link UpperWriter#copyUp}), then looks its path up
 * again under the lock it needs and retries if the world changed in between.
 */
final class UnionOperations {

  /** Retries of the copy-up-then-act loop before giving up on a path that keeps changing. */
  private static final int MAX_ATTEMPTS = 100;

  private final UnionFileSystem fs;
  private final Branches branches;
  private final boolean writable;
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private final Resolver resolver;
  private final UpperWriter writer;
  private final Set<Channel> channels = ConcurrentHashMap.newKeySet();

  UnionOperations(UnionFileSystem fs, Branches branches, boolean writable) {
    this.fs = fs;
    this.branches = branches;
    this.writable = writable;
    this.resolver = new Resolver(fs, branches);
    this.writer = new UpperWriter(branches, resolver, lock);
  }

  boolean isWritable() {
    return writable;
  }

  Branches branches() {
    return branches;
  }

  /** An action on a locked union. */
  interface Locked<T> {
    T run() throws IOException;
  }

  <T> T shared(Locked<T> action) throws IOException {
    lock.readLock().lock();
    try {
      return action.run();
    } finally {
      lock.readLock().unlock();
    }
  }

  private <T> T exclusive(Locked<T> action) throws IOException {
    lock.writeLock().lock();
    try {
      return action.run();
    } finally {
      lock.writeLock().unlock();
    }
  }

  void checkWritable() {
    if (!writable) {
      throw new ReadOnlyFileSystemException();
    }
  }

  private void checkName(UnionPath path, String name) throws IOException {
    if (branches.isReserved(name)) {
      throw new AccessDeniedException(
          path.toString(), null, "'" + name + "' is reserved for whiteouts in this union");
    }
  }

  // ---- lookups ----------------------------------------------------------------------------

  /** Where {@code path} leads now. */
  Resolved resolve(UnionPath path, boolean follow) throws IOException {
    return shared(() -> resolver.resolve(path, follow));
  }

  /** The node at {@code path} as it is now. */
  Node node(UnionPath path, boolean follow) throws IOException {
    return shared(() -> resolver.existing(path, follow));
  }

  UnionPath realPath(UnionPath path, boolean follow) throws IOException {
    Node node = node(path, follow);
    return UnionPath.absolute(fs, node.path());
  }

  Path readSymbolicLink(UnionPath link) throws IOException {
    return shared(
        () -> {
          Node node = resolver.existing(link, false);
          if (!node.isSymlink()) {
            throw new NotLinkException(link.toString());
          }
          return UnionPath.parse(fs, Files.readSymbolicLink(node.top().path()).toString());
        });
  }

  DirectoryStream<Path> newDirectoryStream(
      UnionPath dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
    List<String> names =
        shared(
            () -> {
              Node node = resolver.existing(dir, true);
              if (!node.isDirectory()) {
                throw new NotDirectoryException(dir.toString());
              }
              return new ArrayList<>(branches.list(node));
            });
    return new ListedDirectory(dir, names, filter, fs);
  }

  /**
   * Access as root sees it: reading always works, writing needs a writable union, executing an x
   * bit.
   */
  void checkAccess(UnionPath path, AccessMode... modes) throws IOException {
    Node node = node(path, true);
    for (AccessMode mode : modes) {
      if (mode == AccessMode.WRITE && !writable) {
        throw new AccessDeniedException(path.toString(), null, "read-only union file system");
      }
      if (mode == AccessMode.EXECUTE && !node.isDirectory() && (node.stat().mode() & 0111) == 0) {
        throw new AccessDeniedException(path.toString(), null, "no execute permission");
      }
    }
  }

  boolean isSameFile(UnionPath a, UnionPath b) throws IOException {
    if (a.equals(b)) {
      return true;
    }
    return shared(() -> sameNode(resolver.existing(a, true), resolver.existing(b, true)));
  }

  static boolean sameNode(Node a, Node b) {
    return a.top().branch() == b.top().branch() && a.stat().fileKey().equals(b.stat().fileKey());
  }

  // ---- content ----------------------------------------------------------------------------

  /** Opens the backing node; the union decides which one and with which options. */
  interface Opener<C extends Channel> {
    C open(Path backing, Set<OpenOption> options) throws IOException;
  }

  /**
   * Opens {@code path}. Reading opens the winning branch's file; writing copies a lower file up
   * first (without its content when truncating) or creates the file in the upper branch.
   */
  <C extends Channel> C open(
      UnionPath path, Set<? extends OpenOption> options, FileAttribute<?>[] attrs, Opener<C> opener)
      throws IOException {
    if (options.contains(StandardOpenOption.DELETE_ON_CLOSE)) {
      throw new UnsupportedOperationException("DELETE_ON_CLOSE is not supported by the union");
    }
    boolean follow = Options.followLinks(options);
    if (options.contains(StandardOpenOption.APPEND)
        && (options.contains(StandardOpenOption.READ)
            || options.contains(StandardOpenOption.TRUNCATE_EXISTING))) {
      throw new IllegalArgumentException("APPEND with READ or TRUNCATE_EXISTING");
    }
    Set<OpenOption> backing = new HashSet<>(options);
    backing.remove(StandardOpenOption.CREATE);
    backing.remove(StandardOpenOption.CREATE_NEW);
    backing.add(LinkOption.NOFOLLOW_LINKS);
    if (!Options.writes(options)) {
      backing.remove(StandardOpenOption.TRUNCATE_EXISTING);
      return shared(
          () -> {
            Node node = resolver.existing(path, follow);
            checkContent(path, node);
            return track(opener.open(node.top().path(), backing));
          });
    }
    checkWritable();
    boolean createNew = options.contains(StandardOpenOption.CREATE_NEW);
    boolean create = createNew || options.contains(StandardOpenOption.CREATE);
    boolean truncate = options.contains(StandardOpenOption.TRUNCATE_EXISTING);
    int mode = Modes.forCreate(attrs, 0666);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Resolved resolved = shared(() -> resolver.resolve(path, follow && !createNew));
      if (resolved.exists()) {
        Node node = resolved.node();
        if (createNew) {
          throw new FileAlreadyExistsException(path.toString());
        }
        checkContent(path, node);
        if (!node.isIn(0)) {
          writer.copyUp(node.path(), !truncate);
          continue;
        }
        C channel =
            shared(
                () -> {
                  Node again = resolver.reload(node.path());
                  return again != null && again.isIn(0)
                      ? opener.open(again.top().path(), backing)
                      : null;
                });
        if (channel != null) {
          return track(channel);
        }
        continue;
      }
      if (!create) {
        throw new NoSuchFileException(path.toString());
      }
      if (resolved.parent() != null) {
        checkName(path, resolved.name());
      }
      C channel =
          exclusive(
              () -> {
                Resolved again = resolver.resolve(path, follow && !createNew);
                if (again.exists()) {
                  return null;
                }
                Path created =
                    writer.create(
                        again.parent(),
                        again.name(),
                        false,
                        target -> {
                          Files.createFile(target);
                          branches.tree(0).setMode(target, mode);
                        });
                return opener.open(created, backing);
              });
      if (channel != null) {
        return track(channel);
      }
    }
    throw new FileSystemException(path.toString(), null, "changed too often while opening");
  }

  /** Refuses nodes whose content the union does not hand out. */
  private static void checkContent(UnionPath path, Node node) throws IOException {
    NodeKind kind = node.stat().kind();
    switch (kind) {
      case REGULAR:
        return;
      case DIRECTORY:
        throw new FileSystemException(path.toString(), null, "Is a directory");
      case SYMLINK:
        throw new FileSystemException(
            path.toString(), null, "is a symbolic link and NOFOLLOW_LINKS was given");
      default:
        throw new FileSystemException(
            path.toString(),
            null,
            "is a " + kind + " node; the union does not open devices, fifos or sockets");
    }
  }

  private <C extends Channel> C track(C channel) {
    channels.removeIf(c -> !c.isOpen());
    channels.add(channel);
    return channel;
  }

  // ---- names ------------------------------------------------------------------------------

  void createDirectory(UnionPath dir, FileAttribute<?>... attrs) throws IOException {
    checkWritable();
    int mode = Modes.forCreate(attrs, 0777);
    exclusive(
        () -> {
          Resolved resolved = resolver.resolve(dir, false);
          if (resolved.exists()) {
            throw new FileAlreadyExistsException(dir.toString());
          }
          checkName(dir, resolved.name());
          writer.create(
              resolved.parent(),
              resolved.name(),
              true,
              target -> {
                Files.createDirectory(target);
                branches.tree(0).setMode(target, mode);
              });
          return null;
        });
  }

  void createSymbolicLink(UnionPath link, Path target, FileAttribute<?>... attrs)
      throws IOException {
    checkWritable();
    if (attrs.length > 0) {
      throw new UnsupportedOperationException("symlinks take no initial attributes");
    }
    String text = target.toString();
    exclusive(
        () -> {
          Resolved resolved = resolver.resolve(link, false);
          if (resolved.exists()) {
            throw new FileAlreadyExistsException(link.toString());
          }
          checkName(link, resolved.name());
          writer.create(
              resolved.parent(),
              resolved.name(),
              false,
              backing -> Files.createSymbolicLink(backing, backing.getFileSystem().getPath(text)));
          return null;
        });
  }

  /** A hardlink: the existing file is copied up first, then linked within the upper branch. */
  void createLink(UnionPath link, UnionPath existing) throws IOException {
    checkWritable();
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Node source = node(existing, false);
      if (source.isDirectory()) {
        throw new FileSystemException(
            link.toString(), existing.toString(), "Operation not permitted");
      }
      if (!source.isIn(0)) {
        writer.copyUp(source.path(), true);
        continue;
      }
      boolean done =
          exclusive(
              () -> {
                Node again = resolver.reload(source.path());
                if (again == null || !again.isIn(0)) {
                  return false;
                }
                Resolved resolved = resolver.resolve(link, false);
                if (resolved.exists()) {
                  throw new FileAlreadyExistsException(link.toString());
                }
                checkName(link, resolved.name());
                writer.create(
                    resolved.parent(),
                    resolved.name(),
                    false,
                    target -> Files.createLink(target, again.top().path()));
                return true;
              });
      if (done) {
        return;
      }
    }
    throw new FileSystemException(link.toString(), null, "changed too often while linking");
  }

  /** Removes a name; a directory must look empty in the union. */
  void delete(UnionPath path) throws IOException {
    checkWritable();
    exclusive(
        () -> {
          Resolved resolved = resolver.resolve(path, false);
          if (resolved.parent() == null) {
            throw new FileSystemException(path.toString(), null, "cannot remove the union root");
          }
          if (!resolved.exists()) {
            throw new NoSuchFileException(path.toString());
          }
          removeChecked(path, resolved);
          return null;
        });
  }

  private void removeChecked(UnionPath path, Resolved resolved) throws IOException {
    Node node = resolved.node();
    if (node.isDirectory() && !branches.list(node).isEmpty()) {
      throw new DirectoryNotEmptyException(path.toString());
    }
    writer.remove(resolved.parent(), node);
  }

  /** The EXDEV overlayfs gives for renaming a directory a lower branch provides. */
  static FileSystemException crossDevice(UnionPath source, UnionPath target) {
    return new AtomicMoveNotSupportedException(
        source.toString(),
        target.toString(),
        "Invalid cross-device link: the directory comes from a lower layer, and overlayfs"
            + " without redirect_dir cannot rename it");
  }

  /**
   * rename(2) on overlayfs without {@code redirect_dir}: a file is copied up, renamed in the upper
   * branch and whited out at its old name if a lower branch shows it there; an existing target of
   * the same kind is replaced (a directory only if empty); a directory that a lower branch provides
   * cannot be renamed (EXDEV, {@link AtomicMoveNotSupportedException}); one that lives only in the
   * upper branch renames freely.
   */
  void rename(UnionPath source, UnionPath target) throws IOException {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Node node =
          shared(
              () -> {
                Resolved from = resolver.resolve(source, false);
                if (from.parent() == null) {
                  throw new FileSystemException(
                      source.toString(), null, "cannot move the union root");
                }
                if (!from.exists()) {
                  throw new NoSuchFileException(source.toString());
                }
                Resolved to = resolver.resolve(target, false);
                if (to.exists() && sameNode(from.node(), to.node())) {
                  return null;
                }
                if (from.node().isDirectory() && from.node().hasLayersBelow(0)) {
                  throw crossDevice(source, target);
                }
                checkTarget(target, from.node(), to);
                return from.node();
              });
      if (node == null) {
        return;
      }
      if (!node.isIn(0)) {
        writer.copyUp(node.path(), true);
        continue;
      }
      boolean done =
          exclusive(
              () -> {
                Resolved from = resolver.resolve(source, false);
                if (!from.exists() || !from.node().top().equals(node.top())) {
                  return false;
                }
                Resolved to = resolver.resolve(target, false);
                checkTarget(target, from.node(), to);
                if (to.parent() == null) {
                  throw new FileSystemException(target.toString(), null, "is the union root");
                }
                if (node.isDirectory() && isWithin(to, node)) {
                  throw new FileSystemException(
                      source.toString(),
                      target.toString(),
                      "Invalid argument: target inside source");
                }
                checkName(target, to.name());
                if (to.exists()) {
                  removeChecked(target, to);
                  from = resolver.resolve(source, false);
                  to = resolver.resolve(target, false);
                }
                writer.rename(from.parent(), from.node(), to.parent(), to.name());
                return true;
              });
      if (done) {
        return;
      }
    }
    throw new FileSystemException(
        source.toString(), target.toString(), "changed too often while moving");
  }

  /** rename(2)'s checks of an existing target: same kind, and an empty directory. */
  private void checkTarget(UnionPath target, Node source, Resolved to) throws IOException {
    if (!to.exists()) {
      return;
    }
    Node existing = to.node();
    if (source.isDirectory() && !existing.isDirectory()) {
      throw new FileSystemException(target.toString(), null, "Not a directory");
    }
    if (!source.isDirectory() && existing.isDirectory()) {
      throw new FileSystemException(target.toString(), null, "Is a directory");
    }
    if (existing.isDirectory() && !branches.list(existing).isEmpty()) {
      throw new DirectoryNotEmptyException(target.toString());
    }
  }

  private static boolean isWithin(Resolved to, Node dir) {
    List<String> targetPath = new ArrayList<>(to.parent().path());
    targetPath.add(to.name());
    return targetPath.size() > dir.path().size()
        && targetPath.subList(0, dir.path().size()).equals(dir.path());
  }

  /** mknod(2) of a device node, fifo or socket like {@code stat} describes, less the umask. */
  void makeNode(UnionPath target, NodeStat stat) throws IOException {
    exclusive(
        () -> {
          Resolved resolved = resolver.resolve(target, false);
          if (resolved.exists()) {
            throw new FileAlreadyExistsException(target.toString());
          }
          checkName(target, resolved.name());
          writer.create(
              resolved.parent(),
              resolved.name(),
              false,
              backing ->
                  branches
                      .tree(0)
                      .makeNode(
                          backing,
                          stat.kind(),
                          stat.mode() & ~Modes.UMASK,
                          stat.devMajor(),
                          stat.devMinor()));
          return null;
        });
  }

  // ---- metadata ---------------------------------------------------------------------------

  /** A change to an upper node's metadata through its tree. */
  interface UpperChange {
    void apply(Tree upper, Path backing, Node node) throws IOException;
  }

  /** Copies the node at {@code path} up (content included) and changes it there. */
  void modifyUpper(UnionPath path, boolean follow, UpperChange change) throws IOException {
    checkWritable();
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Node node = node(path, follow);
      if (!node.isIn(0)) {
        writer.copyUp(node.path(), true);
        continue;
      }
      boolean done =
          exclusive(
              () -> {
                Node again = resolver.reload(node.path());
                if (again == null || !again.isIn(0)) {
                  return false;
                }
                change.apply(branches.tree(0), again.top().path(), again);
                return true;
              });
      if (done) {
        return;
      }
    }
    throw new FileSystemException(path.toString(), null, "changed too often while changing it");
  }

  /** Sets the modification time (the only time a tree keeps); nothing happens for all nulls. */
  void setTimes(UnionPath path, boolean follow, FileTime modified, FileTime accessed)
      throws IOException {
    if (modified == null && accessed == null) {
      return;
    }
    modifyUpper(
        path,
        follow,
        (tree, backing, node) -> {
          if (modified != null) {
            tree.setMtime(backing, modified);
          }
        });
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /** Closes every channel still open and flushes the upper tree's records. */
  void close() throws IOException {
    exclusive(
        () -> {
          IOException failure = null;
          for (Channel channel : channels) {
            try {
              channel.close();
            } catch (IOException e) {
              failure = addTo(failure, e);
            }
          }
          channels.clear();
          if (writable) {
            try {
              branches.tree(0).flush();
            } catch (IOException e) {
              failure = addTo(failure, e);
            }
          }
          if (failure != null) {
            throw failure;
          }
          return null;
        });
  }

  private static IOException addTo(IOException first, IOException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }
}
