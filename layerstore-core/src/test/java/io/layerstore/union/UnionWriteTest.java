package io.layerstore.union;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.archive.AufsWhiteouts;
import io.layerstore.archive.OverlayWhiteouts;
import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.archive.WhiteoutFormat.Role;
import io.layerstore.platform.NodeKind;
import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Writes through a union of the {@link Scenario} layers and a fresh upper layer, checked both in
 * the union and in the upper layer's raw content (whiteouts, opaque markers, copied-up nodes), for
 * both whiteout formats.
 */
@ParameterizedClass
@MethodSource("formats")
class UnionWriteTest {

  static Stream<Arguments> formats() {
    return Stream.of(
        Arguments.argumentSet("overlay", new OverlayWhiteouts()),
        Arguments.argumentSet("aufs", new AufsWhiteouts()));
  }

  @Parameter WhiteoutFormat format;

  private JimfsLayers layers;
  private List<Tree> image;
  private Tree upper;
  private FileSystem union;

  @BeforeEach
  void setUp() throws IOException {
    layers = new JimfsLayers(format);
    image = layers.scenario();
    upper = layers.tree("rw");
    union = layers.writable(upper, image);
  }

  @AfterEach
  void tearDown() throws IOException {
    union.close();
    layers.close();
  }

  private Path p(String path) {
    return union.getPath(path);
  }

  private Path up(String path) {
    return upper.root().resolve(path.substring(1));
  }

  private NodeStat upperStat(String path) throws IOException {
    return upper.statIfExists(up(path));
  }

  private boolean upperWhiteout(String path) throws IOException {
    Path node = up(path);
    Path whiteout = format.whiteoutPath(node.getParent(), node.getFileName().toString());
    NodeStat stat = upper.statIfExists(whiteout);
    return stat != null && format.role(whiteout.getFileName().toString(), stat) == Role.WHITEOUT;
  }

  private boolean upperOpaque(String dir) throws IOException {
    return format.isOpaque(upper, up(dir));
  }

