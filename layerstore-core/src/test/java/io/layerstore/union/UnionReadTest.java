package io.layerstore.union;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.archive.AufsWhiteouts;
import io.layerstore.archive.OverlayWhiteouts;
import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.ClosedFileSystemException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.ReadOnlyFileSystemException;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What a read-only union of the {@link Scenario} layers shows, for both whiteout formats. */
@ParameterizedClass
@MethodSource("formats")
class UnionReadTest {

  static Stream<Arguments> formats() {
    return Stream.of(
        Arguments.argumentSet("overlay", new OverlayWhiteouts()),
        Arguments.argumentSet("aufs", new AufsWhiteouts()));
  }

  @Parameter WhiteoutFormat format;

  private JimfsLayers layers;
  private FileSystem union;
  private Path root;

  @BeforeEach
  void setUp() throws IOException {
    layers = new JimfsLayers(format);
    List<Tree> image = layers.scenario();
    union = UnionFileSystem.open(image, format, false);
    root = union.getPath("/");
  }

  @AfterEach
  void tearDown() throws IOException {
    union.close();
    layers.close();
  }

  private Path p(String path) {
    return union.getPath(path);
  }

  private List<String> list(String dir) throws IOException {
    try (Stream<Path> entries = Files.list(p(dir))) {
      return entries.map(e -> e.getFileName().toString()).sorted().collect(Collectors.toList());
    }
  }

  private String read(String path) throws IOException {
    return Files.readString(p(path));
  }

  @Test
  void whiteoutsHideFilesAndDirectoriesOfLowerLayers() throws IOException {
    assertFalse(Files.exists(p("/etc/remove-me"), LinkOption.NOFOLLOW_LINKS));
    assertFalse(Files.exists(p("/etc/remove-dir")));
    assertFalse(Files.exists(p("/etc/remove-dir/inside")));
    assertThrows(NoSuchFileException.class, () -> Files.readString(p("/etc/remove-dir/inside")));
    assertEquals(
        List.of("conf.d", "dangling", "gone-later", "localtime", "os-release", "passwd"),
        list("/etc"));
  }

  @Test
  void aNameWhitedOutAndAddedAgainShowsTheNewNode() throws IOException {
    assertEquals("back\n", read("/etc/gone-later"));
  }

  @Test
  void directoriesMergeAcrossLayers() throws IOException {
    assertEquals(List.of("a.conf", "b.conf", "c.conf"), list("/etc/conf.d"));
    assertEquals(List.of(".bashrc", ".profile"), list("/home/user"));
    assertEquals(
        List.of(
            "bin", "dev", "etc", "home", "lib", "loop", "opt", "replace", "run", "srv", "tmp",
            "usr", "var"),
        list("/"));
  }

  @Test
  void opaqueDirectoriesHideEverythingBelow() throws IOException {
    assertEquals(List.of("new"), list("/usr/share/doc"));
    assertFalse(Files.exists(p("/usr/share/doc/readme")));
    assertFalse(Files.exists(p("/usr/share/doc/sub/x")));
    assertEquals(List.of("fresh"), list("/var/cache/app"));
  }

  @Test
  void theTopmostLayerWinsAName() throws IOException {
    assertEquals("NAME=middle\n", read("/etc/os-release"));
    assertEquals("tool v2\n", read("/usr/bin/tool"));
  }

  @Test
  void xattrsComeFromTheWinningNodeOnly() throws IOException {
    UserDefinedFileAttributeView winner =
        Files.getFileAttributeView(p("/etc/os-release"), UserDefinedFileAttributeView.class);
    assertEquals(List.of(), winner.list());
    assertArrayEquals(
        "l1".getBytes(UTF_8), (byte[]) Files.getAttribute(p("/etc/passwd"), "user:origin"));
    assertEquals(Map.of(), Files.readAttributes(p("/etc/os-release"), "user:*"));
  }

