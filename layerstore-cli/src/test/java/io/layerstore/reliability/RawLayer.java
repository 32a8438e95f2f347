package io.layerstore.reliability;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes tar bytes block by block with every field under the test's control: well-formed layers in
 * any shape, and precisely broken ones (bad checksums, impossible numbers, names no writer would
 * produce).
 */
final class RawLayer {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  /** One header block; change fields, then {@link #add()}. */
  final class Header {
    final byte[] b = new byte[512];
    private boolean fixChecksum = true;

    Header(String name, char typeflag, long size) {
      str(0, 100, name);
      octal(100, 8, typeflag == '5' ? 0755 : 0644);
      octal(108, 8, 0);
      octal(116, 8, 0);
      octal(124, 12, size);
      octal(136, 12, 1_700_000_000L);
      b[156] = (byte) typeflag;
      str(257, 6, "ustar\0");
      str(263, 2, "00");
    }

    Header str(int off, int len, String s) {
      return bytes(off, len, s.getBytes(StandardCharsets.UTF_8));
    }

    Header bytes(int off, int len, byte[] v) {
      Arrays.fill(b, off, off + len, (byte) 0);
      System.arraycopy(v, 0, b, off, Math.min(len, v.length));
      return this;
    }

    Header octal(int off, int len, long v) {
      String s = Long.toOctalString(v);
      StringBuilder sb = new StringBuilder();
      while (sb.length() + s.length() < len - 1) {
        sb.append('0');
      }
      return str(off, len, sb.append(s).toString());
    }

    /** Big-endian base-256 with the marker bit (two's complement for negatives). */
    Header base256(int off, int len, long v) {
      for (int i = len - 1; i >= 0; i--) {
        b[off + i] = (byte) v;
        v >>= 8;
      }
      b[off] = (byte) ((b[off] & 0x7f) | 0x80);
      return this;
    }

    Header mode(long mode) {
      return octal(100, 8, mode);
    }

    Header uid(long uid) {
      return octal(108, 8, uid);
    }

    Header link(String target) {
      return str(157, 100, target);
    }

    Header device(int major, int minor) {
      octal(329, 8, major);
      return octal(337, 8, minor);
    }

    /** Stores a checksum that does not match the block. */
    Header badChecksum() {
      fixChecksum = false;
      return str(148, 8, "0000001\0");
    }

    RawLayer add() {
      if (fixChecksum) {
        Arrays.fill(b, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte x : b) {
          sum += x & 0xff;
        }
        String s = Long.toOctalString(sum);
        while (s.length() < 6) {
          s = "0" + s;
        }
        str(148, 8, s + "\0 ");
        b[155] = ' ';
      }
      out.writeBytes(b);
      return RawLayer.this;
    }
  }

  Header header(String name, char typeflag, long size) {
    return new Header(name, typeflag, size);
  }

  RawLayer dir(String name) {
    return header(name, '5', 0).add();
  }

  RawLayer file(String name, String content) {
    return file(name, content.getBytes(StandardCharsets.UTF_8));
  }

  RawLayer file(String name, byte[] content) {
    header(name, '0', content.length).add();
    return data(content);
  }

  RawLayer symlink(String name, String target) {
    return header(name, '2', 0).mode(0777).link(target).add();
  }

  RawLayer hardlink(String name, String target) {
    return header(name, '1', 0).link(target).add();
  }

  /** Content bytes with padding to the block size. */
  RawLayer data(byte[] content) {
    out.writeBytes(content);
    out.writeBytes(new byte[(512 - content.length % 512) % 512]);
    return this;
  }

  /** A PAX extended header ({@code x}) applying to the next member; records are "key=value". */
  RawLayer pax(String... records) {
    ByteArrayOutputStream d = new ByteArrayOutputStream();
    for (String r : records) {
      int eq = r.indexOf('=');
      d.writeBytes(
          paxRecord(r.substring(0, eq), r.substring(eq + 1).getBytes(StandardCharsets.UTF_8)));
    }
    return paxBytes(d.toByteArray());
  }

  RawLayer paxBytes(byte[] data) {
    header("PaxHeaders.0/x", 'x', data.length).add();
    return data(data);
  }

  /** One PAX record, {@code "<len> key=value\n"}, with its self-including length. */
  static byte[] paxRecord(String key, byte[] value) {
    int body = 1 + key.length() + 1 + value.length + 1;
    int len = body + Integer.toString(body).length();
    if (Integer.toString(len).length() != Integer.toString(body).length()) {
      len++;
    }
    ByteArrayOutputStream r = new ByteArrayOutputStream();
    r.writeBytes((len + " " + key + "=").getBytes(StandardCharsets.UTF_8));
    r.writeBytes(value);
    r.write('\n');
    return r.toByteArray();
  }

  RawLayer raw(byte[] bytes) {
    out.writeBytes(bytes);
    return this;
  }

  /** The two zero blocks that end an archive. */
  RawLayer end() {
    out.writeBytes(new byte[1024]);
    return this;
  }

  byte[] bytes() {
    return out.toByteArray();
  }
}
