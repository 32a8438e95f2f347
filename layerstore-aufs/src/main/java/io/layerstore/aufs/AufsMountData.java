package io.layerstore.aufs;

import io.layerstore.LayerStoreException;
import io.layerstore.spi.MountCalls;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The mount(2) calls that mount one layer with aufs, exactly as Docker 20.10 makes them
 * (docs/aufs-layout.md §2.1-2.2), as data, so the sequence can be checked without a kernel that has
 * aufs.
 *
 * <p>The first call mounts {@code br:<top>=rw} and as many {@code :<lower>=ro+wh} branches as fit
 * in Docker's budget of {@code pagesize - len(label) - 54} bytes ({@code - 9} more with {@code
 * dirperm1}), followed by the option tail {@code ,dio,xino=/dev/shm/aufs.xino[,dirperm1]}. Every
 * branch that did not fit is added by remounting with {@code append:<lower>=ro+wh,} items packed
 * into the same budget, each item ending in a comma. A mount label is appended Docker's way ({@code
 * ,context="<label>"}) to every call.
 *
 * <p>Docker only mounts writable (the layer's own branch {@code rw}). A read-only mount here has
 * the same branches with the top one {@code ro+wh} (its whiteouts still hide what lies below) and
 * {@code MS_RDONLY}, remounts included, so a remount never turns it writable.
 */
final class AufsMountData {

  /** Docker's external inode table. */
  static final String XINO = "/dev/shm/aufs.xino";

  /** Docker's reserve for the option tail, besides the label. */
  static final int TAIL_RESERVE = 54;

  /** The further reserve when dirperm1 is used ({@code ",dirperm1"}). */
  static final int DIRPERM1_RESERVE = 9;

  /** One mount(2) call. */
  record Call(String source, String target, String fsType, long flags, String data) {
    @Override
    public String toString() {
      return "mount(\""
          + source
          + "\", \""
          + target
          + "\", \""
          + fsType
          + "\", 0x"
          + Long.toHexString(flags)
          + ", \""
          + data
          + "\")";
    }
  }

  private AufsMountData() {}

  /**
   * The calls for mounting {@code top} over {@code lowers} (nearest first) at {@code target}.
   *
   * @throws LayerStoreException if a single branch cannot fit in a page
   */
  static List<Call> calls(
      String target,
      String top,
      boolean writable,
      List<String> lowers,
      int pageSize,
      boolean dirperm1,
      String mountLabel)
      throws LayerStoreException {
    String label = mountLabel == null ? "" : mountLabel;
    int budget = pageSize - bytes(label) - TAIL_RESERVE - (dirperm1 ? DIRPERM1_RESERVE : 0);
    long rdonly = writable ? 0 : MountCalls.MS_RDONLY;
    List<Call> calls = new ArrayList<>();

    StringBuilder first = new StringBuilder("br:").append(top).append(writable ? "=rw" : "=ro+wh");
    if (bytes(first) > budget) {
      throw new LayerStoreException(
          "aufs: the branch "
              + top
              + " alone does not fit in the mount data of a "
              + pageSize
              + "-byte page");
    }
    int firstBytes = bytes(first);
    int i = 0;
    for (; i < lowers.size(); i++) {
      String item = ":" + lowers.get(i) + "=ro+wh";
      if (firstBytes + bytes(item) > budget) {
        break;
      }
      first.append(item);
      firstBytes += bytes(item);
    }
    first.append(",dio,xino=").append(XINO);
    if (dirperm1) {
      first.append(",dirperm1");
    }
    calls.add(new Call("none", target, "aufs", rdonly, withLabel(first.toString(), label)));

    while (i < lowers.size()) {
      StringBuilder more = new StringBuilder();
      int moreBytes = 0;
      for (; i < lowers.size(); i++) {
        String item = "append:" + lowers.get(i) + "=ro+wh,";
        if (moreBytes + bytes(item) > budget) {
          break;
        }
        more.append(item);
        moreBytes += bytes(item);
      }
      if (moreBytes == 0) {
        throw new LayerStoreException(
            "aufs: the branch "
                + lowers.get(i)
                + " alone does not fit in the mount data of a "
                + pageSize
                + "-byte page");
      }
      calls.add(
          new Call(
              "none",
              target,
              "aufs",
              MountCalls.MS_REMOUNT | rdonly,
              withLabel(more.toString(), label)));
    }
    return calls;
  }

  /** The data of Docker's dirperm1 probe mount of {@code base}. */
  static String probeData(String base) {
    return "br:" + base + ",dirperm1,xino=" + XINO;
  }

  /** Docker's label.FormatMountLabel: {@code ,context="<label>"} appended, Go-quoted. */
  static String withLabel(String data, String label) {
    if (label.isEmpty()) {
      return data;
    }
    String context = "context=" + goQuote(label);
    return data.isEmpty() ? context : data + "," + context;
  }

  /** Go's %q for the printable ASCII a label holds; other bytes as \xNN. */
  static String goQuote(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      int c = b & 0xff;
      if (c == '"' || c == '\\') {
        sb.append('\\').append((char) c);
      } else if (c >= 0x20 && c < 0x7f) {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    return sb.append('"').toString();
  }

  private static int bytes(CharSequence s) {
    return s.toString().getBytes(StandardCharsets.UTF_8).length;
  }
}
