package io.layerstore.aufs;

import java.util.ArrayList;
import java.util.List;

/**
 * The mount calls Docker's aufs driver makes, computed from the rules docs/aufs-layout.md §2 takes
 * from moby's {@code daemon/graphdriver/aufs} ({@code aufsMount}, {@code useDirperm}, {@code
 * Unmount}), written here without any of the driver's code so that a test can hold the driver to
 * them rather than to a recording of itself. Calls are in {@link RecordingKernelMounts.Call}'s text
 * form.
 */
final class DockerAufsCalls {

  static final String XINO = "/dev/shm/aufs.xino";
  private static final int MS_REMOUNT = 0x20;
  private static final int MNT_DETACH = 2;

  private DockerAufsCalls() {}

  /**
   * §2.4: the dirperm1 probe, once per process — mount of {@code base} on {@code union} with
   * dirperm1 and the xino file, then its unmount.
   */
  static List<String> probe(String base, String union) {
    return List.of(
        "mount none " + union + " aufs flags=0x0 data=br:" + base + ",dirperm1,xino=" + XINO,
        unmount(union));
  }

  /**
   * §2.1 and §2.2: the first mount, {@code br:<top>=<perm>} then {@code :<ro>=ro+wh} items while
   * they fit in the budget B = page − 54 (− 9 with dirperm1), then the tail {@code
   * ,dio,xino=…[,dirperm1]}, which does not count against B; then remounts, each packing {@code
   * append:<ro>=ro+wh,} items (every one ending in a comma) into at most B bytes. {@code flags} is
   * or-ed into every call (Docker passes 0; a read-only mount is layerstore's own).
   */
  static List<String> mount(
      String target,
      String top,
      String topPerm,
      List<String> ro,
      int page,
      boolean dirperm1,
      long flags) {
    int budget = page - 54 - (dirperm1 ? 9 : 0);
    List<String> calls = new ArrayList<>();
    StringBuilder first = new StringBuilder("br:" + top + "=" + topPerm);
    int i = 0;
    for (; i < ro.size(); i++) {
      String item = ":" + ro.get(i) + "=ro+wh";
      if (first.length() + item.length() > budget) {
        break;
      }
      first.append(item);
    }
    first.append(",dio,xino=").append(XINO).append(dirperm1 ? ",dirperm1" : "");
    calls.add(call(target, flags, first.toString()));
    while (i < ro.size()) {
      StringBuilder more = new StringBuilder();
      for (; i < ro.size(); i++) {
        String item = "append:" + ro.get(i) + "=ro+wh,";
        if (more.length() + item.length() > budget) {
          break;
        }
        more.append(item);
      }
      calls.add(call(target, flags | MS_REMOUNT, more.toString()));
    }
    return calls;
  }

  /** Docker unmounts with a lazy (detached) unmount, after auplink flush. */
  static String unmount(String target) {
    return "umount2 " + target + " flags=" + MNT_DETACH;
  }

  private static String call(String target, long flags, String data) {
    return "mount none " + target + " aufs flags=0x" + Long.toHexString(flags) + " data=" + data;
  }
}
