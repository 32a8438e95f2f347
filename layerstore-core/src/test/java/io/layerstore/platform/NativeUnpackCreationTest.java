package io.layerstore.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.layerstore.archive.OverlayWhiteouts;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.UnpackOptions;
import io.layerstore.archive.Unpacker;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unpacker skips the chown and chmod that would change nothing on a node it just made — but
 * never where the node inherits something: below a setgid directory (the group) or in a layer root
 * that is setgid. Each case asserts the owner and mode the header asked for.
 */
class NativeUnpackCreationTest {

  @TempDir Path tmp;

  private static TarHeader dir(String name, int mode, long uid, long gid) {
    return TarHeader.builder(name, TarHeader.DIRECTORY)
        .mode(mode)
        .uid(uid)
        .gid(gid)
        .mtime(Instant.ofEpochSecond(1_700_000_000L))
        .build();
  }

  private static TarHeader file(String name, int mode, long uid, long gid) {
    return TarHeader.builder(name, TarHeader.REGULAR)
        .mode(mode)
        .uid(uid)
        .gid(gid)
        .size(1)
        .mtime(Instant.ofEpochSecond(1_700_000_000L))
        .build();
  }

  private static void unpack(Tree tree, TarHeader... headers) throws IOException {
    Unpacker u = new Unpacker(tree, new OverlayWhiteouts(), "test.tar", UnpackOptions.DEFAULTS);
    for (TarHeader h : headers) {
      u.apply(h, new ByteArrayInputStream(new byte[] {'x'}));
    }
    u.finish();
  }

  private static void assertNode(Tree tree, Path p, int mode, long uid, long gid)
      throws IOException {
    NodeStat st = tree.stat(p);
    assertEquals(Integer.toOctalString(mode), Integer.toOctalString(st.mode()), p + " mode");
    assertEquals(uid, st.uid(), p + " uid");
    assertEquals(gid, st.gid(), p + " gid");
  }

  @Test
  void ownersAndModesAreWhatTheHeadersSayWhateverIsInherited() throws IOException {
    Path diff = tmp.resolve("diff");
    Files.createDirectory(diff);
    Tree tree = PlatformAssumptions.nativePlatform(tmp).tree(diff, null);
    assertNotNull(tree.creation(diff), "a plain directory: creation is predictable");
    unpack(
        tree,
        dir("plain", 0755, 0, 0),
        file("plain/f", 0644, 0, 0),
        file("plain/odd", 0600, 7, 8),
        dir("shared", 02775, 0, 50),
        file("shared/f", 0644, 0, 0),
        dir("shared/sub", 0755, 0, 0),
        file("later", 0644, 0, 0));
    assertNode(tree, diff.resolve("plain"), 0755, 0, 0);
    assertNode(tree, diff.resolve("plain/f"), 0644, 0, 0);
    assertNode(tree, diff.resolve("plain/odd"), 0600, 7, 8);
    assertNode(tree, diff.resolve("shared"), 02775, 0, 50);
    // made inside a setgid directory of group 50: without a chown these would be group 50 and
    // the subdirectory setgid
    assertNode(tree, diff.resolve("shared/f"), 0644, 0, 0);
    assertNode(tree, diff.resolve("shared/sub"), 0755, 0, 0);
    assertNode(tree, diff.resolve("later"), 0644, 0, 0);
  }

  @Test
  void aSetgidLayerRootIsNotPredictable() throws IOException {
    Path diff = tmp.resolve("diff");
    Files.createDirectory(diff);
    Tree tree = PlatformAssumptions.nativePlatform(tmp).tree(diff, null);
    tree.setOwner(diff, 0, 60);
    tree.setMode(diff, 02755);
    assertNull(tree.creation(diff));
    unpack(tree, dir("d", 0755, 0, 0), file("d/f", 0644, 0, 0), file("f", 0644, 0, 0));
    assertNode(tree, diff.resolve("d"), 0755, 0, 0);
    assertNode(tree, diff.resolve("d/f"), 0644, 0, 0);
    assertNode(tree, diff.resolve("f"), 0644, 0, 0);
  }
}