  @Test
  void aDirectoryReplacedByAFileAndBack() throws IOException {
    assertTrue(Files.isRegularFile(p("/replace/file-then-dir")));
    assertEquals("file again\n", read("/replace/file-then-dir"));
    assertFalse(Files.exists(p("/replace/file-then-dir/inner")));
    assertTrue(Files.isRegularFile(p("/replace/dir-then-file")));
    assertEquals("now a file\n", read("/replace/dir-then-file"));
    FileSystemException notADir =
        assertThrows(
            FileSystemException.class, () -> Files.readString(p("/replace/dir-then-file/c")));
    assertTrue(notADir.getMessage().contains("Not a directory"), notADir.getMessage());
  }

  @Test
  void aSymlinkReplacedByADirectoryDoesNotMergeWithItsTarget() throws IOException {
    assertTrue(Files.isDirectory(p("/replace/link-then-dir"), LinkOption.NOFOLLOW_LINKS));
    assertEquals(List.of("x"), list("/replace/link-then-dir"));
  }

  @Test
  void symlinksResolveInsideTheUnion() throws IOException {
    assertEquals("libc\n", read("/lib/libc.so"));
    assertEquals("TZif\n", read("/etc/localtime"));
    assertEquals(p("/usr/share/zoneinfo/UTC"), p("/etc/localtime").toRealPath());
    assertEquals(p("/usr/lib/libc.so"), p("/lib/libc.so").toRealPath());
    assertEquals(p("/lib"), p("/lib/").toRealPath(LinkOption.NOFOLLOW_LINKS));
    // ".." after a symlink is the parent of its target, not a lexical step back
    assertTrue(Files.exists(p("/lib/../share/doc/new")));
    assertFalse(Files.exists(p("/lib/../etc/passwd")));
    assertEquals(p("usr/lib"), Files.readSymbolicLink(p("/lib")));
  }

