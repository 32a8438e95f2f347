package io.layerstore.union;

import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.archive.WhiteoutFormat.Role;
import io.layerstore.platform.NodeKind;
import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The branch stack, one directory at a time: which branch's node wins a name, which directories
 * merge, and what a merged directory lists. This is overlayfs's lookup and readdir, with the {@link
 * WhiteoutFormat} saying what counts as a whiteout or an opaque directory, so the same code serves
 * overlay2 diff dirs (char device 0:0, {@code trusted.overlay.opaque}) and aufs diff dirs ({@code
 * .wh.} names).
 *
 * <p>Every backing path this class builds has been checked component by component with lstat, so
 * nothing here ever follows a symlink inside a branch.
 */
final class Branches {

  /** What a name alone says about its role; the format decides some roles by name only. */
  private static final NodeStat PLAIN_FILE =
      new NodeStat(NodeKind.REGULAR, 0644, 0, 0, 0, 0, 0, FileTime.fromMillis(0), "", 1);

  /**
   * Names of copy-ups in progress in an upper directory (the kernel uses its workdir for this).
   * They never show, in any branch, so one left behind by a crash stays invisible.
   */
  static final String STAGING_PREFIX = ".layerstore-copyup-";

  private final List<Tree> trees;
  private final WhiteoutFormat format;

  Branches(List<Tree> trees, WhiteoutFormat format) {
    this.trees = List.copyOf(trees);
    this.format = format;
  }

  Tree tree(int branch) {
    return trees.get(branch);
  }

  int count() {
    return trees.size();
  }

  WhiteoutFormat format() {
    return format;
  }

  /** The union root: every branch root, opaque or not, as the kernel merges them. */
  Node root() throws IOException {
    List<Layer> layers = new ArrayList<>();
    for (int i = 0; i < trees.size(); i++) {
      Tree tree = trees.get(i);
      NodeStat stat = tree.stat(tree.root());
      if (!stat.isDirectory()) {
        throw new NotDirectoryException(tree.root().toString());
      }
      // no opaque check: overlayfs ignores opaqueness at a layer's root (Docker keeps an opaque
      // marker at a layer's root, and the kernel mount still shows every layer below)
      layers.add(new Layer(i, tree.root(), stat));
    }
    return new Node(List.of(), layers);
  }

  /**
   * Whether {@code name} can never be visible in the union, whatever the node: a staged copy-up,
   * and with aufs's format every {@code .wh.} name.
   */
  boolean isReserved(String name) {
    return name.startsWith(STAGING_PREFIX) || format.role(name, PLAIN_FILE) != Role.VISIBLE;
  }

  /** The node called {@code name} in directory {@code dir}, or {@code null} if none is visible. */
  Node child(Node dir, String name) throws IOException {
    return child(dir.path(), dir.layers(), name);
  }

  /**
   * Whether {@code name} is visible in the part of {@code dir} below the upper branch: overlayfs's
   * "lower positive", the test for whether removing the name needs a whiteout.
   */
  boolean visibleBelowUpper(Node dir, String name) throws IOException {
    List<Layer> lower = new ArrayList<>();
    for (Layer layer : dir.layers()) {
      if (layer.branch() > 0) {
        lower.add(layer);
      }
    }
    return !lower.isEmpty() && child(dir.path(), lower, name) != null;
  }

  private Node child(List<String> dirPath, List<Layer> dirLayers, String name) throws IOException {
    if (isReserved(name)) {
      return null;
    }
    List<Layer> found = new ArrayList<>();
    for (Layer dir : dirLayers) {
      Tree tree = trees.get(dir.branch());
      Path path = dir.path().resolve(name);
      NodeStat stat = tree.statIfExists(path);
      Role role = stat == null ? null : format.role(name, stat);
      if (role == Role.VISIBLE) {
        if (!found.isEmpty() && !stat.isDirectory()) {
          break; // a non-directory below a directory ends the merge
        }
        found.add(new Layer(dir.branch(), path, stat));
        if (!stat.isDirectory()
            || format.isOpaque(tree, path)
            || hasSeparateWhiteout(tree, dir.path(), name, path)) {
          break;
        }
        continue;
      }
      if (role == Role.WHITEOUT || hasSeparateWhiteout(tree, dir.path(), name, path)) {
        break;
      }
    }
    if (found.isEmpty()) {
      return null;
    }
    List<String> path = new ArrayList<>(dirPath);
    path.add(name);
    return new Node(path, found);
  }

  /**
   * Whether a whiteout for {@code name} sits in {@code dir} beside the name itself (aufs form;
   * overlay's whiteout is the node {@code path} itself and was looked at already).
   */
  private boolean hasSeparateWhiteout(Tree tree, Path dir, String name, Path path)
      throws IOException {
    Path whiteout = format.whiteoutPath(dir, name);
    if (whiteout.equals(path)) {
      return false;
    }
    NodeStat stat = tree.statIfExists(whiteout);
    return stat != null && format.role(whiteout.getFileName().toString(), stat) == Role.WHITEOUT;
  }

  /** The whiteout for {@code name} in the upper directory {@code upperDir}, if there is one. */
  Path upperWhiteout(Path upperDir, String name) throws IOException {
    Path whiteout = format.whiteoutPath(upperDir, name);
    NodeStat stat = trees.get(0).statIfExists(whiteout);
    if (stat != null && format.role(whiteout.getFileName().toString(), stat) == Role.WHITEOUT) {
      return whiteout;
    }
    return null;
  }

  /**
   * The names visible in directory {@code dir}, each once, sorted: per layer top-down, a name shows
   * unless a higher layer already showed it or whited it out; bookkeeping never shows.
   */
  SortedSet<String> list(Node dir) throws IOException {
    SortedSet<String> visible = new TreeSet<>();
    Set<String> whitedOut = new HashSet<>();
    for (Layer layer : dir.layers()) {
      Tree tree = trees.get(layer.branch());
      List<String> here = new ArrayList<>();
      List<String> hiddenHere = new ArrayList<>();
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(layer.path())) {
        for (Path entry : entries) {
          String name = entry.getFileName().toString();
          if (name.startsWith(STAGING_PREFIX)) {
            continue;
          }
          NodeStat stat = tree.statIfExists(entry);
          if (stat == null) {
            continue;
          }
          Role role = format.role(name, stat);
          if (role == Role.VISIBLE) {
            here.add(name);
          } else if (role == Role.WHITEOUT) {
            hiddenHere.add(format.whitedOutName(name));
          }
        }
      }
      for (String name : here) {
        if (!whitedOut.contains(name)) {
          visible.add(name);
        }
      }
      whitedOut.addAll(hiddenHere);
    }
    return visible;
  }
}
