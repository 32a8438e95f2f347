package io.layerstore.union;

import io.layerstore.archive.LayerStack;
import io.layerstore.platform.NodeStat;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Docker's own way of listing a container's changes, as the oracle for {@link
 * io.layerstore.archive.TreeDiff}: walk the whole merged tree before and after and compare them
 * node by node ({@code pkg/archive/changes.go}: {@code ChangesDirs}, {@code addChanges}, {@code
 * statDifferent}), with no shortcut through the upper layer. Written from Docker's algorithm, not
 * from our implementation.
 */
final class NaiveTreeDiff {
  private NaiveTreeDiff() {}

  /** One side of the comparison: a node, and its merged directory if it is one. */
  private record Info(LayerStack.Node node, LayerStack.Dir dir) {
    boolean isDir() {
      return node.stat().isDirectory();
    }
  }

  /** "A /path", "C /path", "D /path" lines, sorted. */
  static List<String> between(LayerStack before, LayerStack after) throws IOException {
    List<String> out = new ArrayList<>();
    LayerStack.Dir newRoot = after.root();
    LayerStack.Dir oldRoot = before.root();
    add(
        after,
        before,
        new Info(newRoot.node(), newRoot),
        new Info(oldRoot.node(), oldRoot),
        "",
        out);
    out.sort(null);
    return out;
  }

  /** {@code addChanges}: returns whether this node was recorded as added or changed. */
  private static void add(
      LayerStack after, LayerStack before, Info info, Info old, String path, List<String> out)
      throws IOException {
    add(after, before, info, old, path, out, false);
  }

  private static void add(
      LayerStack after,
      LayerStack before,
      Info info,
      Info old,
      String path,
      List<String> out,
      boolean changedByParent)
      throws IOException {
    int sizeAtEntry = out.size();
    boolean added = changedByParent;
    if (old == null) {
      out.add("A " + path);
      added = true;
    }
    Map<String, Info> oldChildren = new LinkedHashMap<>();
    if (old != null && info.isDir() && old.isDir()) {
      for (LayerStack.Entry e : before.list(old.dir())) {
        oldChildren.put(
            e.name(),
            new Info(
                e.node(), e.node().isDirectory() ? before.childDir(old.dir(), e.name()) : null));
      }
    }
    if (info.isDir()) {
      for (LayerStack.Entry e : after.list(info.dir())) {
        Info child =
            new Info(
                e.node(), e.node().isDirectory() ? after.childDir(info.dir(), e.name()) : null);
        Info oldChild = oldChildren.remove(e.name());
        boolean changed = false;
        if (oldChild != null
            && (statDifferent(oldChild.node(), child.node())
                || !sameCapability(oldChild.node(), child.node()))) {
          out.add("C " + path + "/" + e.name());
          changed = true;
        }
        add(after, before, child, oldChild, path + "/" + e.name(), out, changed);
      }
    }
    for (String gone : oldChildren.keySet()) {
      out.add("D " + path + "/" + gone);
    }
    if (out.size() > sizeAtEntry && info.isDir() && !added && !path.isEmpty()) {
      out.add(sizeAtEntry, "C " + path);
    }
  }

  private static boolean statDifferent(LayerStack.Node oldNode, LayerStack.Node newNode) {
    NodeStat o = oldNode.stat();
    NodeStat n = newNode.stat();
    if (o.fullMode() != n.fullMode()
        || o.uid() != n.uid()
        || o.gid() != n.gid()
        || o.devMajor() != n.devMajor()
        || o.devMinor() != n.devMinor()) {
      return true;
    }
    if (!o.isDirectory()) {
      java.time.Instant a = o.mtime().toInstant();
      java.time.Instant b = n.mtime().toInstant();
      boolean sameTime =
          a.getEpochSecond() == b.getEpochSecond()
              && (a.getNano() == b.getNano() || a.getNano() == 0 || b.getNano() == 0);
      return !sameTime || o.size() != n.size();
    }
    return false;
  }

  private static boolean sameCapability(LayerStack.Node a, LayerStack.Node b) throws IOException {
    return Arrays.equals(
        a.tree().getXattr(a.path(), "security.capability"),
        b.tree().getXattr(b.path(), "security.capability"));
  }
}
