package io.layerstore.union;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.archive.OverlayWhiteouts;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.ProviderMismatchException;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The lexical side of union paths, which must behave like Unix paths of the default provider. */
class UnionPathTest {

  private JimfsLayers layers;
  private FileSystem union;

  @BeforeEach
  void setUp() throws IOException {
    layers = new JimfsLayers(new OverlayWhiteouts());
    union = UnionFileSystem.open(List.of(layers.tree("only")), new OverlayWhiteouts(), false);
  }

  @AfterEach
  void tearDown() throws IOException {
    union.close();
    layers.close();
  }

  private Path p(String first, String... more) {
    return union.getPath(first, more);
  }

  /** The same operation on a default-provider path, as the reference. */
  private static Path unix(String first, String... more) {
    return Path.of(first, more);
  }

  @Test
  void parsingDropsEmptyNamesLikeUnix() {
    assertEquals("/a/b", p("//a///b/").toString());
    assertEquals("a/b/c", p("a", "b/", "/c").toString());
    assertEquals("", p("").toString());
    assertThrows(InvalidPathException.class, () -> p("a\0b"));
  }

  @Test
  void namesParentsAndRoots() {
    for (String s : List.of("/", "/a", "/a/b/c", "a", "a/b", "")) {
      Path ours = p(s);
      Path ref = unix(s);
      assertEquals(ref.getNameCount(), ours.getNameCount(), s);
      assertEquals(String.valueOf(ref.getParent()), String.valueOf(ours.getParent()), s);
      assertEquals(String.valueOf(ref.getFileName()), String.valueOf(ours.getFileName()), s);
      assertEquals(String.valueOf(ref.getRoot()), String.valueOf(ours.getRoot()), s);
      assertEquals(ref.isAbsolute(), ours.isAbsolute(), s);
    }
    assertEquals("b", p("/a/b/c").getName(1).toString());
    assertEquals("b/c", p("/a/b/c").subpath(1, 3).toString());
    assertNull(p("/").getFileName());
  }

  @Test
  void normalizeResolveRelativize() {
    String[][] cases = {
      {"/a/./b/../c", ""}, {"a/../../b", ""}, {"/../a", ""}, {"./a/.", ""}, {"../..", ""},
    };
    for (String[] c : cases) {
      assertEquals(unix(c[0]).normalize().toString(), p(c[0]).normalize().toString(), c[0]);
    }
    assertEquals("/a/b/c", p("/a/b").resolve("c").toString());
    assertEquals("/x", p("/a/b").resolve("/x").toString());
    assertEquals("/a/c", p("/a/b").resolveSibling("c").toString());
    assertEquals(
        unix("/a/b").relativize(unix("/a/c/d")).toString(),
        p("/a/b").relativize(p("/a/c/d")).toString());
    assertEquals(
        unix("a").relativize(unix("a/b")).toString(), p("a").relativize(p("a/b")).toString());
    assertThrows(IllegalArgumentException.class, () -> p("/a").relativize(p("b")));
  }

  @Test
  void startsAndEndsWith() {
    assertTrue(p("/a/b/c").startsWith("/a/b"));
    assertFalse(p("/a/b/c").startsWith("a/b"));
    assertFalse(p("/a/bc").startsWith("/a/b"));
    assertTrue(p("/a/b/c").endsWith("b/c"));
    assertTrue(p("/a/b/c").endsWith("/a/b/c"));
    assertFalse(p("/a/b/c").endsWith("/b/c"));
  }

  @Test
  void equalityAndOrderAreByText() {
    assertEquals(p("/a/b"), p("/a", "b"));
    assertEquals(p("/a/b").hashCode(), p("/a", "b").hashCode());
    assertTrue(p("/a").compareTo(p("/b")) < 0);
    assertThrows(ProviderMismatchException.class, () -> p("/a").resolve(Path.of("b")));
  }

  @Test
  void globs() {
    PathMatcher conf = union.getPathMatcher("glob:/etc/**/*.{conf,cfg}");
    assertTrue(conf.matches(p("/etc/x/y.conf")));
    assertTrue(conf.matches(p("/etc/x/z/y.cfg")));
    assertFalse(conf.matches(p("/etc/y.txt")));
    PathMatcher star = union.getPathMatcher("glob:*.[ch]");
    assertTrue(star.matches(p("a.c")));
    assertFalse(star.matches(p("d/a.c")));
    assertFalse(star.matches(p("a.o")));
    assertTrue(union.getPathMatcher("glob:[!a]?").matches(p("bc")));
    assertTrue(union.getPathMatcher("regex:/e.c").matches(p("/etc")));
    assertThrows(UnsupportedOperationException.class, () -> union.getPathMatcher("foo:x"));
  }
}
