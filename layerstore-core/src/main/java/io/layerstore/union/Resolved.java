package io.layerstore.union;

/**
 * Where a lookup ended: the directory holding the last name, the name, and the node if one is
 * visible there. For the root, {@code parent} is {@code null} and {@code name} is empty.
 */
record Resolved(Node parent, String name, Node node) {

  boolean exists() {
    return node != null;
  }
}
