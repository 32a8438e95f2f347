package io.layerstore.platform;

import java.nio.file.Path;

/**
 * Keeps a tree's paths inside its root and names them the way records do: relative, joined with
 * {@code /} whatever the file system's separator, the root itself being {@code ""}. Checking is
 * lexical (the path is normalized first); symlinks below the root are the business of {@link
 * SafeTreeOps}, which never resolves through them.
 */
final class TreePaths {
  private final Path root;

  TreePaths(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  Path root() {
    return root;
  }

  /** {@code path} made absolute and normalized; fails unless it lies in (or is) the root. */
  Path inside(Path path) {
    if (path.getFileSystem() != root.getFileSystem()) {
      throw new IllegalArgumentException(path + " is not on the file system of tree " + root);
    }
    Path p = path.toAbsolutePath().normalize();
    if (!p.startsWith(root)) {
      throw new IllegalArgumentException(path + " is outside tree " + root);
    }
    return p;
  }

  /** Like {@link #inside} but refuses the root itself. */
  Path below(Path path) {
    Path p = inside(path);
    if (p.equals(root)) {
      throw new IllegalArgumentException(path + " is the root of the tree, not a node in it");
    }
    return p;
  }

  /** The record name of {@code inside}, which must come from {@link #inside}. */
  String name(Path inside) {
    Path rel = root.relativize(inside);
    int n = rel.getNameCount();
    if (n == 1 && rel.getFileName().toString().isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (i > 0) {
        sb.append('/');
      }
      sb.append(rel.getName(i));
    }
    return sb.toString();
  }

  /** The path of record name {@code name}. */
  Path resolve(String name) {
    Path p = root;
    if (name.isEmpty()) {
      return p;
    }
    int start = 0;
    while (true) {
      int slash = name.indexOf('/', start);
      String part = slash < 0 ? name.substring(start) : name.substring(start, slash);
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw new IllegalArgumentException("bad record name: " + name);
      }
      p = p.resolve(part);
      if (slash < 0) {
        return p;
      }
      start = slash + 1;
    }
  }

  /** Whether record name {@code name} is {@code dir} or lies below it. */
  static boolean isUnder(String name, String dir) {
    return dir.isEmpty()
        || name.equals(dir)
        || (name.length() > dir.length()
            && name.startsWith(dir)
            && name.charAt(dir.length()) == '/');
  }
}
