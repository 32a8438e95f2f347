package io.layerstore.aufs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.LayerStoreException;
import io.layerstore.platform.KernelMounts;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The mount data rules of docs/aufs-layout.md §2.2, checked as properties over many path lengths.
 */
class AufsMountDataTest {

  private static String hex(int i) {
    return AufsKernelMountTest.hexId("l" + i);
  }

  private static List<String> lowers(String home, int n) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(home + "/diff/" + hex(i));
    }
    return out;
  }

  private static int bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /**
   * aufs_test's TestMountMoreThan42LayersMatchingPathLength moves the page boundary through a path
   * and through a permission string; here every home length from 10 to 140 bytes, 126 layers, with
   * and without dirperm1 and a label.
   */
  @Test
  void everyBranchOnceInOrderAndNoCallOverBudget() throws LayerStoreException {
    for (int extra = 0; extra <= 130; extra++) {
      for (boolean dirperm1 : new boolean[] {true, false}) {
        for (String label : new String[] {"", "system_u:object_r:container_file_t:s0:c12,c34"}) {
          String home = "/d" + "x".repeat(extra) + "/aufs";
          String top = home + "/diff/top";
          List<String> lowers = lowers(home, 126);
          List<AufsMountData.Call> calls =
              AufsMountData.calls(home + "/mnt/top", top, true, lowers, 4096, dirperm1, label);
          int budget = 4096 - bytes(label) - 54 - (dirperm1 ? 9 : 0);
          String ctx = label.isEmpty() ? "" : ",context=\"" + label + "\"";
          List<String> seen = new ArrayList<>();
          String tail = ",dio,xino=/dev/shm/aufs.xino" + (dirperm1 ? ",dirperm1" : "") + ctx;
          AufsMountData.Call first = calls.get(0);
          assertEquals(0, first.flags());
          assertTrue(first.data().endsWith(tail), first.data());
          String branchPart = first.data().substring(0, first.data().length() - tail.length());
          assertTrue(bytes(branchPart) <= budget);
          assertTrue(bytes(first.data()) <= 4095, "a mount reads one page");
          String[] items = branchPart.substring(3).split(":");
          assertEquals(top + "=rw", items[0]);
          for (int i = 1; i < items.length; i++) {
            seen.add(items[i]);
          }
          int next = items.length - 1;
          if (next < lowers.size()) {
            assertTrue(
                bytes(branchPart) + bytes(":" + lowers.get(next) + "=ro+wh") > budget,
                "first mount packed full");
          }
          for (int c = 1; c < calls.size(); c++) {
            AufsMountData.Call r = calls.get(c);
            assertEquals(KernelMounts.MS_REMOUNT, r.flags());
            String data =
                label.isEmpty()
                    ? r.data()
                    : r.data().substring(0, r.data().length() - ctx.length());
            assertTrue(data.endsWith(","));
            assertTrue(bytes(data) <= budget);
            for (String item : data.split(",")) {
              assertTrue(item.startsWith("append:"), item);
              seen.add(item.substring(7));
            }
            if (seen.size() < lowers.size()) {
              assertTrue(
                  bytes(data) + bytes("append:" + lowers.get(seen.size()) + "=ro+wh,") > budget,
                  "remount packed full");
            }
          }
          List<String> want = new ArrayList<>();
          for (String l : lowers) {
            want.add(l + "=ro+wh");
          }
          assertEquals(want, seen, "home length " + bytes(home));
        }
      }
    }
  }

  @Test
  void fewLayersNeedOneCall() throws LayerStoreException {
    List<AufsMountData.Call> calls =
        AufsMountData.calls(
            "/r/aufs/mnt/2", "/r/aufs/diff/2", true, List.of("/r/aufs/diff/1"), 4096, false, "");
    assertEquals(
        List.of(
            new AufsMountData.Call(
                "none",
                "/r/aufs/mnt/2",
                "aufs",
                0,
                "br:/r/aufs/diff/2=rw:/r/aufs/diff/1=ro+wh,dio,xino=/dev/shm/aufs.xino")),
        calls);
  }

  @Test
  void aBranchLongerThanAPageIsAClearError() {
    String huge = "/" + "p".repeat(5000);
    LayerStoreException e =
        assertThrows(
            LayerStoreException.class,
            () -> AufsMountData.calls("/m", "/top", true, List.of("/ok", huge), 4096, true, ""));
    assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
    assertThrows(
        LayerStoreException.class,
        () -> AufsMountData.calls("/m", huge, true, List.of(), 4096, true, ""));
  }

  @Test
  void labelsAreQuotedTheGoWay() {
    assertEquals("a,context=\"x:y\"", AufsMountData.withLabel("a", "x:y"));
    assertEquals("context=\"q\\\"b\\\\\"", AufsMountData.withLabel("", "q\"b\\"));
    assertEquals("a", AufsMountData.withLabel("a", ""));
    assertEquals("\"\\x01\"", AufsMountData.goQuote("\u0001"));
  }

  @Test
  void dirperm1ProbeData() {
    assertEquals(
        "br:/tmp/base,dirperm1,xino=/dev/shm/aufs.xino", AufsMountData.probeData("/tmp/base"));
  }
}
