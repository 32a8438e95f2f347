package io.layerstore.platform;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One line of {@code /proc/self/mountinfo} (proc(5)):
 *
 * <pre>
 * 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 * </pre>
 *
 * <p>The kernel escapes space, tab, newline and backslash in paths as {@code \040}, {@code \011},
 * {@code \012} and {@code \134}; they are undone on the bytes, which are then decoded the way the
 * JDK decodes file names, so a mount point compares equal to {@code Path.toString()}.
 *
 * @param mountPoint the mount point, relative to the process's root
 * @param fsType the file system type ({@code overlay}, {@code ext4}, {@code fuse.sshfs})
 */
record MountInfo(
    int id,
    int parentId,
    String root,
    String mountPoint,
    String options,
    String fsType,
    String source,
    String superOptions) {

  /** Every well-formed line of a mountinfo file, in order (later lines are mounted on top). */
  static List<MountInfo> parse(byte[] content) {
    List<MountInfo> out = new ArrayList<>();
    int start = 0;
    for (int i = 0; i <= content.length; i++) {
      if (i == content.length || content[i] == '\n') {
        if (i > start) {
          MountInfo m = parseLine(content, start, i);
          if (m != null) {
            out.add(m);
          }
        }
        start = i + 1;
      }
    }
    return out;
  }

  private static MountInfo parseLine(byte[] b, int from, int to) {
    List<byte[]> f = new ArrayList<>();
    int start = from;
    for (int i = from; i <= to; i++) {
      if (i == to || b[i] == ' ') {
        byte[] field = new byte[i - start];
        System.arraycopy(b, start, field, 0, field.length);
        f.add(field);
        start = i + 1;
      }
    }
    int sep = -1;
    for (int i = 6; i < f.size(); i++) {
      if (f.get(i).length == 1 && f.get(i)[0] == '-') {
        sep = i;
        break;
      }
    }
    if (f.size() < 6 || sep < 0 || sep + 2 >= f.size()) {
      return null;
    }
    try {
      return new MountInfo(
          Integer.parseInt(ascii(f.get(0))),
          Integer.parseInt(ascii(f.get(1))),
          unescape(f.get(3)),
          unescape(f.get(4)),
          ascii(f.get(5)),
          unescape(f.get(sep + 1)),
          unescape(f.get(sep + 2)),
          sep + 3 < f.size() ? unescape(f.get(sep + 3)) : "");
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Undoes the kernel's {@code \ooo} escapes. */
  static String unescape(byte[] field) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(field.length);
    for (int i = 0; i < field.length; i++) {
      if (field[i] == '\\'
          && i + 3 < field.length
          && isOctal(field[i + 1])
          && isOctal(field[i + 2])
          && isOctal(field[i + 3])) {
        out.write(((field[i + 1] - '0') << 6) | ((field[i + 2] - '0') << 3) | (field[i + 3] - '0'));
        i += 3;
      } else {
        out.write(field[i]);
      }
    }
    byte[] bytes = out.toByteArray();
    return LinuxCalls.decode(bytes, 0, bytes.length);
  }

  private static boolean isOctal(byte c) {
    return c >= '0' && c <= '7';
  }

  private static String ascii(byte[] field) {
    return new String(field, StandardCharsets.US_ASCII);
  }
}
