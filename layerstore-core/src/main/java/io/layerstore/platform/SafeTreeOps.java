package io.layerstore.platform;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Recursive delete and rename that stay inside a tree whatever the tree contains.
 *
 * <p>A layer's content is untrusted: a symlink in it may point anywhere on the host, and a
 * directory may be read-only. So nothing here resolves a path through a symlink below the root.
 * Where the file system offers a {@link SecureDirectoryStream} (the default provider on Linux,
 * jimfs) every step is taken relative to an open directory, with no-follow lookups, so even a tree
 * changed while we work cannot redirect us (the {@code openat}/{@code unlinkat} discipline). Where
 * it does not, each step checks the node with lstat first; that is correct for a tree nobody else
 * changes meanwhile, and is the best such a file system permits.
 *
 * <p>Read-only directories are made owner-writable (and readable and searchable) when, and only
 * when, a removal in them is refused; the directory is about to go anyway. A directory that cannot
 * even be opened is changed by path, after an lstat showed it to be a directory. Removing a file
 * never depends on the file's own mode on POSIX systems.
 *
 * <p>Each level of nesting keeps one directory open while its children are removed, so a tree
 * nested deeper than the process's descriptor limit fails with an IOException (never a wrong
 * removal).
 */
final class SafeTreeOps {
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};
  private static final Set<PosixFilePermission> OWNER_RWX =
      EnumSet.of(
          PosixFilePermission.OWNER_READ,
          PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_EXECUTE);

  private final TreePaths paths;
  private final boolean secureWhereAvailable;

  SafeTreeOps(TreePaths paths) {
    this(paths, true);
  }

  /** {@code secureWhereAvailable = false} forces the lstat-checked walk (for its tests). */
  SafeTreeOps(TreePaths paths, boolean secureWhereAvailable) {
    this.paths = paths;
    this.secureWhereAvailable = secureWhereAvailable;
  }

  /** Told of each node other than a directory just before it is unlinked. */
  interface Removal {
    void removing(BasicFileAttributes attrs);
  }

  /** Deletes the node at {@code path} (from {@link TreePaths#inside}) and everything below it. */
  void delete(Path path) throws IOException {
    delete(path, attrs -> {});
  }

  /** Like {@link #delete(Path)}, telling {@code removal} of every non-directory it unlinks. */
  void delete(Path path, Removal removal) throws IOException {
    Path root = paths.root();
    if (path.equals(root)) {
      if (!Files.isDirectory(root, NOFOLLOW)) {
        Files.deleteIfExists(root);
        return;
      }
      try (Dir dir = openRoot()) {
        for (Path child : dir.names()) {
          deleteEntry(dir, child, removal);
        }
      }
      Files.delete(root);
      return;
    }
    try (Dir parent = walkTo(path.getParent(), false)) {
      if (parent != null) {
        deleteEntry(parent, path.getFileName(), removal);
      }
    }
  }

  /** Renames {@code from} to {@code to} (both below the root); {@code to} must not exist. */
  void move(Path from, Path to) throws IOException {
    if (to.startsWith(from)) {
      throw new FileSystemException(
          from.toString(), to.toString(), "cannot move a directory into itself");
    }
    try (Dir src = walkTo(from.getParent(), true);
        Dir dst = walkTo(to.getParent(), true)) {
      Path srcName = from.getFileName();
      Path dstName = to.getFileName();
      if (src.lstat(srcName) == null) {
        throw new NoSuchFileException(from.toString());
      }
      if (dst.lstat(dstName) != null) {
        throw new FileAlreadyExistsException(to.toString());
      }
      src.moveTo(srcName, dst, dstName);
    }
  }

  private void deleteEntry(Dir parent, Path name, Removal removal) throws IOException {
    BasicFileAttributes attrs = parent.lstat(name);
    if (attrs == null) {
      return;
    }
    if (attrs.isDirectory()) {
      try (Dir dir = openForDelete(parent, name)) {
        for (Path child : dir.names()) {
          deleteEntry(dir, child, removal);
        }
      }
    } else {
      removal.removing(attrs);
    }
    try {
      parent.unlink(name, attrs.isDirectory());
    } catch (AccessDeniedException e) {
      parent.makeOwnerRwx(e);
      parent.unlink(name, attrs.isDirectory());
    }
  }

  private Dir openForDelete(Dir parent, Path name) throws IOException {
    try {
      return parent.open(name);
    } catch (AccessDeniedException e) {
      makeOwnerRwx(parent.path().resolve(name.toString()), e);
      return parent.open(name);
    }
  }

  /**
   * The directory {@code dir} (the root or below it), reached from the root without following a
   * symlink. Returns {@code null} when it does not exist (or a component is not a directory) and
   * {@code mustExist} is false. A symlink on the way is always an error.
   */
  private Dir walkTo(Path dir, boolean mustExist) throws IOException {
    Path root = paths.root();
    Dir cur = openRoot();
    try {
      Path rel = root.relativize(dir);
      Path at = root;
      if (!dir.equals(root)) {
        for (Path part : rel) {
          at = at.resolve(part.toString());
          BasicFileAttributes attrs = cur.lstat(part);
          if (attrs != null && attrs.isSymbolicLink()) {
            throw new FileSystemException(
                at.toString(), null, "is a symbolic link; a tree never resolves through one");
          }
          if (attrs == null || !attrs.isDirectory()) {
            if (!mustExist) {
              cur.close();
              return null;
            }
            throw attrs == null
                ? new NoSuchFileException(at.toString())
                : new NotDirectoryException(at.toString());
          }
          Dir next = cur.open(part);
          cur.close();
          cur = next;
        }
      }
      return cur;
    } catch (IOException | RuntimeException e) {
      cur.close();
      throw e;
    }
  }

  private Dir openRoot() throws IOException {
    Path root = paths.root();
    if (secureWhereAvailable) {
      DirectoryStream<Path> ds = Files.newDirectoryStream(root);
      if (ds instanceof SecureDirectoryStream) {
        return new SecureDir(root, (SecureDirectoryStream<Path>) ds);
      }
      ds.close();
    }
    return new CheckedDir(root);
  }

  /** Adds owner rwx to the directory at {@code dir} by path, or rethrows {@code cause}. */
  private static void makeOwnerRwx(Path dir, AccessDeniedException cause) throws IOException {
    PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
    if (view == null) {
      throw cause;
    }
    Set<PosixFilePermission> perms = view.readAttributes().permissions();
    if (perms.containsAll(OWNER_RWX)) {
      throw cause;
    }
    perms.addAll(OWNER_RWX);
    view.setPermissions(perms);
  }

  /**
   * {@code e} naming {@code file} (and {@code other}) in full: a secure stream's errors name only
   * the entry, relative to its directory. Keeps the exception type callers test for.
   */
  static FileSystemException withPath(FileSystemException e, Path file, Path... other) {
    String f = file.toString();
    String o = other.length > 0 ? other[0].toString() : e.getOtherFile();
    String r = e.getReason();
    FileSystemException out;
    if (e instanceof AccessDeniedException) {
      out = new AccessDeniedException(f, o, r);
    } else if (e instanceof NoSuchFileException) {
      out = new NoSuchFileException(f, o, r);
    } else if (e instanceof FileAlreadyExistsException) {
      out = new FileAlreadyExistsException(f, o, r);
    } else if (e instanceof DirectoryNotEmptyException) {
      out = new DirectoryNotEmptyException(f);
    } else if (e instanceof NotDirectoryException) {
      out = new NotDirectoryException(f);
    } else {
      out = new FileSystemException(f, o, r);
    }
    out.initCause(e);
    return out;
  }

  /** One open directory of the tree, and the operations on its entries by name. */
  private interface Dir extends Closeable {
    Path path();

    /** Names of the entries, read in full before any is removed. */
    List<Path> names() throws IOException;

    /** lstat of entry {@code name}, or {@code null} if there is none. */
    BasicFileAttributes lstat(Path name) throws IOException;

    /** Opens entry {@code name}, a directory, without following a symlink. */
    Dir open(Path name) throws IOException;

    void unlink(Path name, boolean isDirectory) throws IOException;

    void moveTo(Path name, Dir target, Path targetName) throws IOException;

    /** Adds owner rwx to this directory, or rethrows {@code cause} if that cannot help. */
    void makeOwnerRwx(AccessDeniedException cause) throws IOException;

    @Override
    void close() throws IOException;
  }

  /** Relative to an open directory descriptor: nothing is looked up by full path. */
  private static final class SecureDir implements Dir {
    private final Path path;
    private final SecureDirectoryStream<Path> stream;

    SecureDir(Path path, SecureDirectoryStream<Path> stream) {
      this.path = path;
      this.stream = stream;
    }

    @Override
    public Path path() {
      return path;
    }

    @Override
    public List<Path> names() throws IOException {
      List<Path> names = new ArrayList<>();
      try {
        for (Path p : stream) {
          names.add(p.getFileName());
        }
      } catch (DirectoryIteratorException e) {
        throw e.getCause();
      }
      return names;
    }

    @Override
    public BasicFileAttributes lstat(Path name) throws IOException {
      try {
        return stream
            .getFileAttributeView(name, BasicFileAttributeView.class, NOFOLLOW)
            .readAttributes();
      } catch (NoSuchFileException e) {
        return null;
      } catch (FileSystemException e) {
        throw withPath(e, path.resolve(name.toString()));
      }
    }

    @Override
    public Dir open(Path name) throws IOException {
      Path p = path.resolve(name.toString());
      try {
        return new SecureDir(p, stream.newDirectoryStream(name, NOFOLLOW));
      } catch (FileSystemException e) {
        throw withPath(e, p);
      }
    }

    @Override
    public void unlink(Path name, boolean isDirectory) throws IOException {
      try {
        if (isDirectory) {
          stream.deleteDirectory(name);
        } else {
          stream.deleteFile(name);
        }
      } catch (FileSystemException e) {
        throw withPath(e, path.resolve(name.toString()));
      }
    }

    @Override
    public void moveTo(Path name, Dir target, Path targetName) throws IOException {
      SecureDir dst = (SecureDir) target;
      try {
        stream.move(name, dst.stream, targetName);
      } catch (FileSystemException e) {
        throw withPath(e, path.resolve(name.toString()), dst.path.resolve(targetName.toString()));
      }
    }

    @Override
    public void makeOwnerRwx(AccessDeniedException cause) throws IOException {
      PosixFileAttributeView view = stream.getFileAttributeView(PosixFileAttributeView.class);
      if (view == null) {
        throw cause;
      }
      Set<PosixFilePermission> perms = view.readAttributes().permissions();
      if (perms.containsAll(OWNER_RWX)) {
        throw cause;
      }
      perms.addAll(OWNER_RWX);
      view.setPermissions(perms);
    }

    @Override
    public void close() throws IOException {
      stream.close();
    }
  }

  /** By path, each node lstat-checked before it is used. */
  private static final class CheckedDir implements Dir {
    private final Path path;

    CheckedDir(Path path) {
      this.path = path;
    }

    @Override
    public Path path() {
      return path;
    }

    @Override
    public List<Path> names() throws IOException {
      List<Path> names = new ArrayList<>();
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(path)) {
        for (Path p : ds) {
          names.add(p.getFileName());
        }
      } catch (DirectoryIteratorException e) {
        throw e.getCause();
      }
      return names;
    }

    @Override
    public BasicFileAttributes lstat(Path name) throws IOException {
      try {
        return Files.readAttributes(entry(name), BasicFileAttributes.class, NOFOLLOW);
      } catch (NoSuchFileException e) {
        return null;
      }
    }

    @Override
    public Dir open(Path name) throws IOException {
      Path p = entry(name);
      BasicFileAttributes attrs = Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
      if (!attrs.isDirectory()) {
        throw new NotDirectoryException(p.toString());
      }
      // Opening checks readability, as a secure stream's open would.
      Files.newDirectoryStream(p).close();
      return new CheckedDir(p);
    }

    @Override
    public void unlink(Path name, boolean isDirectory) throws IOException {
      Files.delete(entry(name));
    }

    @Override
    public void moveTo(Path name, Dir target, Path targetName) throws IOException {
      Files.move(entry(name), ((CheckedDir) target).entry(targetName), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public void makeOwnerRwx(AccessDeniedException cause) throws IOException {
      SafeTreeOps.makeOwnerRwx(path, cause);
    }

    @Override
    public void close() {}

    private Path entry(Path name) {
      return path.resolve(name.toString());
    }
  }
}
