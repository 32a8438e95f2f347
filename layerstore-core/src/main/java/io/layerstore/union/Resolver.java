package io.layerstore.union;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Walks a union path name by name the way the kernel's path walk does: {@code ..} goes to the
 * parent of what was actually reached (so {@code link/..} is the parent of the link's target), and
 * a symlink's target is read from the winning branch and resolved inside the union. An absolute
 * target starts again at the union root, never at the host's: the union is a root file system.
 */
final class Resolver {

  /** Linux's MAXSYMLINKS. */
  static final int MAX_SYMLINKS = 40;

  private final UnionFileSystem fs;
  private final Branches branches;

  Resolver(UnionFileSystem fs, Branches branches) {
    this.fs = fs;
    this.branches = branches;
  }

  /**
   * Resolves {@code path}. Every symlink on the way is followed; the last one only if {@code
   * followLast}. A missing last name gives a result without node; a missing or non-directory name
   * before it fails.
   */
  Resolved resolve(UnionPath path, boolean followLast) throws IOException {
    Deque<String> todo = new ArrayDeque<>(path.toAbsolutePath().names());
    List<Node> reached = new ArrayList<>();
    Node root = branches.root();
    reached.add(root);
    int links = 0;
    while (!todo.isEmpty()) {
      String name = todo.removeFirst();
      if (name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (reached.size() > 1) {
          reached.remove(reached.size() - 1);
        }
        continue;
      }
      Node dir = reached.get(reached.size() - 1);
      if (!dir.isDirectory()) {
        throw new FileSystemException(path.toString(), null, "Not a directory");
      }
      Node child = branches.child(dir, name);
      boolean last = todo.isEmpty();
      if (child == null) {
        if (last) {
          return new Resolved(dir, name, null);
        }
        throw new NoSuchFileException(path.toString());
      }
      if (child.isSymlink() && (followLast || !last)) {
        if (++links > MAX_SYMLINKS) {
          throw new FileSystemException(path.toString(), null, "Too many levels of symbolic links");
        }
        String target = Files.readSymbolicLink(child.top().path()).toString();
        if (target.isEmpty()) {
          throw new NoSuchFileException(path.toString(), null, "empty symlink target");
        }
        UnionPath targetPath = UnionPath.parse(fs, target);
        List<String> names = targetPath.names();
        for (int i = names.size() - 1; i >= 0; i--) {
          todo.addFirst(names.get(i));
        }
        if (targetPath.isAbsolute()) {
          reached.subList(1, reached.size()).clear();
        }
        continue;
      }
      reached.add(child);
    }
    Node node = reached.get(reached.size() - 1);
    if (reached.size() == 1) {
      return new Resolved(null, "", node);
    }
    return new Resolved(reached.get(reached.size() - 2), node.name(), node);
  }

  /** The node at {@code path}, failing with {@link NoSuchFileException} if there is none. */
  Node existing(UnionPath path, boolean follow) throws IOException {
    Resolved resolved = resolve(path, follow);
    if (!resolved.exists()) {
      throw new NoSuchFileException(path.toString());
    }
    return resolved.node();
  }

  /** Looks a real path (as a {@link Node} carries it) up again, or {@code null}. */
  Node reload(List<String> realPath) throws IOException {
    Node node = branches.root();
    for (String name : realPath) {
      if (!node.isDirectory()) {
        return null;
      }
      node = branches.child(node, name);
      if (node == null) {
        return null;
      }
    }
    return node;
  }
}
