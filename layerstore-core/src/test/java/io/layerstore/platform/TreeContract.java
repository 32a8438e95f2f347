package io.layerstore.platform;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link Tree} must do, native or emulated, on any file system. Subclasses say where the
 * tree lives and which platform makes it; the assertions are the same for all, so a caller sees one
 * behaviour.
 *
 * <p>Layout of each test's base directory: {@code tree/} is the tree, {@code records.json} its
 * sidecar, {@code outside/} a directory the tree must never touch.
 */
abstract class TreeContract {
  static final long BIG_ID = 4294967294L; // 2^32 - 2, the largest valid id
  static final FileTime T1 = FileTime.from(Instant.parse("2001-02-03T04:05:06.123456Z"));
  static final FileTime T2 = FileTime.from(Instant.parse("1969-07-20T20:17:40Z"));
  static final byte[] BINARY = {0, 1, 0, (byte) 0xff, 0, '\n', 0};

  Platform platform;
  Path base;
  Path root;
  Path sidecar;
  Path outside;
  Tree tree;

  /** A fresh, empty directory for this test. */
  abstract Path newBase() throws IOException;

  /** The platform under test, for trees below {@code base}. */
  abstract Platform platform(Path base);

  @BeforeEach
  void setUpTree() throws IOException {
    base = newBase();
    platform = platform(base);
    root = Files.createDirectory(base.resolve("tree"));
    outside = Files.createDirectory(base.resolve("outside"));
    sidecar = base.resolve("records.json");
    tree = platform.tree(root, sidecar);
  }

  /** Flushes and opens a new tree instance on the same root and sidecar. */
  Tree reopen() throws IOException {
    tree.flush();
    tree = platform.tree(root, sidecar);
    return tree;
  }

  Path file(String name, String content) throws IOException {
    Path p = root.resolve(name);
    Files.createDirectories(p.getParent());
    return Files.write(p, content.getBytes(UTF_8));
  }

  Path dir(String name) throws IOException {
    return Files.createDirectories(root.resolve(name));
  }

  // ---- stat ---------------------------------------------------------------------------------

  @Test
  void statsRegularFileDirectoryAndSymlink() throws IOException {
    Path f = file("f", "hello");
    Path d = dir("d");
    Path l =
        Files.createSymbolicLink(root.resolve("l"), root.getFileSystem().getPath("some/target"));

    NodeStat fs = tree.stat(f);
    assertEquals(NodeKind.REGULAR, fs.kind());
    assertEquals(5, fs.size());
    assertEquals(0, fs.uid());
    assertEquals(0, fs.gid());
    assertEquals(1, fs.linkCount());
    assertNotNull(fs.fileKey());
    assertEquals(Files.getLastModifiedTime(f), fs.mtime());

    NodeStat ds = tree.stat(d);
    assertEquals(NodeKind.DIRECTORY, ds.kind());
    assertEquals(0, ds.size());

    NodeStat ls = tree.stat(l);
    assertEquals(NodeKind.SYMLINK, ls.kind());
    assertEquals("some/target".length(), ls.size());
    assertEquals(0777, ls.mode());
    assertEquals(0120777, ls.fullMode());
  }

  @Test
  void writeFileMakesContentAndNanosecondTimeAndNeverWritesThroughALink() throws IOException {
    Instant t = Instant.ofEpochSecond(1_600_000_000L, 123_456_789);
    byte[] content = new byte[70_000]; // above one page, as a file a layer holds may be
    for (int i = 0; i < content.length; i++) {
      content[i] = (byte) (i * 31);
    }
    Path f = root.resolve("f");
    tree.writeFile(f, content, FileTime.from(t));
    assertArrayEquals(content, Files.readAllBytes(f));
    NodeStat st = tree.stat(f);
    assertEquals(NodeKind.REGULAR, st.kind());
    assertEquals(content.length, st.size());
    assertEquals(t, st.mtime().toInstant());
    tree.writeFile(root.resolve("empty"), new byte[0], FileTime.from(t));
    assertEquals(0, tree.stat(root.resolve("empty")).size());

    // something already there, a symlink to outside the tree above all, is never written through
    Path target = Files.writeString(outside.resolve("target"), "keep");
    Path link = Files.createSymbolicLink(root.resolve("link"), target);
    assertThrows(
        FileAlreadyExistsException.class,
        () -> tree.writeFile(link, "x".getBytes(UTF_8), FileTime.from(t)));
    assertThrows(
        FileAlreadyExistsException.class,
        () -> tree.writeFile(f, "x".getBytes(UTF_8), FileTime.from(t)));
    assertEquals("keep", Files.readString(target));
    assertArrayEquals(content, Files.readAllBytes(f));
    assertThrows(
        NoSuchFileException.class,
        () -> tree.writeFile(root.resolve("no/such"), new byte[1], FileTime.from(t)));
  }

