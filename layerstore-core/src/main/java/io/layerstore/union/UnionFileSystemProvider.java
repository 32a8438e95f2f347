package io.layerstore.union;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.spi.FileSystemProvider;
import java.util.Map;
import java.util.Set;

/**
 * The provider of exactly one {@link UnionFileSystem}. Unions are made with {@link
 * UnionFileSystem#open}, never through a URI and never as an installed provider, so each has its
 * own provider instance and no provider keeps a registry. Every call checks that the union is still
 * open and hands the work to its operations.
 */
final class UnionFileSystemProvider extends FileSystemProvider {

  static final String SCHEME = "layerstore-union";

  private final UnionFileSystem fs;

  UnionFileSystemProvider(UnionFileSystem fs) {
    this.fs = fs;
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
    throw new UnsupportedOperationException(
        "a union file system is opened with UnionFileSystem.open, not by URI");
  }

  @Override
  public FileSystem getFileSystem(URI uri) {
    checkUri(uri);
    return fs;
  }

  @Override
  public Path getPath(URI uri) {
    checkUri(uri);
    return fs.getPath(uri.getPath());
  }

  private void checkUri(URI uri) {
    if (!SCHEME.equalsIgnoreCase(uri.getScheme()) || !fs.id().equals(uri.getAuthority())) {
      throw new FileSystemNotFoundException(uri.toString());
    }
  }

  private UnionPath path(Path path) {
    if (!(path instanceof UnionPath) || ((UnionPath) path).getFileSystem() != fs) {
      throw new ProviderMismatchException("not a path of " + fs + ": " + path);
    }
    fs.checkOpen();
    return (UnionPath) path;
  }

  @Override
  public SeekableByteChannel newByteChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    UnionPath union = path(path);
    return fs.use(() -> fs.operations().open(union, options, attrs, Files::newByteChannel));
  }

  @Override
  public FileChannel newFileChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    UnionPath union = path(path);
    return fs.use(
        () ->
            fs.operations()
                .open(
                    union,
                    options,
                    attrs,
                    (p, o) -> p.getFileSystem().provider().newFileChannel(p, o)));
  }

  @Override
  public DirectoryStream<Path> newDirectoryStream(
      Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
    UnionPath union = path(dir);
    return fs.use(() -> fs.operations().newDirectoryStream(union, filter));
  }

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    UnionPath union = path(dir);
    fs.use(() -> run(() -> fs.operations().createDirectory(union, attrs)));
  }

  @Override
  public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs)
      throws IOException {
    UnionPath union = path(link);
    UnionPath to = path(target);
    fs.use(() -> run(() -> fs.operations().createSymbolicLink(union, to, attrs)));
  }

  @Override
  public void createLink(Path link, Path existing) throws IOException {
    UnionPath union = path(link);
    UnionPath to = path(existing);
    fs.use(() -> run(() -> fs.operations().createLink(union, to)));
  }

  @Override
  public void delete(Path path) throws IOException {
    UnionPath union = path(path);
    fs.use(() -> run(() -> fs.operations().delete(union)));
  }

  @Override
  public Path readSymbolicLink(Path link) throws IOException {
    UnionPath union = path(link);
    return fs.use(() -> fs.operations().readSymbolicLink(union));
  }

  @Override
  public void copy(Path source, Path target, CopyOption... options) throws IOException {
    UnionPath from = path(source);
    UnionPath to = path(target);
    fs.use(() -> run(() -> fs.copyMove().copy(from, to, options)));
  }

  @Override
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    UnionPath from = path(source);
    UnionPath to = path(target);
    fs.use(() -> run(() -> fs.copyMove().move(from, to, options)));
  }

  @Override
  public boolean isSameFile(Path path, Path path2) throws IOException {
    UnionPath a = path(path);
    if (!(path2 instanceof UnionPath) || ((UnionPath) path2).getFileSystem() != fs) {
      return false;
    }
    return fs.use(() -> fs.operations().isSameFile(a, (UnionPath) path2));
  }

  @Override
  public boolean isHidden(Path path) {
    Path name = path(path).getFileName();
    return name != null && name.toString().startsWith(".");
  }

  @Override
  public FileStore getFileStore(Path path) throws IOException {
    UnionPath union = path(path);
    fs.use(() -> fs.operations().node(union, true));
    return fs.store();
  }

  @Override
  public void checkAccess(Path path, AccessMode... modes) throws IOException {
    UnionPath union = path(path);
    fs.use(() -> run(() -> fs.operations().checkAccess(union, modes)));
  }

  /** An operation without result. */
  private interface Action {
    void run() throws IOException;
  }

  private static Void run(Action action) throws IOException {
    action.run();
    return null;
  }

  @Override
  public <V extends FileAttributeView> V getFileAttributeView(
      Path path, Class<V> type, LinkOption... options) {
    return fs.attributes().view(path(path), type, Options.followLinks(options));
  }

  @Override
  public <A extends BasicFileAttributes> A readAttributes(
      Path path, Class<A> type, LinkOption... options) throws IOException {
    UnionPath union = path(path);
    return fs.use(() -> fs.attributes().read(union, type, Options.followLinks(options)));
  }

  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
      throws IOException {
    UnionPath union = path(path);
    return fs.use(() -> fs.attributes().read(union, attributes, Options.followLinks(options)));
  }

  @Override
  public void setAttribute(Path path, String attribute, Object value, LinkOption... options)
      throws IOException {
    UnionPath union = path(path);
    fs.use(
        () ->
            run(() -> fs.attributes().set(union, attribute, value, Options.followLinks(options))));
  }
}
