package io.layerstore.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The count file of kernel mounts is written in place and blanked at zero (the warm mount path
 * makes and frees no inode), and reads back the same: blank lines hold nothing, a count reaching
 * zero unmounts, reclaim removes the blank file once its mount is gone. The mount itself is a set
 * of ids here: what is counted is the file, not the kernel's work.
 */
class MountReferencesTest {
  @TempDir Path dir;

  private final Set<String> mounted = new HashSet<>();
  private int mounts;
  private int unmounts;

  private MountReferences refs(boolean inPlace) throws Exception {
    return new MountReferences(dir, mounted::contains, inPlace);
  }

  private void mount(String id) {
    mounts++;
    mounted.add(id);
  }

  private void unmount(String id) {
    unmounts++;
    mounted.remove(id);
  }

  private String count(String id) throws Exception {
    return Files.readString(dir.resolve(id + ".count"), StandardCharsets.US_ASCII);
  }

  @Test
  void kernelCountsStayAsABlankFileAtZeroAndCountAgainFromIt() throws Exception {
    MountReferences r = refs(true);
    String self = ProcessHolder.current() + " ";
    assertEquals(1, r.acquire("a", () -> mount("a")));
    assertEquals(2, r.acquire("a", () -> mount("a")));
    assertEquals(1, mounts, "the second reference shares the mount");
    assertEquals(self + "2\n", count("a"));
    assertEquals(1, r.addLeft("a") - 2);
    String three = count("a");
    assertTrue(three.contains("left 1\n") && three.contains(self + "2\n"), three);

    assertEquals(2, r.release("a", () -> unmount("a")));
    assertEquals(Optional.of(1), r.releaseLeft("a", () -> unmount("a")));
    // shorter text over a longer file: padded with blank lines, which hold nothing
    assertEquals(three.length(), count("a").length());
    assertEquals(self + "1\n", count("a").replaceAll("\n+$", "\n"));
    assertEquals(0, r.release("a", () -> unmount("a")));
    assertEquals(1, unmounts, "the last reference unmounts");
    assertFalse(mounted.contains("a"));
    assertEquals("\n".repeat(three.length()), count("a"), "blanked, not removed");

    assertEquals(1, r.acquire("a", () -> mount("a")), "a blank file holds nothing");
    assertEquals(2, mounts);
    assertEquals(Optional.empty(), r.releaseLeft("a", () -> unmount("a")), "nothing left behind");
    assertEquals(0, r.release("a", () -> unmount("a")));
    assertEquals(List.of(), r.reclaim(false, this::unmount), "a blank count abandons nothing");
    assertTrue(Files.exists(dir.resolve("a.count")));
    assertEquals(List.of(), r.reclaim(true, this::unmount));
    assertFalse(Files.exists(dir.resolve("a.count")), "reclaim removes it once unmounted");
  }

  @Test
  void aMountUpWithABlankCountIsAbandoned() throws Exception {
    MountReferences r = refs(true);
    r.acquire("b", () -> mount("b"));
    r.release("b", () -> unmount("b"));
    mounted.add("b"); // up again with nothing holding it: a holder killed before it counted
    assertEquals(List.of("b"), r.reclaim(false, this::unmount));
    assertEquals(List.of("b"), r.reclaim(true, this::unmount));
    assertFalse(mounted.contains("b"));
    assertFalse(Files.exists(dir.resolve("b.count")));
  }

  @Test
  void otherCountsGoWithTheirLastReference() throws Exception {
    MountReferences r = refs(false);
    r.addLeft("c");
    assertEquals("left 1\n", count("c"));
    assertEquals(Optional.of(0), r.releaseLeft("c", () -> unmount("c")));
    assertFalse(Files.exists(dir.resolve("c.count")));
  }
}