  private List<String> list(String dir) throws IOException {
    try (Stream<Path> entries = Files.list(p(dir))) {
      return entries.map(e -> e.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  /** The raw names in an upper directory, bookkeeping included. */
  private List<String> upperNames(String dir) throws IOException {
    try (Stream<Path> entries = Files.list(up(dir))) {
      return entries.map(e -> e.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  @Test
  void creatingAFileCopiesItsParentsUpWithoutTheirContent() throws IOException {
    Files.writeString(p("/home/user/new"), "hello");
    assertEquals("hello", Files.readString(p("/home/user/new")));
    assertEquals(List.of("new"), upperNames("/home/user"));
    NodeStat dir = upperStat("/home/user");
    assertEquals(0750, dir.mode());
    assertEquals(1000, dir.uid());
    assertEquals(1000, dir.gid());
    NodeStat file = upperStat("/home/user/new");
    assertEquals(0644, file.mode(), "default mode after the 022 umask");
    assertEquals(0, file.uid());
    assertEquals(List.of(".bashrc", ".profile", "new"), list("/home/user"));
    assertFalse(upperOpaque("/home/user"));
  }

  @Test
  void appendingCopiesUpContentModeOwnerXattrsAndMtime() throws IOException {
    Files.writeString(p("/etc/passwd"), "user:x:1000\n", StandardOpenOption.APPEND);
    assertEquals(
        "root:x:0:0:root:/root:/bin/sh\nuser:x:1000\n", Files.readString(p("/etc/passwd")));
    NodeStat copied = upperStat("/etc/passwd");
    assertNotNull(copied);
    assertEquals(0644, copied.mode());
    assertArrayEquals("l1".getBytes(UTF_8), upper.getXattr(up("/etc/passwd"), "user.origin"));
    // the lower layer is untouched
    Path lower = image.get(2).root().resolve("etc/passwd");
    assertEquals("root:x:0:0:root:/root:/bin/sh\n", Files.readString(lower));

    Files.write(p("/usr/bin/su"), new byte[0], StandardOpenOption.APPEND);
    NodeStat su = upperStat("/usr/bin/su");
    assertEquals(04755, su.mode());
    assertEquals(LayerWriter.MTIME, su.mtime(), "copy-up keeps the mtime");
    assertEquals(LayerWriter.MTIME, upperStat("/usr/bin").mtime(), "and the parent's");
  }

  @Test
  void truncatingCopiesUpMetadataButNotContent() throws IOException {
    try (SeekableByteChannel channel =
        Files.newByteChannel(
            p("/usr/bin/crontab"),
            StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
      channel.write(ByteBuffer.wrap("new".getBytes(UTF_8)));
    }
    assertEquals("new", Files.readString(p("/usr/bin/crontab")));
    NodeStat copied = upperStat("/usr/bin/crontab");
    assertEquals(02755, copied.mode());
    assertEquals(107, copied.gid());
  }

  @Test
  void deletingALowerFileLeavesAWhiteout() throws IOException {
    Files.delete(p("/etc/passwd"));
    assertFalse(Files.exists(p("/etc/passwd")));
    assertTrue(upperWhiteout("/etc/passwd"));
    assertFalse(list("/etc").contains("passwd"));
    assertThrows(NoSuchFileException.class, () -> Files.delete(p("/etc/passwd")));
  }

  @Test
  void deletingAnUpperOnlyFileLeavesNothing() throws IOException {
    Files.writeString(p("/etc/tmpfile"), "x");
    Files.delete(p("/etc/tmpfile"));
    assertFalse(Files.exists(p("/etc/tmpfile")));
    assertFalse(upperWhiteout("/etc/tmpfile"));
    assertEquals(List.of(), upperNames("/etc"));
  }

  @Test
  void deletingACopiedUpFileRemovesTheCopyAndWhitesOut() throws IOException {
    Files.writeString(p("/opt/a.txt"), "changed");
    Files.delete(p("/opt/a.txt"));
    assertFalse(Files.exists(p("/opt/a.txt")));
    assertTrue(upperWhiteout("/opt/a.txt"));
    NodeStat stat = upperStat("/opt/a.txt");
    assertTrue(stat == null || format.role("a.txt", stat) == Role.WHITEOUT);
  }

  @Test
  void rmdirNeedsTheMergedDirectoryEmpty() throws IOException {
    assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(p("/etc/conf.d")));
    Files.delete(p("/etc/conf.d/a.conf"));
    Files.delete(p("/etc/conf.d/b.conf"));
    assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(p("/etc/conf.d")));
    Files.delete(p("/etc/conf.d/c.conf"));
    assertEquals(List.of(), list("/etc/conf.d"));
    Files.delete(p("/etc/conf.d"));
    assertFalse(Files.exists(p("/etc/conf.d")));
    assertTrue(upperWhiteout("/etc/conf.d"));
    NodeStat stat = upperStat("/etc/conf.d");
    assertTrue(stat == null || !stat.isDirectory(), "the upper copy with its whiteouts is gone");
  }

  @Test
  void mkdirOverAnUpperWhiteoutMakesAnOpaqueDirectory() throws IOException {
    Files.delete(p("/var/lib/x"));
    Files.delete(p("/var/lib"));
    assertTrue(upperWhiteout("/var/lib"));
    Files.createDirectory(p("/var/lib"));
    assertFalse(upperWhiteout("/var/lib"));
    assertTrue(upperOpaque("/var/lib"));
    assertEquals(List.of(), list("/var/lib"));
    assertEquals(0755, upperStat("/var/lib").mode());
  }

  @Test
  void mkdirWhereALowerLayerWhitedOutIsNotOpaque() throws IOException {
    // l2 deleted /etc/remove-dir; the whiteout is in a lower layer, the upper needs no marker
    Files.createDirectory(p("/etc/remove-dir"));
    assertFalse(upperOpaque("/etc/remove-dir"));
    assertEquals(List.of(), list("/etc/remove-dir"));
  }

  @Test
  void mkdirOfANewNameIsNotOpaque() throws IOException {
    Files.createDirectories(p("/srv/new/deeper"));
    assertFalse(upperOpaque("/srv/new"));
    assertTrue(Files.isDirectory(p("/srv/new/deeper")));
    assertThrows(FileAlreadyExistsException.class, () -> Files.createDirectory(p("/srv/new")));
    assertThrows(FileAlreadyExistsException.class, () -> Files.createDirectory(p("/etc/dangling")));
  }

  @Test
  void aFileRecreatedOverAWhiteoutReplacesIt() throws IOException {
    Files.delete(p("/etc/passwd"));
    Files.writeString(p("/etc/passwd"), "fresh\n");
    assertEquals("fresh\n", Files.readString(p("/etc/passwd")));
    assertFalse(upperWhiteout("/etc/passwd"));
    assertEquals(NodeKind.REGULAR, upperStat("/etc/passwd").kind());
    assertEquals(
        List.of(),
        Files.getFileAttributeView(
                p("/etc/passwd"), java.nio.file.attribute.UserDefinedFileAttributeView.class)
            .list());
  }

  @Test
  void renamingALowerFileCopiesUpAndWhitesOutTheOldName() throws IOException {
    Files.move(p("/opt/a.txt"), p("/opt/b.txt"));
    assertFalse(Files.exists(p("/opt/a.txt")));
    assertEquals("a\n", Files.readString(p("/opt/b.txt")));
    assertTrue(upperWhiteout("/opt/a.txt"));
    assertEquals(NodeKind.REGULAR, upperStat("/opt/b.txt").kind());
  }

  @Test
  void renamingOverAnExistingName() throws IOException {
    assertThrows(
        FileAlreadyExistsException.class, () -> Files.move(p("/opt/a.txt"), p("/srv/old")));
    Files.move(p("/opt/a.txt"), p("/srv/old"), StandardCopyOption.REPLACE_EXISTING);
    assertEquals("a\n", Files.readString(p("/srv/old")));
    assertEquals(0644, (Integer) Files.getAttribute(p("/srv/old"), "unix:mode") & 07777);
    assertTrue(upperWhiteout("/opt/a.txt"));
  }

  @Test
  void renamingALowerDirectoryFailsLikeOverlayWithoutRedirectDir() throws IOException {
    AtomicMoveNotSupportedException exdev =
        assertThrows(
            AtomicMoveNotSupportedException.class,
            () -> Files.move(p("/opt/dir"), p("/opt/dir2"), StandardCopyOption.ATOMIC_MOVE));
    assertTrue(exdev.getMessage().contains("cross-device"), exdev.getMessage());
    // Files.move on a kernel mount then falls back to copying, which needs an empty directory
    DirectoryNotEmptyException notEmpty =
        assertThrows(
            DirectoryNotEmptyException.class, () -> Files.move(p("/opt/dir"), p("/opt/dir2")));
    assertTrue(notEmpty.getCause().getMessage().contains("cross-device"));
    assertTrue(Files.exists(p("/opt/dir/f")));
    assertNull(upperStat("/opt"), "a refused rename changes nothing");
  }

  @Test
  void anEmptyLowerDirectoryMovesByCopy() throws IOException {
    Files.delete(p("/opt/dir/f"));
    FileTime mtime = Files.getLastModifiedTime(p("/opt/dir"));
    Files.move(p("/opt/dir"), p("/srv/dir"));
    assertFalse(Files.exists(p("/opt/dir")));
    assertTrue(upperWhiteout("/opt/dir"));
    assertTrue(Files.isDirectory(p("/srv/dir")));
    assertEquals(mtime, upperStat("/srv/dir").mtime(), "moved by copy, attributes included");
    assertFalse(upperOpaque("/srv/dir"));
  }

  @Test
  void renamingAnUpperOnlyDirectoryWorks() throws IOException {
    Files.createDirectories(p("/newdir/a"));
    Files.writeString(p("/newdir/a/f"), "f");
    Files.move(p("/newdir/a"), p("/newdir/b"));
    assertEquals("f", Files.readString(p("/newdir/b/f")));
    assertFalse(upperOpaque("/newdir/b"), "its new parent merges nothing");
    // moved into a merged directory: opaque, so a lower directory of the new name can't show
    Files.move(p("/newdir/b"), p("/srv/b"));
    assertEquals("f", Files.readString(p("/srv/b/f")));
    assertTrue(upperOpaque("/srv/b"));
    assertFalse(upperWhiteout("/newdir/b"));
    assertThrows(FileSystemException.class, () -> Files.move(p("/srv/b"), p("/srv/b/inside")));
  }

  @Test
  void hardlinkingALowerFileCopiesItUpFirst() throws IOException {
    Files.createLink(p("/etc/hl"), p("/etc/passwd"));
    assertTrue(Files.isSameFile(p("/etc/hl"), p("/etc/passwd")));
    assertEquals(
        upperStat("/etc/hl").fileKey(),
        upperStat("/etc/passwd").fileKey(),
        "linked in the upper layer");
    Files.writeString(p("/etc/hl"), "changed\n");
    assertEquals("changed\n", Files.readString(p("/etc/passwd")));
  }

  @Test
  void metadataChangesCopyUpFirst() throws IOException {
    Files.setAttribute(p("/srv/old"), "unix:uid", 1234);
    Files.setAttribute(p("/srv/old"), "unix:gid", 5678);
    assertEquals(1234, Files.getAttribute(p("/srv/old"), "unix:uid"));
    assertEquals(
        "5678",
        Files.readAttributes(p("/srv/old"), java.nio.file.attribute.PosixFileAttributes.class)
            .group()
            .getName());
    assertEquals("old\n", Files.readString(p("/srv/old")));
    assertEquals(33, image.get(2).stat(image.get(2).root().resolve("srv/old")).uid());

    Files.setPosixFilePermissions(p("/usr/bin/su"), PosixFilePermissions.fromString("rwx------"));
    assertEquals(0700, upperStat("/usr/bin/su").mode(), "chmod with rwx bits clears setuid");
    Files.setAttribute(p("/usr/bin/tool"), "unix:mode", 04711);
    assertEquals(0104711, Files.getAttribute(p("/usr/bin/tool"), "unix:mode"));

    FileTime t = FileTime.from(Instant.parse("2000-01-01T00:00:00Z"));
    Files.setLastModifiedTime(p("/opt/a.txt"), t);
    assertEquals(t, Files.getLastModifiedTime(p("/opt/a.txt")));
    assertNotNull(upperStat("/opt/a.txt"));

    Files.setOwner(
        p("/etc/os-release"), union.getUserPrincipalLookupService().lookupPrincipalByName("42"));
    assertEquals(42, upperStat("/etc/os-release").uid());
  }

  @Test
  void changingADeviceNodeCopiesTheNodeUp() throws IOException {
    Files.setPosixFilePermissions(p("/dev/null"), PosixFilePermissions.fromString("rw-rw-rw-"));
    Files.setAttribute(p("/dev/sda"), "unix:gid", 6);
    NodeStat nul = upperStat("/dev/null");
    assertEquals(NodeKind.CHAR_DEVICE, nul.kind());
    assertEquals(1, nul.devMajor());
    assertEquals(3, nul.devMinor());
    NodeStat sda = upperStat("/dev/sda");
    assertEquals(NodeKind.BLOCK_DEVICE, sda.kind());
    assertEquals(0660, sda.mode());
    assertEquals(6, sda.gid());
  }

  @Test
  void userXattrsAreWrittenOnTheUpperCopy() throws IOException {
    Files.setAttribute(p("/etc/os-release"), "user:note", "hi".getBytes(UTF_8));
    assertArrayEquals(
        "hi".getBytes(UTF_8), (byte[]) Files.getAttribute(p("/etc/os-release"), "user:note"));
    assertArrayEquals("hi".getBytes(UTF_8), upper.getXattr(up("/etc/os-release"), "user.note"));
    var view =
        Files.getFileAttributeView(
            p("/etc/passwd"), java.nio.file.attribute.UserDefinedFileAttributeView.class);
    assertThrows(FileSystemException.class, () -> view.delete("absent"));
    assertNull(upperStat("/etc/passwd"), "removing nothing copies nothing up");
    view.delete("origin");
    assertEquals(List.of(), view.list());
  }

  @Test
  void copyingWithinTheUnion() throws IOException {
    Files.copy(p("/usr/bin/su"), p("/usr/bin/su2"));
    assertEquals("su\n", Files.readString(p("/usr/bin/su2")));
    assertEquals(0755, upperStat("/usr/bin/su2").mode(), "rwx bits of the source, less umask");
    Files.copy(p("/usr/bin/su"), p("/usr/bin/su3"), StandardCopyOption.COPY_ATTRIBUTES);
    assertEquals(04755, upperStat("/usr/bin/su3").mode());
    assertEquals(LayerWriter.MTIME, upperStat("/usr/bin/su3").mtime());
    Files.copy(p("/lib"), p("/lib2"), LinkOption.NOFOLLOW_LINKS);
    assertEquals(p("usr/lib"), Files.readSymbolicLink(p("/lib2")));
    assertThrows(
        FileAlreadyExistsException.class, () -> Files.copy(p("/etc/passwd"), p("/etc/os-release")));
    Files.copy(p("/etc/passwd"), p("/etc/os-release"), StandardCopyOption.REPLACE_EXISTING);
    assertEquals(Files.readString(p("/etc/passwd")), Files.readString(p("/etc/os-release")));
  }

  @Test
  void symlinksCreatedInTheUnion() throws IOException {
    Files.createSymbolicLink(p("/srv/link"), p("/etc/passwd"));
    assertEquals("/etc/passwd", Files.readSymbolicLink(p("/srv/link")).toString());
    assertEquals(Files.readString(p("/etc/passwd")), Files.readString(p("/srv/link")));
    assertEquals(NodeKind.SYMLINK, upperStat("/srv/link").kind());
    // writing through a symlink writes its target (copied up)
    Files.writeString(p("/etc/localtime"), "UTC0\n");
    assertEquals("UTC0\n", Files.readString(p("/usr/share/zoneinfo/UTC")));
    assertNotNull(upperStat("/usr/share/zoneinfo/UTC"));
    assertNull(upperStat("/etc/localtime"));
  }

  @Test
  void outputStreamsTruncateAndCreate() throws IOException {
    try (OutputStream out = Files.newOutputStream(p("/opt/a.txt"))) {
      out.write('z');
    }
    assertEquals("z", Files.readString(p("/opt/a.txt")));
    assertThrows(
        FileAlreadyExistsException.class,
        () -> Files.newOutputStream(p("/opt/a.txt"), StandardOpenOption.CREATE_NEW));
    assertThrows(
        NoSuchFileException.class,
        () -> Files.newOutputStream(p("/opt/none"), StandardOpenOption.WRITE));
    assertThrows(NoSuchFileException.class, () -> Files.writeString(p("/nodir/x"), "x"));
  }

  @Test
  void fileChannelsWriteTheUpperCopyAndCloseWithTheUnion() throws IOException {
    try (FileChannel channel =
        FileChannel.open(p("/opt/a.txt"), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      channel.write(ByteBuffer.wrap("b".getBytes(UTF_8)), 0);
      assertEquals(2, channel.size());
    }
    assertEquals("b\n", Files.readString(p("/opt/a.txt")));
    FileChannel reader = FileChannel.open(p("/etc/passwd"));
    union.close();
    assertFalse(reader.isOpen(), "closing the union closes what it opened");
    assertThrows(ClosedFileSystemException.class, () -> FileChannel.open(p("/etc/passwd")));
  }

  @Test
  void closingFlushesTheUpperTreesRecords() throws IOException {
    Files.setAttribute(p("/srv/old"), "unix:uid", 1234);
    Files.delete(p("/etc/passwd"));
    union.close();
    Tree reopened = layers.tree("rw");
    assertEquals(1234, reopened.stat(reopened.root().resolve("srv/old")).uid());
    try (FileSystem again = layers.writable(reopened, image)) {
      assertEquals(1234, Files.getAttribute(again.getPath("/srv/old"), "unix:uid"));
      assertFalse(Files.exists(again.getPath("/etc/passwd")));
    }
  }

  @Test
  void aCopyUpLeftOverByACrashStaysInvisible() throws IOException {
    Files.createDirectories(up("/etc"));
    Files.writeString(up("/etc/" + Branches.STAGING_PREFIX + "1234"), "partial");
    assertFalse(Files.exists(p("/etc/" + Branches.STAGING_PREFIX + "1234")));
    assertFalse(list("/etc").stream().anyMatch(n -> n.startsWith(Branches.STAGING_PREFIX)));
    assertThrows(
        AccessDeniedException.class,
        () -> Files.writeString(p("/etc/" + Branches.STAGING_PREFIX + "x"), "x"));
  }

  @Test
  void reservedWhiteoutNames() throws IOException {
    if (format instanceof AufsWhiteouts) {
      assertThrows(AccessDeniedException.class, () -> Files.writeString(p("/etc/.wh.passwd"), "x"));
      assertThrows(AccessDeniedException.class, () -> Files.createDirectory(p("/.wh..wh.plnk")));
      assertTrue(Files.exists(p("/etc/passwd")));
    } else {
      Files.writeString(p("/etc/.wh.passwd"), "x");
      assertTrue(Files.exists(p("/etc/.wh.passwd")));
      assertTrue(Files.exists(p("/etc/passwd")));
    }
  }
}
