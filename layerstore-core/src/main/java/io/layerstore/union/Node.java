package io.layerstore.union;

import io.layerstore.platform.NodeStat;
import java.util.List;

/**
 * A node as one lookup saw it: its real path in the union (no symlinks, no dots) and the branch
 * nodes that make it up, topmost first. A non-directory has exactly one layer; a directory has
 * every directory it merges, down to the first opaque one. The first layer decides type and
 * attributes, as in overlayfs. A snapshot: after any change it is looked up again.
 *
 * @param path names from the root; empty for the root itself
 * @param layers never empty
 */
record Node(List<String> path, List<Layer> layers) {

  Node {
    path = List.copyOf(path);
    layers = List.copyOf(layers);
  }

  Layer top() {
    return layers.get(0);
  }

  NodeStat stat() {
    return top().stat();
  }

  boolean isDirectory() {
    return stat().isDirectory();
  }

  boolean isSymlink() {
    return stat().isSymlink();
  }

  boolean isRoot() {
    return path.isEmpty();
  }

  String name() {
    return path.isEmpty() ? "" : path.get(path.size() - 1);
  }

  /** Whether the topmost layer is in branch {@code branch}. */
  boolean isIn(int branch) {
    return top().branch() == branch;
  }

  /** A directory merging layers of several branches; overlayfs reports {@code nlink} 1 then. */
  boolean isMerged() {
    return layers.size() > 1;
  }

  /** Whether any layer comes from a branch below {@code branch}. */
  boolean hasLayersBelow(int branch) {
    return layers.get(layers.size() - 1).branch() > branch;
  }
}
