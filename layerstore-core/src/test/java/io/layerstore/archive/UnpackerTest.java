package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.InvalidArchiveException;
import io.layerstore.UnsafePathException;
import io.layerstore.platform.NodeKind;
import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Platform;
import io.layerstore.platform.Tree;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The unpacker on jimfs with an emulated tree: what it creates, and what it refuses. */
class UnpackerTest {

  private FileSystem fs;
  private Path diff;
  private Path canary;
  private Tree tree;

  @BeforeEach
  void setUp() throws IOException {
    fs =
        Jimfs.newFileSystem(
            Configuration.unix().toBuilder()
                .setAttributeViews("basic", "owner", "posix", "unix")
                .build());
    Path top = fs.getPath("/store");
    diff = top.resolve("layer/diff");
    Files.createDirectories(diff);
    canary = fs.getPath("/canary");
    Files.createDirectories(canary);
    Files.writeString(canary.resolve("keep"), "untouched");
    tree = Platform.emulated().tree(diff, top.resolve("layer/attrs"));
  }

  @AfterEach
  void tearDown() throws IOException {
    fs.close();
  }

  private static TarHeader.Builder h(String name, byte type) {
    return TarHeader.builder(name, type).mode(0644).mtime(Instant.ofEpochSecond(1_700_000_000L));
  }

  private static TarHeader file(String name, int size) {
    return h(name, TarHeader.REGULAR).size(size).build();
  }

  private long apply(WhiteoutFormat format, TarHeader... headers) throws IOException {
    tree.setMode(diff, 0755);
    Unpacker u = new Unpacker(tree, format, "test.tar", UnpackOptions.DEFAULTS);
    for (TarHeader t : headers) {
      byte[] data = new byte[(int) (t.isRegular() ? t.size() : 0)];
      java.util.Arrays.fill(data, (byte) 'x');
      u.apply(t, new ByteArrayInputStream(data));
    }
    return u.finish();
  }

  private void assertCanaryIntact() throws IOException {
    assertEquals(List.of(canary.resolve("keep")), list(canary));
    assertEquals("untouched", Files.readString(canary.resolve("keep")));
  }

  private static List<Path> list(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }

  @Test
  void appliesEveryKindWithMetadata() throws IOException {
    long size =
        apply(
            new OverlayWhiteouts(),
            h("./", TarHeader.DIRECTORY).mode(0700).build(),
            h("etc/", TarHeader.DIRECTORY).mode(0755).build(),
            h("etc/passwd", TarHeader.REGULAR).size(5).uid(1234).gid(5678).mode(04755).build(),
            h("etc/link", TarHeader.SYMLINK).linkName("/etc/passwd").build(),
            h("etc/hard", TarHeader.HARDLINK).linkName("etc/passwd").build(),
            h("dev/null", TarHeader.CHAR_DEVICE).device(1, 3).mode(0666).build(),
            h("run/fifo", TarHeader.FIFO).mode(0600).build(),
            h("etc/x", TarHeader.REGULAR)
                .size(0)
                .xattr("user.note", "hi".getBytes(StandardCharsets.UTF_8))
                .xattr("trusted.overlay.opaque", "y".getBytes(StandardCharsets.UTF_8))
                .build());
    NodeStat passwd = tree.stat(diff.resolve("etc/passwd"));
    assertEquals(NodeKind.REGULAR, passwd.kind());
    assertEquals(04755, passwd.mode());
    assertEquals(1234, passwd.uid());
    assertEquals(5678, passwd.gid());
    assertEquals(Instant.ofEpochSecond(1_700_000_000L), passwd.mtime().toInstant());
    assertEquals("/etc/passwd", Files.readSymbolicLink(diff.resolve("etc/link")).toString());
    assertEquals(passwd.fileKey(), tree.stat(diff.resolve("etc/hard")).fileKey());
    NodeStat dev = tree.stat(diff.resolve("dev/null"));
    assertEquals(NodeKind.CHAR_DEVICE, dev.kind());
    assertEquals(1, dev.devMajor());
    assertEquals(3, dev.devMinor());
    assertEquals(NodeKind.FIFO, tree.stat(diff.resolve("run/fifo")).kind());
    assertArrayEquals(
        "hi".getBytes(StandardCharsets.UTF_8), tree.getXattr(diff.resolve("etc/x"), "user.note"));
    // trusted.* from a tar never becomes overlay metadata
    assertEquals(null, tree.getXattr(diff.resolve("etc/x"), "trusted.overlay.opaque"));
    // the root entry is ignored: the diff root keeps its mode
    assertEquals(0755, tree.stat(diff).mode() & 0777);
    // implicit parent dirs are 0755
    assertEquals(0755, tree.stat(diff.resolve("dev")).mode());
    // Docker's size rule: regular bytes once per inode, plus symlink target lengths
    assertEquals(5 + "/etc/passwd".length(), size);
  }

