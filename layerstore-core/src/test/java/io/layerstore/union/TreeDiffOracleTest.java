package io.layerstore.union;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.archive.AufsWhiteouts;
import io.layerstore.archive.LayerStack;
import io.layerstore.archive.OverlayWhiteouts;
import io.layerstore.archive.TreeDiff;
import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.platform.NodeKind;
import io.layerstore.platform.Platform;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link TreeDiff} reads only the upper layer (and looks up the few lower nodes it meets); Docker's
 * {@code docker diff} compares two whole trees. The whole-tree comparison ({@link NaiveTreeDiff})
 * is the oracle here: after the {@link WriteSequence} and a few more writes that leave copied-up
 * but unchanged nodes, both must give the same list, for both whiteout formats on jimfs and for an
 * upper directory the kernel's overlayfs wrote. {@link LayerStack}, which both read the lower
 * layers through, must show what the union shows.
 */
class TreeDiffOracleTest {

  @TempDir Path tmp;

  /** Writes that copy nodes up without changing what Docker compares, and a few that do. */
  static void moreWrites(Path root) throws IOException {
    // chmod to the same mode: copied up, not a change
    Files.setPosixFilePermissions(
        root.resolve("etc/passwd"), PosixFilePermissions.fromString("rw-r--r--"));
    // the mtime a lower file already has: copied up, not a change
    Files.setLastModifiedTime(root.resolve("usr/share/zoneinfo/UTC"), LayerWriter.MTIME);
    // a directory's mtime alone is never a change; a new file in it is
    Files.setLastModifiedTime(root.resolve("opt"), FileTime.fromMillis(0));
    Files.writeString(root.resolve("home/user/new"), "n\n");
    // rm -rf and recreate with one old name: the old name's old children are deleted
    Path doc = root.resolve("usr/share/doc");
    try (Stream<Path> walk = Files.walk(doc)) {
      for (Path p :
          (Iterable<Path>) walk.sorted((a, b) -> b.getNameCount() - a.getNameCount())::iterator) {
        Files.delete(p);
      }
    }
    Files.createDirectory(doc);
    Files.createDirectory(doc.resolve("sub"));
    Files.writeString(doc.resolve("fresh"), "fresh\n");
  }

  @Test
  void jimfsOverlayFormatAgreesWithTheWholeTreeComparison() throws IOException {
    agreeOnJimfs(new OverlayWhiteouts());
  }

  @Test
  void jimfsAufsFormatAgreesWithTheWholeTreeComparison() throws IOException {
    agreeOnJimfs(new AufsWhiteouts());
  }

  private void agreeOnJimfs(WhiteoutFormat format) throws IOException {
    try (JimfsLayers layers = new JimfsLayers(format)) {
      List<Tree> lowers = layers.scenario();
      Tree upper = layers.tree("rw");
      try (FileSystem union = layers.writable(upper, lowers)) {
        assertEquals(
            String.join("\n", Listing.of(union.getPath("/"))),
            String.join("\n", stackListing(new LayerStack(lowers, format))));
        WriteSequence.run(union.getPath("/"));
        moreWrites(union.getPath("/"));
        assertEquals(
            String.join("\n", Listing.of(union.getPath("/"))),
            String.join("\n", stackListing(new LayerStack(withUpper(upper, lowers), format))),
            "the layer stack shows what the union shows");
      }
      List<String> ours = lines(new TreeDiff(upper, lowers, format).list());
      assertEquals(
          String.join(
              "\n",
              NaiveTreeDiff.between(
                  new LayerStack(lowers, format),
                  new LayerStack(withUpper(upper, lowers), format))),
          String.join("\n", ours));
      assertTrue(ours.contains("D /usr/share/doc/new"), String.join("\n", ours));
      assertTrue(ours.contains("A /usr/share/doc/fresh"), String.join("\n", ours));
      assertFalse(ours.contains("C /usr/share/zoneinfo/UTC"), String.join("\n", ours));
      assertFalse(
          ours.contains("C /etc/passwd") && !ours.contains("C /etc"), String.join("\n", ours));
    }
  }