  @Test
  void danglingAndLoopingSymlinks() throws IOException {
    assertFalse(Files.exists(p("/etc/dangling")));
    assertTrue(Files.exists(p("/etc/dangling"), LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isSymbolicLink(p("/etc/dangling")));
    assertThrows(NoSuchFileException.class, () -> Files.readString(p("/etc/dangling")));
    FileSystemException loop =
        assertThrows(FileSystemException.class, () -> Files.readString(p("/loop/a")));
    assertTrue(loop.getMessage().contains("Too many levels of symbolic links"), loop.getMessage());
    assertTrue(Files.isSymbolicLink(p("/loop/a")));
  }

  @Test
  void hardlinksAreOneNode() throws IOException {
    assertTrue(Files.isSameFile(p("/bin/sh"), p("/bin/bash")));
    assertEquals(2, Files.getAttribute(p("/bin/bash"), "unix:nlink"));
    assertEquals(
        Files.getAttribute(p("/bin/sh"), "unix:ino"),
        Files.getAttribute(p("/bin/bash"), "unix:ino"));
    assertEquals(
        Files.readAttributes(p("/bin/sh"), BasicFileAttributes.class).fileKey(),
        Files.readAttributes(p("/bin/bash"), BasicFileAttributes.class).fileKey());
    assertFalse(Files.isSameFile(p("/bin/sh"), p("/etc/passwd")));
  }

  @Test
  void devicesAndFifosShowAsWhatTheLayerRecorded() throws IOException {
    Map<String, Object> nul = Files.readAttributes(p("/dev/null"), "unix:*");
    assertEquals(0020666, nul.get("mode"));
    assertEquals(Modes.makedev(1, 3), nul.get("rdev"));
    assertEquals(true, nul.get("isOther"));
    assertEquals(0060660, Files.getAttribute(p("/dev/sda"), "unix:mode"));
    assertEquals(0x800L, Files.getAttribute(p("/dev/sda"), "unix:rdev"));
    assertEquals(0010644, Files.getAttribute(p("/run/fifo"), "unix:mode"));
    assertTrue(Files.readAttributes(p("/run/fifo"), BasicFileAttributes.class).isOther());
    assertFalse(Files.isRegularFile(p("/run/fifo")));
  }

  @Test
  void fifosAndDevicesAreNeverOpened() {
    FileSystemException fifo =
        assertThrows(FileSystemException.class, () -> Files.readAllBytes(p("/run/fifo")));
    assertTrue(fifo.getMessage().contains("FIFO"), fifo.getMessage());
    assertThrows(FileSystemException.class, () -> Files.newInputStream(p("/dev/null")));
    assertThrows(FileSystemException.class, () -> Files.readAllBytes(p("/etc")));
  }

  @Test
  void specialBitsAndNumericOwners() throws IOException {
    PosixFileAttributes su = Files.readAttributes(p("/usr/bin/su"), PosixFileAttributes.class);
    assertEquals(0104755, Files.getAttribute(p("/usr/bin/su"), "unix:mode"));
    assertEquals(PosixFilePermissions.fromString("rwxr-xr-x"), su.permissions());
    assertEquals(0102755, Files.getAttribute(p("/usr/bin/crontab"), "unix:mode"));
    assertEquals(107, Files.getAttribute(p("/usr/bin/crontab"), "unix:gid"));
    assertEquals(
        "107",
        Files.readAttributes(p("/usr/bin/crontab"), PosixFileAttributes.class).group().getName());
    assertEquals(0041777, Files.getAttribute(p("/tmp"), "unix:mode"));
    assertEquals("1000", Files.getOwner(p("/home/user")).getName());
    assertEquals(1000, Files.getAttribute(p("/home/user/.bashrc"), "unix:uid"));
    assertEquals(0040750, Files.getAttribute(p("/home/user"), "unix:mode"));
    assertEquals(
        union.getUserPrincipalLookupService().lookupPrincipalByName("33"),
        Files.getOwner(p("/srv/old")));
  }

  @Test
  void sizesAndTypes() throws IOException {
    assertEquals(8L, Files.size(p("/usr/bin/su").resolveSibling("tool")));
    assertEquals(
        "/usr/share/zoneinfo/UTC".length(),
        (long) Files.getAttribute(p("/etc/localtime"), "size", LinkOption.NOFOLLOW_LINKS));
    assertTrue(Files.isDirectory(p("/")));
    assertEquals(
        1, Files.getAttribute(p("/etc"), "unix:nlink"), "merged directories report nlink 1");
  }

  @Test
  void walkingTheWholeUnionSeesEveryVisibleNodeOnce() throws IOException {
    List<String> listing = Listing.of(root);
    assertEquals(listing.stream().distinct().count(), listing.size());
    assertTrue(listing.stream().noneMatch(l -> l.contains(".wh.")), String.join("\n", listing));
    assertTrue(
        listing.contains("/dev/null CHAR_DEVICE 0666 0:0 size=0 rdev=259"),
        String.join("\n", listing));
  }

  @Test
  void readOnlyUnionRefusesWrites() {
    assertThrows(ReadOnlyFileSystemException.class, () -> Files.writeString(p("/etc/new"), "x"));
    assertThrows(ReadOnlyFileSystemException.class, () -> Files.delete(p("/etc/passwd")));
    assertThrows(ReadOnlyFileSystemException.class, () -> Files.createDirectory(p("/x")));
    assertThrows(
        ReadOnlyFileSystemException.class,
        () -> Files.setAttribute(p("/etc/passwd"), "unix:uid", 5));
    assertThrows(
        AccessDeniedException.class,
        () ->
            p("/etc/passwd")
                .getFileSystem()
                .provider()
                .checkAccess(p("/etc/passwd"), AccessMode.WRITE));
    assertTrue(union.isReadOnly());
  }

  @Test
  void closingMakesEveryAccessFail() throws IOException {
    Path passwd = p("/etc/passwd");
    union.close();
    assertFalse(union.isOpen());
    assertThrows(ClosedFileSystemException.class, () -> Files.readString(passwd));
    assertThrows(ClosedFileSystemException.class, () -> Files.exists(passwd));
    assertThrows(ClosedFileSystemException.class, () -> Files.list(root));
  }

  @Test
  void pathsAndUris() throws IOException {
    Path passwd = p("/etc/passwd");
    assertEquals("layerstore-union", passwd.toUri().getScheme());
    assertEquals(passwd, union.provider().getPath(passwd.toUri()));
    assertTrue(union.getPathMatcher("glob:/etc/*.d").matches(p("/etc/conf.d")));
    assertNotEquals(p("/etc"), p("etc"));
    assertEquals(p("/etc/passwd"), p("etc/passwd").toAbsolutePath());
  }
}
