package io.layerstore.union;

import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A union mount done in process: the merged view of a stack of layer trees, with the result a
 * kernel overlayfs mount of the same directories would show, for places where the kernel cannot
 * mount (jimfs, no privilege). Lookup, listing, whiteouts and opaque directories follow overlayfs
 * (aufs shows the same for these cases), as do the writes: copy-up, whiteouts on removal, opaque
 * directories made over whiteouts, and EXDEV for renaming a directory a lower layer provides.
 *
 * <p>The view is a root file system: absolute symlink targets mean the union's own root, owners are
 * numeric ({@code "1234"}), and relative paths are taken from {@code /}. Everything a layer keeps
 * beyond plain NIO (device nodes, fifos, owners, setuid bits, xattrs) is read and written through
 * each branch's {@link Tree}.
 *
 * <pre>{@code
 * List<Tree> branches = List.of(rw, layer2, layer1);  // topmost first
 * try (FileSystem rootfs = UnionFileSystem.open(branches, new OverlayWhiteouts(), true)) {
 *   Files.writeString(rootfs.getPath("/etc/hostname"), "box\n");  // copies /etc up, then writes
 * }
 * }</pre>
 *
 * <p>Safe for use by several threads. Closing closes channels still open, flushes the upper tree
 * and makes every further access fail with {@link ClosedFileSystemException}.
 */
public final class UnionFileSystem extends FileSystem {

  private static final Logger log = LoggerFactory.getLogger(UnionFileSystem.class);

  private final String id = UUID.randomUUID().toString();
  private final UnionFileSystemProvider provider;
  private final UnionOperations operations;
  private final AttributeViews attributes;
  private final CopyMove copyMove;
  private final UnionFileStore store;
  private final NumericPrincipals principals = new NumericPrincipals();
  private final AtomicBoolean open = new AtomicBoolean(true);

  /**
   * Held shared by every running operation; {@link #close} takes it exclusively to wait them out.
   */
  private final ReadWriteLock inUse = new ReentrantReadWriteLock();

  /**
   * Opens the union of {@code branches}.
   *
   * @param branches the layers' trees, topmost first; when {@code writable}, the first is the
   *     read-write upper layer and all others are only read
   * @param format how the branches record whiteouts and opaque directories
   * @param writable whether writes are allowed; if not, every write fails with {@link
   *     java.nio.file.ReadOnlyFileSystemException} (an access check for writing with {@link
   *     java.nio.file.AccessDeniedException})
   * @return the union, whose {@code getPath("/")} is the merged root
   */
  public static FileSystem open(List<Tree> branches, WhiteoutFormat format, boolean writable) {
    Objects.requireNonNull(format, "format");
    if (branches.isEmpty()) {
      throw new IllegalArgumentException("a union needs at least one branch");
    }
    for (Tree tree : branches) {
      Objects.requireNonNull(tree, "branch");
    }
    return new UnionFileSystem(new Branches(branches, format), writable);
  }

  private UnionFileSystem(Branches branches, boolean writable) {
    this.provider = new UnionFileSystemProvider(this);
    this.operations = new UnionOperations(this, branches, writable);
    this.attributes = new AttributeViews(operations, Integer.toUnsignedLong(id.hashCode()));
    this.copyMove = new CopyMove(this, operations);
    this.store = new UnionFileStore(this);
    log.debug(
        "opened {} union {} of {} branches",
        writable ? "writable" : "read-only",
        id,
        branches.count());
  }

  String id() {
    return id;
  }

  UnionOperations operations() {
    return operations;
  }

  AttributeViews attributes() {
    return attributes;
  }

  CopyMove copyMove() {
    return copyMove;
  }

  /**
   * Runs one operation of this union: fails with {@link ClosedFileSystemException} once the union
   * is closed, and makes {@link #close} wait until the operation is done, so nothing reaches the
   * upper tree after its records were flushed.
   */
  <T> T use(UnionOperations.Locked<T> operation) throws IOException {
    inUse.readLock().lock();
    try {
      checkOpen();
      return operation.run();
    } finally {
      inUse.readLock().unlock();
    }
  }

  /** Fails with {@link ClosedFileSystemException} once the union is closed. */
  void checkOpen() {
    if (!open.get()) {
      throw new ClosedFileSystemException();
    }
  }

  @Override
  public FileSystemProvider provider() {
    return provider;
  }

  @Override
  public void close() throws IOException {
    if (open.compareAndSet(true, false)) {
      inUse.writeLock().lock();
      try {
        operations.close();
      } finally {
        inUse.writeLock().unlock();
      }
      log.debug("closed union {}", id);
    }
  }

  @Override
  public boolean isOpen() {
    return open.get();
  }

  @Override
  public boolean isReadOnly() {
    return !operations.isWritable();
  }

  @Override
  public String getSeparator() {
    return "/";
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    checkOpen();
    return List.of(UnionPath.root(this));
  }

  @Override
  public Iterable<FileStore> getFileStores() {
    checkOpen();
    return List.of(store);
  }

  FileStore store() {
    return store;
  }

  @Override
  public Set<String> supportedFileAttributeViews() {
    return AttributeViews.NAMES;
  }

  @Override
  public Path getPath(String first, String... more) {
    return UnionPath.parse(this, first, more);
  }

  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    return Globs.matcher(syntaxAndPattern);
  }

  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    return principals;
  }

  @Override
  public WatchService newWatchService() {
    throw new UnsupportedOperationException("a union file system cannot be watched");
  }

  @Override
  public String toString() {
    return UnionFileSystemProvider.SCHEME + "://" + id;
  }
}
