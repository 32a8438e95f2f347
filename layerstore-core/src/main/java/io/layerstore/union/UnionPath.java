package io.layerstore.union;

import com.google.common.collect.ImmutableList;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A path of a union file system: Unix syntax, {@code /} the only separator and the only root.
 * Purely lexical; nothing here touches a branch. A relative path is taken relative to {@code /},
 * the union has no other working directory (it is a root file system).
 *
 * <p>The empty path has no names internally but, like a Unix path, reports one (empty) name.
 */
final class UnionPath implements Path {

  private final UnionFileSystem fs;
  private final boolean absolute;
  private final ImmutableList<String> names;
  private final String string;

  private UnionPath(UnionFileSystem fs, boolean absolute, List<String> names) {
    this.fs = fs;
    this.absolute = absolute;
    this.names = ImmutableList.copyOf(names);
    this.string = (absolute ? "/" : "") + String.join("/", names);
  }

  /** Parses {@code first} and {@code more} joined by {@code /}; empty segments are dropped. */
  static UnionPath parse(UnionFileSystem fs, String first, String... more) {
    StringBuilder joined = new StringBuilder(first);
    for (String part : more) {
      if (!part.isEmpty()) {
        if (joined.length() > 0) {
          joined.append('/');
        }
        joined.append(part);
      }
    }
    String text = joined.toString();
    int nul = text.indexOf('\0');
    if (nul >= 0) {
      throw new InvalidPathException(text, "NUL character not allowed", nul);
    }
    List<String> names = new ArrayList<>();
    for (String name : text.split("/")) {
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    return new UnionPath(fs, text.startsWith("/"), names);
  }

  static UnionPath root(UnionFileSystem fs) {
    return new UnionPath(fs, true, List.of());
  }

  static UnionPath absolute(UnionFileSystem fs, List<String> names) {
    return new UnionPath(fs, true, names);
  }

  /** The names of this path; empty for the root and for the empty path. */
  ImmutableList<String> names() {
    return names;
  }

  private boolean isEmptyPath() {
    return !absolute && names.isEmpty();
  }

  @Override
  public UnionFileSystem getFileSystem() {
    return fs;
  }

  @Override
  public boolean isAbsolute() {
    return absolute;
  }

  @Override
  public Path getRoot() {
    return absolute ? root(fs) : null;
  }

  @Override
  public Path getFileName() {
    if (isEmptyPath()) {
      return this;
    }
    return names.isEmpty()
        ? null
        : new UnionPath(fs, false, names.subList(names.size() - 1, names.size()));
  }

  @Override
  public Path getParent() {
    if (names.isEmpty() || (names.size() == 1 && !absolute)) {
      return null;
    }
    return new UnionPath(fs, absolute, names.subList(0, names.size() - 1));
  }

  @Override
  public int getNameCount() {
    return isEmptyPath() ? 1 : names.size();
  }

  @Override
  public Path getName(int index) {
    if (isEmptyPath() && index == 0) {
      return this;
    }
    return subpath(index, index + 1);
  }

  @Override
  public Path subpath(int beginIndex, int endIndex) {
    if (beginIndex < 0 || endIndex > names.size() || beginIndex >= endIndex) {
      throw new IllegalArgumentException(
          "subpath(" + beginIndex + ", " + endIndex + ") of " + names.size() + " names");
    }
    return new UnionPath(fs, false, names.subList(beginIndex, endIndex));
  }

  @Override
  public boolean startsWith(Path other) {
    UnionPath that = sameFs(other);
    if (that == null || that.absolute != absolute) {
      return false;
    }
    if (that.isEmptyPath()) {
      return isEmptyPath();
    }
    return that.names.size() <= names.size()
        && names.subList(0, that.names.size()).equals(that.names);
  }

  @Override
  public boolean endsWith(Path other) {
    UnionPath that = sameFs(other);
    if (that == null) {
      return false;
    }
    if (that.absolute) {
      return equals(that);
    }
    if (that.isEmptyPath()) {
      return isEmptyPath();
    }
    int n = that.names.size();
    return n <= names.size() && names.subList(names.size() - n, names.size()).equals(that.names);
  }

  private UnionPath sameFs(Path other) {
    return other instanceof UnionPath && ((UnionPath) other).fs == fs ? (UnionPath) other : null;
  }

  @Override
  public Path normalize() {
    List<String> out = new ArrayList<>();
    for (String name : names) {
      if (name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (!out.isEmpty() && !out.get(out.size() - 1).equals("..")) {
          out.remove(out.size() - 1);
          continue;
        }
        if (absolute) {
          continue; // "/.." is "/"
        }
      }
      out.add(name);
    }
    return out.equals(names) ? this : new UnionPath(fs, absolute, out);
  }

  @Override
  public Path resolve(Path other) {
    UnionPath that = checkPath(other);
    if (that.absolute) {
      return that;
    }
    if (that.isEmptyPath()) {
      return this;
    }
    if (isEmptyPath()) {
      return that;
    }
    return new UnionPath(
        fs, absolute, ImmutableList.<String>builder().addAll(names).addAll(that.names).build());
  }

  @Override
  public Path relativize(Path other) {
    UnionPath that = checkPath(other);
    if (that.absolute != absolute) {
      throw new IllegalArgumentException("'" + other + "' and '" + this + "' differ in kind");
    }
    int common = 0;
    while (common < names.size()
        && common < that.names.size()
        && names.get(common).equals(that.names.get(common))) {
      common++;
    }
    List<String> out = new ArrayList<>();
    for (int i = common; i < names.size(); i++) {
      out.add("..");
    }
    out.addAll(that.names.subList(common, that.names.size()));
    return new UnionPath(fs, false, out);
  }

  @Override
  public URI toUri() {
    try {
      return new URI(UnionFileSystemProvider.SCHEME, fs.id(), toAbsolutePath().toString(), null);
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot make a URI of " + this, e);
    }
  }

  @Override
  public UnionPath toAbsolutePath() {
    return absolute ? this : new UnionPath(fs, true, names);
  }

  @Override
  public Path toRealPath(LinkOption... options) throws IOException {
    return fs.operations().realPath(this, Options.followLinks(options));
  }

  @Override
  public WatchKey register(
      WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
    throw new UnsupportedOperationException("a union file system cannot be watched");
  }

  @Override
  public int compareTo(Path other) {
    return string.compareTo(((UnionPath) other).string);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UnionPath
        && ((UnionPath) o).fs == fs
        && ((UnionPath) o).string.equals(string);
  }

  @Override
  public int hashCode() {
    return Objects.hash(System.identityHashCode(fs), string);
  }

  @Override
  public String toString() {
    return string;
  }

  /** {@code other} as a path of this file system, or {@link ProviderMismatchException}. */
  UnionPath checkPath(Path other) {
    if (!(other instanceof UnionPath) || ((UnionPath) other).fs != fs) {
      throw new ProviderMismatchException("not a path of this union file system: " + other);
    }
    return (UnionPath) other;
  }
}