  @Test
  void statOfMissingNodes() throws IOException {
    Path f = file("f", "x");
    assertThrows(NoSuchFileException.class, () -> tree.stat(root.resolve("nope")));
    assertNull(tree.statIfExists(root.resolve("nope")));
    assertNull(tree.statIfExists(root.resolve("nope/deeper")));
    assertNull(tree.statIfExists(f.resolve("below-a-file")));
    assertNotNull(tree.statIfExists(root));
  }

  @Test
  void refusesPathsOutsideTheTree() {
    assertThrows(IllegalArgumentException.class, () -> tree.stat(outside));
    assertThrows(IllegalArgumentException.class, () -> tree.stat(root.resolve("../outside")));
    assertThrows(IllegalArgumentException.class, () -> tree.setOwner(outside, 1, 1));
  }

  // ---- device nodes -------------------------------------------------------------------------

  @Test
  void makesCharDevice() throws IOException {
    Path null_ = root.resolve("null");
    tree.makeNode(null_, NodeKind.CHAR_DEVICE, 0666, 1, 3);
    NodeStat s = tree.stat(null_);
    assertEquals(NodeKind.CHAR_DEVICE, s.kind());
    assertEquals(1, s.devMajor());
    assertEquals(3, s.devMinor());
    assertEquals(0666, s.mode(), "mode is exact, whatever the umask");
    assertEquals(0020666, s.fullMode());
    assertEquals(0, s.size());
    assertFalse(s.isOverlayWhiteout());
  }

  @Test
  void makesBlockDevicesWithLargeNumbers() throws IOException {
    tree.makeNode(root.resolve("sda1"), NodeKind.BLOCK_DEVICE, 0660, 8, 1);
    tree.makeNode(root.resolve("big"), NodeKind.BLOCK_DEVICE, 0600, 4095, 1048575);
    tree.makeNode(root.resolve("mid"), NodeKind.CHAR_DEVICE, 0600, 259, 70000);
    NodeStat a = tree.stat(root.resolve("sda1"));
    assertEquals(NodeKind.BLOCK_DEVICE, a.kind());
    assertEquals(List.of(8, 1, 0660), List.of(a.devMajor(), a.devMinor(), a.mode()));
    NodeStat b = tree.stat(root.resolve("big"));
    assertEquals(List.of(4095, 1048575), List.of(b.devMajor(), b.devMinor()));
    NodeStat c = tree.stat(root.resolve("mid"));
    assertEquals(List.of(259, 70000), List.of(c.devMajor(), c.devMinor()));
    assertThrows(
        IllegalArgumentException.class,
        () -> tree.makeNode(root.resolve("x"), NodeKind.BLOCK_DEVICE, 0600, 4096, 0));
    assertNull(tree.statIfExists(root.resolve("x")));
  }

  @Test
  void makesFifoAndSocketAndTouchesThemWithoutOpening() throws IOException {
    Path fifo = root.resolve("fifo");
    tree.makeNode(fifo, NodeKind.FIFO, 0640, 0, 0);
    tree.makeNode(root.resolve("sock"), NodeKind.SOCKET, 0755, 0, 0);
    NodeStat s = tree.stat(fifo);
    assertEquals(NodeKind.FIFO, s.kind());
    assertEquals(0640, s.mode());
    assertEquals(0, s.devMajor());
    assertEquals(NodeKind.SOCKET, tree.stat(root.resolve("sock")).kind());
    // Opening a fifo blocks until a writer comes: none of these may open it.
    assertTimeoutPreemptively(
        Duration.ofSeconds(20),
        () -> {
          tree.setMode(fifo, 0604);
          tree.setMtime(fifo, T1);
          tree.setOwner(fifo, 7, 8);
        });
    s = tree.stat(fifo);
    assertEquals(0604, s.mode());
    assertEquals(T1, s.mtime());
    assertEquals(7, s.uid());
  }