  @Test
  void kernelUpperAgreesWithTheWholeTreeComparison() throws Exception {
    PlatformRequirement.require(canMountOverlay(), "root with kernel overlayfs");
    Platform platform = Platform.forRoot(tmp);
    PlatformRequirement.require(platform.isNative(), "a native platform");
    WhiteoutFormat format = new OverlayWhiteouts();
    List<Tree> lowers = new ArrayList<>();
    for (String name : List.of("l3", "l2", "l1")) {
      Path dir = Files.createDirectory(tmp.resolve(name));
      lowers.add(platform.tree(dir, tmp.resolve(name + ".records")));
    }
    Scenario.base(new LayerWriter(lowers.get(2), format));
    Scenario.middle(new LayerWriter(lowers.get(1), format));
    Scenario.top(new LayerWriter(lowers.get(0), format));
    Path upperDir = Files.createDirectory(tmp.resolve("upper"));
    Path work = Files.createDirectory(tmp.resolve("work"));
    Path merged = Files.createDirectory(tmp.resolve("merged"));
    String options =
        "lowerdir="
            + lowers.get(0).root()
            + ":"
            + lowers.get(1).root()
            + ":"
            + lowers.get(2).root()
            + ",upperdir="
            + upperDir
            + ",workdir="
            + work
            + ",redirect_dir=off,index=off,metacopy=off";
    String out = run("mount", "-t", "overlay", "overlay", "-o", options, merged.toString());
    PlatformRequirement.require(out == null, "an overlay mount (" + out + ")");
    List<String> kernelView;
    try {
      WriteSequence.run(merged);
      moreWrites(merged);
      kernelView = Listing.of(merged);
    } finally {
      String u = run("umount", merged.toString());
      assertEquals(null, u, "umount");
    }
    Tree upper = platform.tree(upperDir, tmp.resolve("upper.records"));
    assertEquals(
        String.join("\n", kernelView),
        String.join("\n", stackListing(new LayerStack(withUpper(upper, lowers), format))),
        "the layer stack shows what the kernel showed");
    List<String> ours = lines(new TreeDiff(upper, lowers, format).list());
    assertEquals(
        String.join(
            "\n",
            NaiveTreeDiff.between(
                new LayerStack(lowers, format), new LayerStack(withUpper(upper, lowers), format))),
        String.join("\n", ours));
    assertTrue(ours.contains("D /usr/share/doc/new"), String.join("\n", ours));
  }

  private static List<Tree> withUpper(Tree upper, List<Tree> lowers) {
    List<Tree> all = new ArrayList<>();
    all.add(upper);
    all.addAll(lowers);
    return all;
  }

  private static List<String> lines(List<TreeDiff.Entry> changes) {
    List<String> out = new ArrayList<>();
    changes.forEach(c -> out.add(c.toString()));
    out.sort(null);
    return out;
  }

  /** {@link Listing#of} for a layer stack: the same line per node, read through the trees. */
  static List<String> stackListing(LayerStack stack) throws IOException {
    List<String> lines = new ArrayList<>();
    LayerStack.Dir root = stack.root();
    lines.add(line("/", root.node()));
    walk(stack, root, "", lines);
    lines.sort(null);
    return lines;
  }

  private static void walk(LayerStack stack, LayerStack.Dir dir, String rel, List<String> lines)
      throws IOException {
    for (LayerStack.Entry e : stack.list(dir)) {
      String path = rel + "/" + e.name();
      lines.add(line(path, e.node()));
      if (e.node().isDirectory()) {
        walk(stack, stack.childDir(dir, e.name()), path, lines);
      }
    }
  }

  private static String line(String path, LayerStack.Node n) throws IOException {
    NodeKind kind = n.stat().kind();
    StringBuilder line = new StringBuilder(path).append(' ').append(kind);
    line.append(String.format(" %04o %s:%s", n.stat().mode(), n.stat().uid(), n.stat().gid()));
    if (kind != NodeKind.DIRECTORY) {
      line.append(" size=").append(n.stat().size());
    }
    if (kind == NodeKind.REGULAR) {
      line.append(" sha256=").append(Listing.sha256(n.path()));
    }
    if (kind == NodeKind.SYMLINK) {
      line.append(" -> ").append(Files.readSymbolicLink(n.path()));
    }
    if (kind.isDevice()) {
      line.append(" rdev=").append(rdev(n));
    }
    return line.toString();
  }

  /** What the {@code unix} view reports as rdev for the node's device numbers. */
  private static long rdev(LayerStack.Node n) throws IOException {
    if (!n.tree().isEmulated()) {
      return (Long) Files.getAttribute(n.path(), "unix:rdev", LinkOption.NOFOLLOW_LINKS);
    }
    long major = n.stat().devMajor();
    long minor = n.stat().devMinor();
    return ((major & 0xfffff000L) << 32)
        | ((major & 0xfffL) << 8)
        | ((minor & 0xffffff00L) << 12)
        | (minor & 0xffL);
  }

  private static boolean canMountOverlay() {
    try {
      return System.getProperty("os.name").equals("Linux")
          && Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))
          && Files.readString(Path.of("/proc/filesystems"), StandardCharsets.US_ASCII)
              .contains("\toverlay\n");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static String run(String... command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      return "timed out: " + String.join(" ", command);
    }
    String output =
        new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    return process.exitValue() == 0 ? null : "exit " + process.exitValue() + ": " + output;
  }
}
