package io.layerstore.archive;

import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import io.layerstore.spi.WhiteoutFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a layer changes relative to the layers below it, as {@code docker diff} lists it: {@code A}
 * added, {@code C} changed, {@code D} deleted, paths rooted at {@code /}. Computed from the
 * layer's own directory alone (its cost follows the size of the change, not of the image), with
 * lookups in the lower layers to tell an addition from a change.
 *
 * <p>Rules: a whiteout is a deletion; an opaque directory deletes what the lower layers had in it;
 * a directory that exists below is listed as changed only when its mode, owner or mtime differ;
 * the parent directory of an addition or deletion is listed as changed.
 */
public final class Changes {

  /** One change. */
  public enum Kind {
    MODIFY("C"),
    ADD("A"),
    DELETE("D");

    private final String letter;

    Kind(String letter) {
      this.letter = letter;
    }

    public String letter() {
      return letter;
    }
  }

  /** A path and what happened to it. */
  public record Change(String path, Kind kind) {
    @Override
    public String toString() {
      return kind.letter() + " " + path;
    }
  }

  private final Tree upper;
  private final List<Tree> lowers;
  private final WhiteoutFormat format;

  /** @param lowers the layers below, nearest first */
  public Changes(Tree upper, List<Tree> lowers, WhiteoutFormat format) {
    this.upper = upper;
    this.lowers = lowers;
    this.format = format;
  }

  /** The changes, sorted by path. */
  public List<Change> list() throws IOException {
    List<Change> out = new ArrayList<>();
    Set<String> listed = new HashSet<>();
    walk(upper.root(), "", out, listed);
    out.sort(Comparator.comparing(Change::path, DiffWriter::compareBytes));
    return out;
  }

  private void walk(Path dir, String rel, List<Change> out, Set<String> listed) throws IOException {
    for (Path p : DiffWriter.sortedChildren(dir)) {
      String name = p.getFileName().toString();
      if (name.startsWith(DiffWriter.COPYUP_PREFIX)) {
        continue;
      }
      NodeStat st = upper.stat(p);
      WhiteoutFormat.Role role = format.role(name, st);
      if (role == WhiteoutFormat.Role.HIDDEN) {
        continue;
      }
      if (role == WhiteoutFormat.Role.WHITEOUT) {
        String gone = "/" + (rel.isEmpty() ? "" : rel + "/") + format.whitedOutName(name);
        add(out, listed, gone, Kind.DELETE);
        parentChanged(out, listed, rel);
        continue;
      }
      String childRel = rel.isEmpty() ? name : rel + "/" + name;
      NodeStat below = lowerStat(childRel);
      if (below == null) {
        add(out, listed, "/" + childRel, Kind.ADD);
        parentChanged(out, listed, rel);
      } else if (!st.isDirectory() || !below.isDirectory() || differs(st, below)) {
        add(out, listed, "/" + childRel, Kind.MODIFY);
      }
      if (st.isDirectory()) {
        if (format.isOpaque(upper, p) && below != null && below.isDirectory()) {
          for (String hidden : lowerChildren(childRel)) {
            if (!Files.exists(p.resolve(hidden), LinkOption.NOFOLLOW_LINKS)) {
              add(out, listed, "/" + childRel + "/" + hidden, Kind.DELETE);
              add(out, listed, "/" + childRel, Kind.MODIFY);
            }
          }
        }
        walk(p, childRel, out, listed);
      }
    }
  }

  private static boolean differs(NodeStat a, NodeStat b) {
    return a.mode() != b.mode() || a.uid() != b.uid() || a.gid() != b.gid()
        || a.mtime().toInstant().getEpochSecond() != b.mtime().toInstant().getEpochSecond();
  }

  private static void add(List<Change> out, Set<String> listed, String path, Kind kind) {
    if (listed.add(path)) {
      out.add(new Change(path, kind));
    }
  }

  private static void parentChanged(List<Change> out, Set<String> listed, String rel) {
    if (!rel.isEmpty()) {
      add(out, listed, "/" + rel, Kind.MODIFY);
    }
  }

  /** The node the lower layers show at {@code rel}, or null. */
  NodeStat lowerStat(String rel) throws IOException {
    String[] parts = rel.split("/");
    for (Tree t : lowers) {
      Path p = t.root();
      boolean stop = false;
      NodeStat st = null;
      for (int i = 0; i < parts.length; i++) {
        Path wh = format.whiteoutPath(p, parts[i]);
        NodeStat w = t.statIfExists(wh);
        if (w != null && format.role(wh.getFileName().toString(), w) == WhiteoutFormat.Role.WHITEOUT) {
          return null;
        }
        p = p.resolve(parts[i]);
        st = t.statIfExists(p);
        if (st == null) {
          break;
        }
        if (i < parts.length - 1) {
          if (!st.isDirectory()) {
            return null; // a non-directory hides everything below it
          }
          if (format.isOpaque(t, p)) {
            stop = true;
          }
        }
      }
      if (st != null && format.role(parts[parts.length - 1], st) == WhiteoutFormat.Role.VISIBLE) {
        return st;
      }
      if (stop) {
        return null;
      }
    }
    return null;
  }

  /** Names the lower layers show in directory {@code rel}. */
  private List<String> lowerChildren(String rel) throws IOException {
    Set<String> names = new java.util.TreeSet<>();
    Set<String> hidden = new HashSet<>();
    for (Tree t : lowers) {
      Path d = t.root().resolve(rel);
      NodeStat st = t.statIfExists(d);
      if (st == null || !st.isDirectory()) {
        continue;
      }
      for (Path c : DiffWriter.sortedChildren(d)) {
        String n = c.getFileName().toString();
        NodeStat cs = t.stat(c);
        WhiteoutFormat.Role r = format.role(n, cs);
        if (r == WhiteoutFormat.Role.WHITEOUT) {
          hidden.add(format.whitedOutName(n));
        } else if (r == WhiteoutFormat.Role.VISIBLE && !hidden.contains(n)) {
          names.add(n);
        }
      }
      if (format.isOpaque(t, d)) {
        break;
      }
    }
    names.removeIf(n -> lowerStatQuiet(rel + "/" + n) == null);
    return new ArrayList<>(names);
  }

  private NodeStat lowerStatQuiet(String rel) {
    try {
      return lowerStat(rel);
    } catch (IOException e) {
      return null;
    }
  }
}