  @Test
  void overlayWhiteoutsAndOpaqueDirectories() throws IOException {
    apply(
        new OverlayWhiteouts(),
        h("etc/", TarHeader.DIRECTORY).mode(0755).build(),
        h("etc/.wh.gone", TarHeader.REGULAR).size(0).build(),
        h("usr/", TarHeader.DIRECTORY).mode(0755).build(),
        h("usr/.wh..wh..opq", TarHeader.REGULAR).size(0).build(),
        h(".wh..wh.plnk/123", TarHeader.REGULAR).size(0).build());
    assertTrue(tree.stat(diff.resolve("etc/gone")).isOverlayWhiteout());
    assertFalse(Files.exists(diff.resolve("etc/.wh.gone"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(new OverlayWhiteouts().isOpaque(tree, diff.resolve("usr")));
    assertFalse(Files.exists(diff.resolve("usr/.wh..wh..opq"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(diff.resolve(".wh..wh.plnk"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aufsKeepsTarForm() throws IOException {
    apply(
        new AufsWhiteouts(),
        h("etc/", TarHeader.DIRECTORY).mode(0755).build(),
        h("etc/.wh.gone", TarHeader.REGULAR).size(0).build(),
        h("usr/.wh..wh..opq", TarHeader.REGULAR).size(0).build());
    assertTrue(Files.isRegularFile(diff.resolve("etc/.wh.gone"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isRegularFile(diff.resolve("usr/.wh..wh..opq"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void refusesDotDot() throws IOException {
    UnsafePathException e =
        assertThrows(
            UnsafePathException.class,
            () -> apply(new OverlayWhiteouts(), file("a/../../canary/keep", 3)));
    assertTrue(e.getMessage().contains("test.tar"), e.getMessage());
    assertTrue(e.getMessage().contains("a/../../canary/keep"), e.getMessage());
    assertTrue(e.getMessage().contains(".."), e.getMessage());
    assertCanaryIntact();
  }

  @Test
  void refusesAbsoluteNames() throws IOException {
    UnsafePathException e =
        assertThrows(
            UnsafePathException.class,
            () -> apply(new OverlayWhiteouts(), file("/canary/keep", 3)));
    assertTrue(e.getMessage().contains("absolute"), e.getMessage());
    assertCanaryIntact();
  }

  @Test
  void refusesWritingThroughASymlinkFromTheSameLayer() throws IOException {
    UnsafePathException e =
        assertThrows(
            UnsafePathException.class,
            () ->
                apply(
                    new OverlayWhiteouts(),
                    h("evil", TarHeader.SYMLINK).linkName("/canary").build(),
                    file("evil/keep", 3)));
    assertTrue(e.getMessage().contains("symlink"), e.getMessage());
    assertCanaryIntact();
  }

  @Test
  void refusesDirectoryReplacedBySymlinkThenWrittenUnder() throws IOException {
    InvalidArchiveException e =
        assertThrows(
            InvalidArchiveException.class,
            () ->
                apply(
                    new OverlayWhiteouts(),
                    h("d/", TarHeader.DIRECTORY).mode(0755).build(),
                    h("d", TarHeader.SYMLINK).linkName("/canary").build(),
                    file("d/keep", 3)));
    assertTrue(e.getMessage().contains("duplicate"), e.getMessage());
    assertCanaryIntact();
  }

  @Test
  void refusesHardlinksLeavingTheLayer() throws IOException {
    assertThrows(
        UnsafePathException.class,
        () ->
            apply(
                new OverlayWhiteouts(),
                h("x", TarHeader.HARDLINK).linkName("../../canary/keep").build()));
    assertThrows(
        UnsafePathException.class,
        () ->
            apply(
                new OverlayWhiteouts(),
                h("y", TarHeader.HARDLINK).linkName("/canary/keep").build()));
    InvalidArchiveException missing =
        assertThrows(
            InvalidArchiveException.class,
            () ->
                apply(
                    new OverlayWhiteouts(),
                    h("z", TarHeader.HARDLINK).linkName("nothing").build()));
    assertTrue(missing.getMessage().contains("not in this layer"), missing.getMessage());
    assertCanaryIntact();
  }

  /**
   * As Docker's untar (moby's TestUntarHardlinkToSymlink): the hardlink is the symlink itself,
   * never what it points at — here a copy of it, since jimfs links regular files only.
   */
  @Test
  void aHardlinkToASymlinkIsTheSymlinkItself() throws IOException {
    apply(
        new OverlayWhiteouts(),
        h("s", TarHeader.SYMLINK).linkName("/canary/keep").build(),
        h("h", TarHeader.HARDLINK).linkName("s").build());
    assertTrue(Files.isSymbolicLink(diff.resolve("h")));
    assertEquals("/canary/keep", Files.readSymbolicLink(diff.resolve("h")).toString());
    assertCanaryIntact();
  }

  /**
   * Docker keeps an opaque marker at a layer's root, marking the diff root opaque (overlayfs
   * ignores it there).
   */
  @Test
  void anOpaqueMarkerAtTheLayerRootMarksTheRoot() throws IOException {
    OverlayWhiteouts format = new OverlayWhiteouts();
    apply(format, file(".wh..wh..opq", 0), file("kept", 1));
    assertTrue(format.isOpaque(tree, diff));
    assertTrue(Files.exists(diff.resolve("kept")));
    assertFalse(Files.exists(diff.resolve(".wh..wh..opq")));
  }

  @Test
  void refusesTraversingWhiteouts() throws IOException {
    assertThrows(
        UnsafePathException.class, () -> apply(new OverlayWhiteouts(), file("a/.wh...", 0)));
    assertThrows(UnsafePathException.class, () -> apply(new OverlayWhiteouts(), file(".wh..", 0)));
    assertThrows(
        UnsafePathException.class, () -> apply(new OverlayWhiteouts(), file("../.wh.keep", 0)));
    assertTrue(Files.isDirectory(diff));
    assertCanaryIntact();
  }

  @Test
  void refusesWhiteoutOfOwnEntry() {
    assertThrows(
        InvalidArchiveException.class,
        () -> apply(new OverlayWhiteouts(), file("a", 1), file(".wh.a", 0)));
  }

  @Test
  void devicePolicy() throws IOException {
    InvalidArchiveException e =
        assertThrows(
            InvalidArchiveException.class,
            () ->
                apply(
                    new OverlayWhiteouts(),
                    h("dev/sda", TarHeader.BLOCK_DEVICE).device(8, 0).mode(0660).build()));
    assertTrue(e.getMessage().contains("device policy"), e.getMessage());
    assertThrows(
        InvalidArchiveException.class,
        () ->
            apply(
                new OverlayWhiteouts(),
                h("dev/mem", TarHeader.CHAR_DEVICE).device(1, 1).mode(0660).build()));
  }

  @Test
  void contentMustMatchSize() {
    Unpacker u = new Unpacker(tree, new OverlayWhiteouts(), "test.tar", UnpackOptions.DEFAULTS);
    InvalidArchiveException e =
        assertThrows(
            InvalidArchiveException.class,
            () -> u.apply(file("short", 10), new ByteArrayInputStream(new byte[3])));
    assertTrue(e.getMessage().contains("header says 10"), e.getMessage());
  }

  /** A lower layer that has a symlink {@code etc -> /canary} and a directory {@code usr}. */
  private final LowerLayers lowerWithEtcLink =
      rel ->
          rel.equals("etc")
              ? LowerLayers.Kind.SYMLINK
              : rel.equals("usr") ? LowerLayers.Kind.DIRECTORY : LowerLayers.Kind.ABSENT;

  private void applyOver(LowerLayers lowers, TarHeader... headers) throws IOException {
    Unpacker u =
        new Unpacker(tree, new OverlayWhiteouts(), "test.tar", UnpackOptions.DEFAULTS, lowers);
    for (TarHeader t : headers) {
      u.apply(t, new ByteArrayInputStream(new byte[(int) (t.isRegular() ? t.size() : 0)]));
    }
    u.finish();
  }

  @Test
  void refusesNamesThroughASymlinkOfALowerLayer() throws IOException {
    UnsafePathException e =
        assertThrows(
            UnsafePathException.class, () -> applyOver(lowerWithEtcLink, file("etc/passwd", 1)));
    assertTrue(e.getMessage().contains("symlink etc of a lower layer"), e.getMessage());
    assertCanaryIntact();
  }

  @Test
  void aLowerSymlinkMayBeReplacedOrHiddenByThisLayer() throws IOException {
    // replaced by an explicit directory entry
    applyOver(
        lowerWithEtcLink, h("etc/", TarHeader.DIRECTORY).mode(0755).build(), file("etc/passwd", 1));
    assertTrue(Files.isRegularFile(diff.resolve("etc/passwd"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void belowAnOpaqueDirectoryTheLowerLayersDoNotCount() throws IOException {
    LowerLayers deepLink =
        rel -> rel.equals("usr/lib") ? LowerLayers.Kind.SYMLINK : LowerLayers.Kind.DIRECTORY;
    assertThrows(UnsafePathException.class, () -> applyOver(deepLink, file("usr/lib/x", 1)));
    tree.delete(diff.resolve("usr"));
    applyOver(
        deepLink,
        h("usr/", TarHeader.DIRECTORY).mode(0755).build(),
        file("usr/.wh..wh..opq", 0),
        file("usr/lib/x", 1));
    assertTrue(Files.isRegularFile(diff.resolve("usr/lib/x"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void aNonDirectoryMayNotNameTheLayerRoot() {
    assertThrows(UnsafePathException.class, () -> apply(new OverlayWhiteouts(), file(".", 1)));
    assertThrows(
        UnsafePathException.class,
        () ->
            apply(new OverlayWhiteouts(), h("./", TarHeader.SYMLINK).linkName("/canary").build()));
  }

  @Test
  void overlayMetadataInUserNamespaceIsNotAppliedEither() throws IOException {
    apply(
        new OverlayWhiteouts(),
        h("d/", TarHeader.DIRECTORY)
            .mode(0755)
            .xattr("user.overlay.opaque", "y".getBytes(StandardCharsets.UTF_8))
            .xattr("user.ok", "1".getBytes(StandardCharsets.UTF_8))
            .build());
    assertEquals(null, tree.getXattr(diff.resolve("d"), "user.overlay.opaque"));
    assertArrayEquals(
        "1".getBytes(StandardCharsets.UTF_8), tree.getXattr(diff.resolve("d"), "user.ok"));
  }

  /** Found by DockerArchiveFuzzTest: the content of a whiteout cannot be kept, so save failed. */
  @Test
  void whiteoutsWithContentAreRefused() {
    InvalidArchiveException e =
        assertThrows(
            InvalidArchiveException.class, () -> apply(new OverlayWhiteouts(), file("d/.wh.x", 3)));
    assertTrue(e.getMessage().contains("whiteouts are empty"), e.getMessage());
    assertThrows(
        InvalidArchiveException.class, () -> apply(new AufsWhiteouts(), file(".wh..wh.plnk/1", 3)));
  }
}
