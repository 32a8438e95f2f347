package io.layerstore.archive;

import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What a layer changes relative to the layers below it, as {@code docker diff} lists it: {@code A}
 * added, {@code C} changed, {@code D} deleted, paths rooted at {@code /}.
 *
 * <p>Docker computes this list by comparing two whole mounts, the container's and the one of the
 * layer below ({@code graphdriver/fsdiff.go}, {@code archive.ChangesDirs}). This class gives the
 * same list from the layer's own directory alone, with lookups in the layers below where a node of
 * the layer meets one of theirs, so its cost follows the size of the change, not of the image.
 * Docker's rules, which the result follows:
 *
 * <ul>
 *   <li>A name the merged view shows now but not before is added; everything below an added
 *       directory is added too.
 *   <li>A name shown before and now is changed when its type, permission bits, owner, device
 *       numbers or {@code security.capability} differ, or, for a non-directory, its size or mtime
 *       (seconds equal, nanoseconds equal or one of them zero counts as the same time). A node that
 *       was only copied up is therefore not a change.
 *   <li>A name shown before but not now is deleted; nothing below a deleted directory is listed. An
 *       opaque directory deletes every name below it that it does not show itself, also when it
 *       shows a fresh directory under an old name (that directory's old content is deleted).
 *   <li>A directory that is neither added nor changed but holds a change, at any depth, is changed.
 *       The root is never listed.
 * </ul>
 */
public final class TreeDiff {

  /** The xattr Docker compares besides stat. */
  static final String CAPABILITY = "security.capability";

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
  public record Entry(String path, Kind kind) {
    @Override
    public String toString() {
      return kind.letter() + " " + path;
    }
  }

  private final Tree upper;
  private final LayerStack lower;
  private final WhiteoutFormat format;

  /**
   * @param lowers the layers below, nearest first
   */
  public TreeDiff(Tree upper, List<Tree> lowers, WhiteoutFormat format) {
    this.upper = upper;
    this.lower = new LayerStack(lowers, format);
    this.format = format;
  }

  /** The changes, sorted by path. */
  public List<Entry> list() throws IOException {
    List<Entry> out = new ArrayList<>();
    Path root = upper.root();
    walk("", root, lower.root(), true, out); // a layer root's opaqueness hides nothing
    out.sort(Comparator.comparing(Entry::path, DiffWriter::compareBytes));
    return out;
  }

  /**
   * Lists the changes in the upper directory {@code dir} at {@code rel}.
   *
   * @param before the merged directory of the layers below at the same path, or null if they show
   *     no directory there
   * @param seesBelow whether the merged view now still shows the layers below in this directory
   *     (false below an opaque directory)
   * @return whether anything in the directory changed
   */
  private boolean walk(
      String rel, Path dir, LayerStack.Dir before, boolean seesBelow, List<Entry> out)
      throws IOException {
    boolean changed = false;
    Set<String> shownNow = new HashSet<>();
    for (Path p : DiffWriter.sortedChildren(dir)) {
      String name = p.getFileName().toString();
      if (LayerStack.isReserved(name)) {
        continue;
      }
      NodeStat now = upper.stat(p);
      WhiteoutFormat.Role role = format.role(name, now);
      if (role == WhiteoutFormat.Role.HIDDEN) {
        continue;
      }
      if (role == WhiteoutFormat.Role.WHITEOUT) {
        String gone = format.whitedOutName(name);
        if (before != null && seesBelow && lower.child(before, gone) != null) {
          out.add(new Entry("/" + join(rel, gone), Kind.DELETE));
          changed = true;
        }
        continue;
      }
      shownNow.add(name);
      String childRel = join(rel, name);
      LayerStack.Node old = before == null ? null : lower.child(before, name);
      if (old == null) {
        out.add(new Entry("/" + childRel, Kind.ADD));
        changed = true;
        if (now.isDirectory()) {
          walk(childRel, p, null, false, out);
        }
        continue;
      }
      boolean self = differs(old, p, now);
      if (self) {
        out.add(new Entry("/" + childRel, Kind.MODIFY));
        changed = true;
      }
      if (now.isDirectory()) {
        LayerStack.Dir oldDir = old.isDirectory() ? lower.childDir(before, name) : null;
        boolean childSees = seesBelow && oldDir != null && !format.isOpaque(upper, p);
        boolean inside = walk(childRel, p, oldDir, childSees, out);
        if (inside && !self) {
          out.add(new Entry("/" + childRel, Kind.MODIFY));
        }
        changed |= inside;
      }
    }
    if (before != null && !seesBelow) {
      for (LayerStack.Entry e : lower.list(before)) {
        if (!shownNow.contains(e.name())) {
          out.add(new Entry("/" + join(rel, e.name()), Kind.DELETE));
          changed = true;
        }
      }
    }
    return changed;
  }

  /** Docker's statDifferent plus its capability comparison. */
  private boolean differs(LayerStack.Node old, Path p, NodeStat now) throws IOException {
    NodeStat was = old.stat();
    if (was.fullMode() != now.fullMode()
        || was.uid() != now.uid()
        || was.gid() != now.gid()
        || was.devMajor() != now.devMajor()
        || was.devMinor() != now.devMinor()) {
      return true;
    }
    if (!was.isDirectory() && (!sameTime(was, now) || was.size() != now.size())) {
      return true;
    }
    return !Arrays.equals(
        old.tree().getXattr(old.path(), CAPABILITY), upper.getXattr(p, CAPABILITY));
  }

  private static boolean sameTime(NodeStat a, NodeStat b) {
    java.time.Instant x = a.mtime().toInstant();
    java.time.Instant y = b.mtime().toInstant();
    return x.getEpochSecond() == y.getEpochSecond()
        && (x.getNano() == y.getNano() || x.getNano() == 0 || y.getNano() == 0);
  }

  private static String join(String rel, String name) {
    return rel.isEmpty() ? name : rel + "/" + name;
  }
}
