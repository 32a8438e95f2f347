package io.layerstore.build.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.Digest;
import io.layerstore.InvalidArchiveException;
import io.layerstore.build.LayerSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Layer plans and their tars on jimfs: order, implicit parents, attributes, keys, conflicts. */
class LayerPlanTest {
  private FileSystem fs;
  private Path src;

  @BeforeEach
  void tree() throws IOException {
    fs = Jimfs.newFileSystem(Configuration.unix());
    src = Files.createDirectories(fs.getPath("/src/app/lib"));
    Files.writeString(src.resolve("b.txt"), "b");
    Files.writeString(src.resolve("a.txt"), "a");
    Files.writeString(src.resolveSibling("lib-z"), "z");
    Files.createSymbolicLink(src.resolveSibling("current"), fs.getPath("lib"));
  }

  @AfterEach
  void close() throws IOException {
    fs.close();
  }

  private static byte[] tar(LayerPlan plan) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    LayerTar.write(plan, out);
    return out.toByteArray();
  }

  private static List<TarArchiveEntry> entries(byte[] tar) throws IOException {
    List<TarArchiveEntry> out = new ArrayList<>();
    try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
      for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
        out.add(e);
      }
    }
    return out;
  }

  @Test
  void membersAreSortedParentsFirstWithImplicitParentsAndFixedAttributes() throws IOException {
    LayerSpec spec =
        LayerSpec.builder()
            .addDirectory(fs.getPath("/src/app"), "/opt/app")
            .addBytes("hi".getBytes(StandardCharsets.UTF_8), "/etc/motd")
            .build();
    List<TarArchiveEntry> e = entries(tar(LayerPlan.of(spec, "layer 1")));
    assertEquals(
        List.of(
            "etc/",
            "etc/motd",
            "opt/",
            "opt/app/",
            "opt/app/current",
            "opt/app/lib/",
            "opt/app/lib/a.txt",
            "opt/app/lib/b.txt",
            "opt/app/lib-z"),
        e.stream().map(TarArchiveEntry::getName).toList());
    for (TarArchiveEntry t : e) {
      assertEquals(Instant.ofEpochSecond(1), t.getModTime().toInstant(), t.getName());
      assertEquals("", t.getUserName());
      int expected = t.isDirectory() ? 040755 : t.isSymbolicLink() ? 0120777 : 0100644;
      assertEquals(expected, t.getMode(), t.getName());
    }
    assertEquals("lib", e.get(4).getLinkName());
  }

  @Test
  void theTarDependsOnTheInputsAloneAndTheKeyOnTheMetadata() throws IOException {
    LayerSpec spec = LayerSpec.builder().addDirectory(fs.getPath("/src/app"), "/app").build();
    LayerPlan first = LayerPlan.of(spec, "l");
    byte[] before = tar(first);
    Digest key = first.cacheKey();
    Files.setLastModifiedTime(
        src.resolve("a.txt"), FileTime.from(Instant.parse("2031-01-01T00:00:00Z")));
    LayerPlan touched = LayerPlan.of(spec, "l");
    assertArrayEquals(before, tar(touched), "default options ignore the sources' mtimes");
    assertNotEquals(key, touched.cacheKey(), "the metadata key sees the touched file");

    LayerSpec hashed =
        LayerSpec.builder().hashContents().addDirectory(fs.getPath("/src/app"), "/app").build();
    Digest h = LayerPlan.of(hashed, "l").cacheKey();
    Files.setLastModifiedTime(
        src.resolve("a.txt"), FileTime.from(Instant.parse("2032-01-01T00:00:00Z")));
    assertEquals(h, LayerPlan.of(hashed, "l").cacheKey(), "content hashes ignore the touch");
    Files.writeString(src.resolve("a.txt"), "A");
    assertNotEquals(h, LayerPlan.of(hashed, "l").cacheKey(), "but see new content");

    LayerSpec kept =
        LayerSpec.builder().keepMtimes().addDirectory(fs.getPath("/src/app"), "/app").build();
    TarArchiveEntry a =
        entries(tar(LayerPlan.of(kept, "l"))).stream()
            .filter(t -> t.getName().equals("app/lib/a.txt"))
            .findFirst()
            .orElseThrow();
    assertEquals(
        Files.getLastModifiedTime(src.resolve("a.txt")).toInstant().getEpochSecond(),
        a.getModTime().toInstant().getEpochSecond());
  }

  @Test
  void aLaterEntryWinsAndAFileCannotHoldChildren() throws IOException {
    LayerSpec later =
        LayerSpec.builder()
            .addBytes("one".getBytes(StandardCharsets.UTF_8), "/f")
            .addBytes("two".getBytes(StandardCharsets.UTF_8), "/f")
            .build();
    List<LayerPlan.Member> m = LayerPlan.of(later, "l").members();
    assertEquals(1, m.size());
    assertEquals("two", new String(m.get(0).bytes(), StandardCharsets.UTF_8));

    LayerSpec conflict =
        LayerSpec.builder()
            .addBytes("x".getBytes(StandardCharsets.UTF_8), "/a")
            .addBytes("y".getBytes(StandardCharsets.UTF_8), "/a/b")
            .build();
    InvalidArchiveException e =
        assertThrows(InvalidArchiveException.class, () -> LayerPlan.of(conflict, "layer 3"));
    assertTrue(
        e.getMessage().contains("layer 3") && e.getMessage().contains("/a is a file"),
        e.getMessage());
  }

  @Test
  void followedSymlinksThatLeadBackUpAreALoop() throws IOException {
    Files.createSymbolicLink(src.resolve("up"), fs.getPath(".."));
    LayerSpec kept = LayerSpec.builder().addDirectory(fs.getPath("/src/app"), "/app").build();
    assertTrue(
        LayerPlan.of(kept, "l").members().stream()
            .anyMatch(x -> x.name().equals("app/lib/up") && x.link().equals("..")),
        "not followed: stored as a symlink");
    LayerSpec followed =
        LayerSpec.builder().followSymlinks().addDirectory(fs.getPath("/src/app"), "/app").build();
    InvalidArchiveException e =
        assertThrows(InvalidArchiveException.class, () -> LayerPlan.of(followed, "l"));
    assertTrue(e.getMessage().contains("loop"), e.getMessage());
  }
}
