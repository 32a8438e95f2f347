package io.layerstore.platform;

import java.nio.file.Path;

/**
 * Run by {@link NonRootRunner} as an unprivileged user: deletes {@code args[1]} below the tree
 * {@code args[0]}, with secure streams if {@code args[2]} is true. Exits non-zero on failure.
 */
public final class SafeDeleteChild {
  private SafeDeleteChild() {}

  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[0]);
    new SafeTreeOps(new TreePaths(root), Boolean.parseBoolean(args[2]))
        .delete(root.resolve(args[1]));
  }
}