  @Test
  void makesOverlayWhiteout() throws IOException {
    Path wh = dir("etc").resolve("removed");
    tree.makeNode(wh, NodeKind.CHAR_DEVICE, 0, 0, 0);
    tree.setOwner(wh, 1234, 5678);
    NodeStat s = tree.stat(wh);
    assertTrue(s.isOverlayWhiteout());
    assertEquals(0, s.mode());
    assertEquals(0020000, s.fullMode());
    assertEquals(1234, s.uid());
  }

  @Test
  void makeNodeRefusesExistingPathsMissingParentsAndOtherKinds() throws IOException {
    Path f = file("f", "x");
    Path l = Files.createSymbolicLink(root.resolve("dangling"), root.resolve("nowhere"));
    assertThrows(
        FileAlreadyExistsException.class, () -> tree.makeNode(f, NodeKind.FIFO, 0600, 0, 0));
    assertThrows(
        FileAlreadyExistsException.class, () -> tree.makeNode(l, NodeKind.FIFO, 0600, 0, 0));
    assertFalse(Files.exists(root.resolve("nowhere"), LinkOption.NOFOLLOW_LINKS));
    assertThrows(
        NoSuchFileException.class,
        () -> tree.makeNode(root.resolve("no/such"), NodeKind.FIFO, 0600, 0, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> tree.makeNode(root.resolve("r"), NodeKind.REGULAR, 0600, 0, 0));
    assertThrows(
        IllegalArgumentException.class,
        () -> tree.makeNode(root.resolve("r"), NodeKind.FIFO, 010600, 0, 0));
    assertEquals(NodeKind.REGULAR, tree.stat(f).kind());
  }

  // ---- ownership and modes --------------------------------------------------------------------

  @Test
  void setsNumericOwners() throws IOException {
    Path f = file("f", "x");
    Path d = dir("d");
    Path target = file("target", "t");
    Path l = Files.createSymbolicLink(root.resolve("l"), target);
    tree.makeNode(root.resolve("dev"), NodeKind.CHAR_DEVICE, 0600, 1, 3);

    tree.setOwner(f, 1234, 5678);
    tree.setOwner(d, BIG_ID, BIG_ID);
    tree.setOwner(l, 42, 43);
    tree.setOwner(root.resolve("dev"), 0, 5);

    assertEquals(List.of(1234L, 5678L), owner(f));
    assertEquals(List.of(BIG_ID, BIG_ID), owner(d));
    assertEquals(List.of(42L, 43L), owner(l));
    assertEquals(List.of(0L, 0L), owner(target), "lchown must not follow the symlink");
    assertEquals(List.of(0L, 5L), owner(root.resolve("dev")));

    tree.setOwner(f, 0, 0);
    assertEquals(List.of(0L, 0L), owner(f));
    assertThrows(IllegalArgumentException.class, () -> tree.setOwner(f, -1, 0));
    assertThrows(IllegalArgumentException.class, () -> tree.setOwner(f, 0, BIG_ID + 1));
    assertThrows(NoSuchFileException.class, () -> tree.setOwner(root.resolve("nope"), 1, 1));
  }

  List<Long> owner(Path p) throws IOException {
    NodeStat s = tree.stat(p);
    return List.of(s.uid(), s.gid());
  }

  @Test
  void setsSpecialModeBits() throws IOException {
    Path suid = file("suid", "x");
    Path sgid = file("sgid", "x");
    Path sticky = dir("tmp");
    Path none = file("none", "x");
    Path closed = dir("closed");

    tree.setMode(suid, 04755);
    tree.setMode(sgid, 02755);
    tree.setMode(sticky, 01777);
    tree.setMode(none, 0);
    tree.setMode(closed, 0);

    assertEquals(04755, tree.stat(suid).mode());
    assertEquals(0104755, tree.stat(suid).fullMode());
    assertEquals(02755, tree.stat(sgid).mode());
    assertEquals(01777, tree.stat(sticky).mode());
    assertEquals(0, tree.stat(none).mode());
    assertEquals(0, tree.stat(closed).mode());
    // A tree stays workable whatever modes its nodes show.
    Files.write(closed.resolve("inside"), new byte[] {1});
    assertEquals(1, tree.stat(closed.resolve("inside")).size());
    assertEquals(1, Files.readAllBytes(none.resolveSibling("none")).length);

    tree.setMode(suid, 0644);
    assertEquals(0644, tree.stat(suid).mode());
    assertThrows(IllegalArgumentException.class, () -> tree.setMode(suid, 0100644));
  }

  @Test
  void setModeOnSymlinkChangesNothing() throws IOException {
    Path target = file("target", "t");
    tree.setMode(target, 0640);
    Path l = Files.createSymbolicLink(root.resolve("l"), target);
    tree.setMode(l, 0600);
    assertEquals(0640, tree.stat(target).mode());
    assertEquals(0777, tree.stat(l).mode());
  }

  @Test
  void chownClearsSetuidLikeTheKernel() throws IOException {
    Path a = file("a", "x");
    Path b = file("b", "x");
    Path d = dir("d");
    tree.setMode(a, 06755);
    tree.setMode(b, 06745); // setgid without group execute is a locking flag; it stays
    tree.setMode(d, 07755);
    tree.setOwner(a, 0, 0);
    tree.setOwner(b, 1, 1);
    tree.setOwner(d, 1, 1);
    assertEquals(0755, tree.stat(a).mode());
    assertEquals(02745, tree.stat(b).mode());
    assertEquals(07755, tree.stat(d).mode());
    // Docker's order: chown, then chmod.
    tree.setMode(a, 04755);
    assertEquals(04755, tree.stat(a).mode());
  }

  // ---- times --------------------------------------------------------------------------------

  @Test
  void setsMtimesWithoutFollowingSymlinks() throws IOException {
    Path f = file("f", "x");
    Path d = dir("d");
    Path target = file("target", "t");
    FileTime targetTime = FileTime.from(Instant.parse("2010-01-01T00:00:00Z"));
    tree.setMtime(target, targetTime);
    Path l = Files.createSymbolicLink(root.resolve("l"), target);
    tree.makeNode(root.resolve("dev"), NodeKind.CHAR_DEVICE, 0600, 1, 3);

    tree.setMtime(f, T1);
    tree.setMtime(d, T2);
    tree.setMtime(l, T1);
    tree.setMtime(root.resolve("dev"), T2);

    assertEquals(T1, tree.stat(f).mtime());
    assertEquals(T2, tree.stat(d).mtime());
    assertEquals(T1, tree.stat(l).mtime());
    assertEquals(targetTime, tree.stat(target).mtime(), "the symlink's target keeps its time");
    assertEquals(T2, tree.stat(root.resolve("dev")).mtime());
  }

  // ---- xattrs -------------------------------------------------------------------------------

  @Test
  void keepsXattrsOfAnyNamespace() throws IOException {
    Path f = file("f", "x");
    Path d = dir("d");
    assertNull(tree.getXattr(f, "user.x"));
    assertFalse(tree.xattrs(f).keySet().stream().anyMatch(TreeContract::ours));

    tree.setXattr(f, "user.x", "hello".getBytes(UTF_8));
    tree.setXattr(f, "trusted.bin", BINARY);
    tree.setXattr(f, "user.empty", new byte[0]);
    tree.setXattr(d, "trusted.overlay.opaque", new byte[] {'y'});

    assertArrayEquals("hello".getBytes(UTF_8), tree.getXattr(f, "user.x"));
    assertArrayEquals(BINARY, tree.getXattr(f, "trusted.bin"));
    assertArrayEquals(new byte[0], tree.getXattr(f, "user.empty"));
    assertArrayEquals(new byte[] {'y'}, tree.getXattr(d, "trusted.overlay.opaque"));
    Map<String, byte[]> all = tree.xattrs(f);
    assertEquals(
        List.of("trusted.bin", "user.empty", "user.x"),
        all.keySet().stream().filter(TreeContract::ours).toList(),
        "all namespaces, in name order");
    assertArrayEquals(BINARY, all.get("trusted.bin"));

    tree.setXattr(f, "user.x", "again".getBytes(UTF_8));
    assertArrayEquals("again".getBytes(UTF_8), tree.getXattr(f, "user.x"));
    tree.removeXattr(f, "user.x");
    tree.removeXattr(f, "user.x");
    assertNull(tree.getXattr(f, "user.x"));
    assertNull(tree.getXattr(d, "trusted.other"));

    byte[] big = new byte[Xattrs.MAX_VALUE_BYTES + 1];
    assertThrows(FileSystemException.class, () -> tree.setXattr(f, "trusted.big", big));
    assertThrows(NoSuchFileException.class, () -> tree.getXattr(root.resolve("no"), "user.x"));
  }

  static boolean ours(String name) {
    return name.startsWith("user.") || name.startsWith("trusted.");
  }

  @Test
  void xattrsOnSymlinksAndDevicesFollowKernelRules() throws IOException {
    Path target = file("target", "t");
    Path l = Files.createSymbolicLink(root.resolve("l"), target);
    tree.makeNode(root.resolve("wh"), NodeKind.CHAR_DEVICE, 0, 0, 0);

    tree.setXattr(l, "trusted.t", new byte[] {1});
    assertArrayEquals(new byte[] {1}, tree.getXattr(l, "trusted.t"));
    assertNull(tree.getXattr(target, "trusted.t"), "set on the link, not its target");

    FileSystemException e =
        assertThrows(FileSystemException.class, () -> tree.setXattr(l, "user.u", new byte[1]));
    assertTrue(e.getMessage().contains("Operation not permitted"), e.getMessage());
    assertThrows(
        FileSystemException.class, () -> tree.setXattr(root.resolve("wh"), "user.u", new byte[1]));
    tree.setXattr(root.resolve("wh"), "trusted.overlay.x", new byte[] {2});
    assertArrayEquals(new byte[] {2}, tree.getXattr(root.resolve("wh"), "trusted.overlay.x"));

    FileSystemException ns =
        assertThrows(
            FileSystemException.class, () -> tree.setXattr(target, "bogus.x", new byte[1]));
    assertTrue(ns.getMessage().contains("Operation not supported"), ns.getMessage());
  }

  // ---- delete -------------------------------------------------------------------------------

  @Test
  void deleteNeverFollowsSymlinks() throws IOException {
    Path canaryDir = Files.createDirectories(outside.resolve("dir"));
    Path canary = Files.write(canaryDir.resolve("canary"), "alive".getBytes(UTF_8));
    Path canaryFile = Files.write(outside.resolve("file"), "alive".getBytes(UTF_8));
    Path d = dir("d/sub");
    Files.createSymbolicLink(d.resolve("escape"), canaryDir);
    Files.createSymbolicLink(d.resolve("escape-file"), canaryFile);
    Files.createSymbolicLink(root.resolve("d/rel"), root.getFileSystem().getPath("../../outside"));
    file("d/sub/f", "x");

    tree.delete(root.resolve("d"));

    assertFalse(Files.exists(root.resolve("d"), LinkOption.NOFOLLOW_LINKS));
    assertEquals("alive", Files.readString(canary));
    assertEquals("alive", Files.readString(canaryFile));
    assertEquals(List.of("dir", "file"), list(outside));
  }

  @Test
  void deleteOfSymlinkToDirectoryRemovesOnlyTheLink() throws IOException {
    Path canary = Files.write(outside.resolve("canary"), "alive".getBytes(UTF_8));
    Path l = Files.createSymbolicLink(root.resolve("l"), outside);
    tree.delete(l);
    assertFalse(Files.exists(l, LinkOption.NOFOLLOW_LINKS));
    assertEquals("alive", Files.readString(canary));
  }

  @Test
  void deleteRefusesPathsThroughSymlinksAndOutsideTheTree() throws IOException {
    Path canary = Files.write(outside.resolve("canary"), "alive".getBytes(UTF_8));
    Files.createSymbolicLink(root.resolve("l"), outside);
    assertThrows(FileSystemException.class, () -> tree.delete(root.resolve("l/canary")));
    assertThrows(IllegalArgumentException.class, () -> tree.delete(canary));
    assertThrows(IllegalArgumentException.class, () -> tree.delete(root.resolve("../outside")));
    assertEquals("alive", Files.readString(canary));
  }

  @Test
  void deletesReadOnlyDirectoriesAndFiles() throws IOException {
    Path ro = dir("ro");
    Path inner = dir("ro/inner");
    Path f = file("ro/inner/f", "x");
    file("ro/g", "y");
    tree.setMode(f, 0444);
    tree.setMode(inner, 0);
    tree.setMode(ro, 0555);

    tree.delete(ro);

    assertFalse(Files.exists(ro, LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void deleteOfAbsentNodeIsFine() throws IOException {
    tree.delete(root.resolve("nope"));
    tree.delete(root.resolve("nope/deeper"));
    Path f = file("f", "x");
    tree.delete(f.resolve("below-a-file"));
    assertTrue(Files.exists(f));
  }

  @Test
  void deleteDropsRecords() throws IOException {
    Path d = dir("d");
    tree.makeNode(d.resolve("dev"), NodeKind.CHAR_DEVICE, 0600, 1, 3);
    Path f = file("d/f", "x");
    tree.setOwner(f, 9, 9);
    tree.setXattr(d, "user.x", new byte[] {1});

    tree.delete(d);
    dir("d");
    file("d/dev", "");
    file("d/f", "");

    NodeStat dev = tree.stat(root.resolve("d/dev"));
    assertEquals(NodeKind.REGULAR, dev.kind());
    assertEquals(0, tree.stat(root.resolve("d/f")).uid());
    assertNull(tree.getXattr(d, "user.x"));
    reopen();
    assertEquals(NodeKind.REGULAR, tree.stat(root.resolve("d/dev")).kind());
    assertEquals(0, tree.stat(root.resolve("d/f")).uid());
  }

  @Test
  void deletesTheRootItself() throws IOException {
    file("a/b", "x");
    tree.setOwner(root.resolve("a"), 5, 5);
    tree.delete(root);
    assertFalse(Files.exists(root, LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isDirectory(outside));
    Files.createDirectories(root.resolve("a"));
    assertEquals(0, tree.stat(root.resolve("a")).uid());
  }

  // ---- move ---------------------------------------------------------------------------------

  @Test
  void moveCarriesRecords() throws IOException {
    Path f = file("f", "x");
    tree.setOwner(f, 1234, 5678);
    tree.setXattr(f, "user.x", new byte[] {7});
    Path d = dir("d/e");
    tree.makeNode(d.resolve("wh"), NodeKind.CHAR_DEVICE, 0, 0, 0);
    tree.setMode(d, 01777);
    dir("target");

    tree.move(f, root.resolve("target/g"));
    tree.move(root.resolve("d"), root.resolve("target/d2"));

    assertNull(tree.statIfExists(f));
    NodeStat g = tree.stat(root.resolve("target/g"));
    assertEquals(List.of(1234L, 5678L), List.of(g.uid(), g.gid()));
    assertArrayEquals(new byte[] {7}, tree.getXattr(root.resolve("target/g"), "user.x"));
    assertTrue(tree.stat(root.resolve("target/d2/e/wh")).isOverlayWhiteout());
    assertEquals(01777, tree.stat(root.resolve("target/d2/e")).mode());

    reopen();
    assertEquals(1234, tree.stat(root.resolve("target/g")).uid());
    assertTrue(tree.stat(root.resolve("target/d2/e/wh")).isOverlayWhiteout());
    Files.createFile(f);
    assertEquals(0, tree.stat(f).uid(), "the old name has no record left");
  }

  @Test
  void moveStaysInsideTheTree() throws IOException {
    Path f = file("f", "x");
    Path g = file("g", "y");
    Files.createSymbolicLink(root.resolve("l"), outside);
    assertThrows(FileAlreadyExistsException.class, () -> tree.move(f, g));
    assertThrows(IllegalArgumentException.class, () -> tree.move(f, outside.resolve("f")));
    assertThrows(FileSystemException.class, () -> tree.move(f, root.resolve("l/f")));
    assertThrows(
        NoSuchFileException.class, () -> tree.move(root.resolve("nope"), root.resolve("n")));
    Path d = dir("d");
    assertThrows(FileSystemException.class, () -> tree.move(d, d.resolve("inside")));
    assertEquals(List.of(), list(outside));
    assertEquals("y", Files.readString(g));
  }

  // ---- hardlinks and persistence --------------------------------------------------------------

  @Test
  void hardlinksShareRecords() throws IOException {
    Path f = file("f", "x");
    tree.setOwner(f, 1234, 5678);
    tree.setMode(f, 04755);
    tree.setXattr(f, "user.x", new byte[] {1});
    Path g = Files.createLink(root.resolve("g"), f);

    NodeStat gs = tree.stat(g);
    assertEquals(List.of(1234L, 5678L, 04755L), List.of(gs.uid(), gs.gid(), (long) gs.mode()));
    assertArrayEquals(new byte[] {1}, tree.getXattr(g, "user.x"));
    assertEquals(tree.stat(f).fileKey(), gs.fileKey());

    tree.setOwner(g, 1, 2); // through the other name
    assertEquals(List.of(1L, 2L), owner(f));

    // Made before any record existed, recorded through one name, seen through the other.
    Path h = file("h", "h");
    Path i = Files.createLink(root.resolve("i"), h);
    tree.setOwner(h, 77, 78);
    reopen();
    assertEquals(List.of(77L, 78L), owner(i));
    tree.setOwner(i, 79, 80);
    assertEquals(List.of(79L, 80L), owner(h));

    // The only name the records know goes; the node lives on under the other.
    tree.delete(f);
    assertEquals(List.of(1L, 2L), owner(g));
    reopen();
    assertEquals(List.of(1L, 2L), owner(g));
    assertEquals(0755, tree.stat(g).mode(), "the chown through g cleared setuid");
  }

  @Test
  void recordsSurviveFlushAndReopenWhateverTheNames() throws IOException {
    String[] names = {
      "with space", "new\nline", "back\\slash", "ünïcødé-名前", "tab\there", "quote\"d", "d/e/deep"
    };
    int n = 0;
    for (String name : names) {
      Path p = file(name, name);
      tree.setOwner(p, 1000 + n, 2000 + n);
      tree.setMode(p, 04700 + n);
      tree.setXattr(p, "user.name", name.getBytes(UTF_8));
      tree.setMtime(p, T1);
      n++;
    }
    Path devDir = dir("dev dir");
    tree.makeNode(devDir.resolve("ttyS\n0"), NodeKind.CHAR_DEVICE, 0620, 4, 64);
    tree.setOwner(devDir.resolve("ttyS\n0"), 0, 5);
    tree.setXattr(root, "trusted.overlay.opaque", new byte[] {'y'});
    tree.setOwner(root, 3, 4);

    Map<String, NodeStat> before = new java.util.TreeMap<>();
    for (String name : names) {
      before.put(name, tree.stat(root.resolve(name)));
    }
    NodeStat dev = tree.stat(devDir.resolve("ttyS\n0"));

    reopen();

    for (String name : names) {
      Path p = root.resolve(name);
      assertEquals(before.get(name), tree.stat(p), name);
      assertArrayEquals(name.getBytes(UTF_8), tree.getXattr(p, "user.name"), name);
    }
    assertEquals(dev, tree.stat(devDir.resolve("ttyS\n0")));
    assertArrayEquals(new byte[] {'y'}, tree.getXattr(root, "trusted.overlay.opaque"));
    assertEquals(List.of(3L, 4L), owner(root));
  }

  @Test
  void nodeReplacedBehindTheTreesBackShowsNoStaleRecord() throws IOException {
    Path f = file("f", "x");
    tree.setOwner(f, 1234, 5678);
    tree.setXattr(f, "user.x", new byte[] {1});
    // Not through the tree, which the contract asks for; still, no stale record may show. The new
    // node exists before the old one goes, so it cannot have the old inode number...
    Path fresh = Files.createFile(root.resolve("fresh"));
    Files.delete(f);
    Files.move(fresh, f);
    // ...but the next node made may well get it.
    Path g = Files.createFile(root.resolve("g"));
    assertEquals(List.of(0L, 0L), owner(f));
    assertEquals(List.of(0L, 0L), owner(g));
    assertNull(tree.getXattr(g, "user.x"));
    assertNull(tree.getXattr(f, "user.x"));
  }

  @Test
  void deletedNodesPassNothingToNodesMadeLater() throws IOException {
    // Inode numbers of deleted nodes are reused at once on many file systems.
    for (int i = 0; i < 3; i++) {
      Path d = dir("d" + i);
      tree.setXattr(d, "user.d", new byte[] {1});
      Path a = file("d" + i + "/a", "a");
      Files.createLink(root.resolve("d" + i + "/b"), a); // a link the records never saw
      tree.setOwner(a, 1234, 5678);
      tree.makeNode(root.resolve("d" + i + "/wh"), NodeKind.CHAR_DEVICE, 0, 0, 0);
      tree.delete(d);
      for (String n : List.of("d" + i, "x" + i)) {
        Path p = dir(n);
        assertNull(tree.getXattr(p, "user.d"), n);
        for (String m : List.of("a", "b", "wh", "c")) {
          assertEquals(List.of(0L, 0L), owner(file(n + "/" + m + "-new", "")), n + "/" + m);
        }
      }
    }
    reopen();
    assertEquals(0, tree.stat(root.resolve("x0/a-new")).uid());
  }

  static List<String> list(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
