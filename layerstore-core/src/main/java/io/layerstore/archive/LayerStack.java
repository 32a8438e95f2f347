package io.layerstore.archive;

import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

/**
 * The merged view of a stack of layer directories, read straight from their {@link Tree}s without
 * mounting anything: what a union mount of the same directories would show, as overlayfs resolves
 * it (the topmost layer holding a name wins; a whiteout hides the name in every layer below; a
 * non-directory hides everything below it; an opaque directory hides the same directory in every
 * layer below).
 *
 * <p>Used where a whole mount would be wasteful or unsafe: the change list of a container (a few
 * lookups in the image below its read-write layer) and the export of a container's file system (a
 * walk that reads each node from the layer that shows it, so no path is ever resolved through a
 * symlink of the image).
 *
 * <p>A {@link Dir} remembers which layers contribute to one merged directory, so walking down a
 * tree costs one lookup per layer and level rather than a walk from the root for every name.
 */
public final class LayerStack {

  private final List<Tree> layers;
  private final WhiteoutFormat format;

  /**
   * @param layers the layers' trees, topmost first
   */
  public LayerStack(List<Tree> layers, WhiteoutFormat format) {
    this.layers = List.copyOf(layers);
    this.format = format;
  }

  public List<Tree> layers() {
    return layers;
  }

  public WhiteoutFormat format() {
    return format;
  }

  /** One visible node: the layer that shows it, its path there and what it is. */
  public record Node(int layer, Tree tree, Path path, NodeStat stat) {
    public boolean isDirectory() {
      return stat.isDirectory();
    }
  }

  /**
   * A merged directory: the directories of the layers that make it up, topmost first, ending at the
   * first opaque one.
   */
  public static final class Dir {
    private final List<Node> parts;

    private Dir(List<Node> parts) {
      this.parts = parts;
    }

    /** The node the merged directory shows (the topmost part). */
    public Node node() {
      return parts.get(0);
    }
  }

  /** The merged root; null for an empty stack. */
  public Dir root() throws IOException {
    List<Node> parts = new ArrayList<>();
    for (int i = 0; i < layers.size(); i++) {
      Tree t = layers.get(i);
      NodeStat st = t.stat(t.root());
      parts.add(new Node(i, t, t.root(), st)); // a layer root's opaqueness hides nothing
    }
    return parts.isEmpty() ? null : new Dir(parts);
  }

  /** The node called {@code name} in {@code dir}, or null if the merged view shows none. */
  public Node child(Dir dir, String name) throws IOException {
    if (isReserved(name)) {
      return null;
    }
    for (Node part : dir.parts) {
      Tree t = part.tree();
      Path wh = format.whiteoutPath(part.path(), name);
      Path p = part.path().resolve(name);
      if (!wh.equals(p)) {
        NodeStat w = t.statIfExists(wh);
        if (w != null
            && format.role(wh.getFileName().toString(), w) == WhiteoutFormat.Role.WHITEOUT) {
          return null;
        }
      }
      NodeStat st = t.statIfExists(p);
      if (st == null) {
        continue;
      }
      WhiteoutFormat.Role role = format.role(name, st);
      if (role == WhiteoutFormat.Role.WHITEOUT) {
        return null;
      }
      if (role == WhiteoutFormat.Role.HIDDEN) {
        continue;
      }
      return new Node(part.layer(), t, p, st);
    }
    return null;
  }

  /** The merged directory called {@code name} in {@code dir}, or null if it is not a directory. */
  public Dir childDir(Dir dir, String name) throws IOException {
    if (isReserved(name)) {
      return null;
    }
    List<Node> parts = new ArrayList<>();
    for (Node part : dir.parts) {
      Tree t = part.tree();
      Path wh = format.whiteoutPath(part.path(), name);
      Path p = part.path().resolve(name);
      if (!wh.equals(p)) {
        NodeStat w = t.statIfExists(wh);
        if (w != null
            && format.role(wh.getFileName().toString(), w) == WhiteoutFormat.Role.WHITEOUT) {
          break;
        }
      }
      NodeStat st = t.statIfExists(p);
      if (st == null) {
        continue;
      }
      WhiteoutFormat.Role role = format.role(name, st);
      if (role == WhiteoutFormat.Role.HIDDEN) {
        continue;
      }
      if (role == WhiteoutFormat.Role.WHITEOUT || !st.isDirectory()) {
        break;
      }
      parts.add(new Node(part.layer(), t, p, st));
      if (format.isOpaque(t, p)) {
        break;
      }
    }
    return parts.isEmpty() ? null : new Dir(parts);
  }

  /** The merged directory at {@code rel} ({@code a/b}, empty for the root), or null. */
  public Dir dir(String rel) throws IOException {
    Dir d = root();
    if (rel.isEmpty() || d == null) {
      return d;
    }
    for (String part : rel.split("/")) {
      d = childDir(d, part);
      if (d == null) {
        return null;
      }
    }
    return d;
  }

  /** The node at {@code rel} ({@code a/b}, empty for the root), or null. */
  public Node lookup(String rel) throws IOException {
    if (rel.isEmpty()) {
      Dir r = root();
      return r == null ? null : r.node();
    }
    int slash = rel.lastIndexOf('/');
    Dir parent = dir(slash < 0 ? "" : rel.substring(0, slash));
    return parent == null ? null : child(parent, rel.substring(slash + 1));
  }

  /** The names {@code dir} shows with the node behind each, in byte order of the names. */
  public List<Entry> list(Dir dir) throws IOException {
    TreeMap<String, Node> shown = new TreeMap<>(DiffWriter::compareBytes);
    Set<String> hidden = new HashSet<>();
    for (Node part : dir.parts) {
      Tree t = part.tree();
      List<String> whitedOut = new ArrayList<>();
      for (Path p : DiffWriter.sortedChildren(part.path())) {
        String name = p.getFileName().toString();
        if (isReserved(name)) {
          continue;
        }
        NodeStat st = t.stat(p);
        WhiteoutFormat.Role role = format.role(name, st);
        if (role == WhiteoutFormat.Role.WHITEOUT) {
          whitedOut.add(format.whitedOutName(name));
        } else if (role == WhiteoutFormat.Role.VISIBLE
            && !hidden.contains(name)
            && !shown.containsKey(name)) {
          shown.put(name, new Node(part.layer(), t, p, st));
        }
      }
      hidden.addAll(whitedOut);
    }
    List<Entry> out = new ArrayList<>(shown.size());
    shown.forEach((k, v) -> out.add(new Entry(k, v)));
    return Collections.unmodifiableList(out);
  }

  /** One name of a merged directory listing. */
  public record Entry(String name, Node node) {}

  /** Names no layer shows: the in-process union's staging files. */
  static boolean isReserved(String name) {
    return name.startsWith(DiffWriter.COPYUP_PREFIX);
  }
}
