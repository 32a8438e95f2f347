package io.layerstore.archive;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds tar bytes block by block with full control over every field, so tests can make both
 * well-formed archives in any format and precisely broken ones.
 */
final class RawTar {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  /** A header block; fields can be overwritten before {@link Header#add()}. */
  final class Header {
    final byte[] b = new byte[512];
    boolean fixChecksum = true;

    Header(String name, char typeflag, long size) {
      str(0, 100, name);
      octal(100, 8, 0644);
      octal(108, 8, 0);
      octal(116, 8, 0);
      octal(124, 12, size);
      octal(136, 12, 1_700_000_000L);
      b[156] = (byte) typeflag;
      ustar();
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

    /** Big-endian base-256 with the marker bit, two's complement for negatives. */
    Header base256(int off, int len, long v) {
      for (int i = len - 1; i >= 0; i--) {
        b[off + i] = (byte) v;
        v >>= 8;
      }
      b[off] = (byte) ((b[off] & 0x7f) | 0x80);
      return this;
    }

    Header ustar() {
      str(257, 6, "ustar\0");
      return str(263, 2, "00");
    }

    Header gnu() {
      str(257, 6, "ustar ");
      return str(263, 2, " \0");
    }

    Header v7() {
      return bytes(257, 8, new byte[8]);
    }

    Header prefix(String p) {
      return str(345, 155, p);
    }

    Header link(String l) {
      return str(157, 100, l);
    }

    Header badChecksum() {
      fixChecksum = false;
      return str(148, 8, "0000001\0");
    }

    RawTar add() {
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
      return RawTar.this;
    }
  }

  Header header(String name, char typeflag, long size) {
    return new Header(name, typeflag, size);
  }

  /** A regular file with content and padding. */
  RawTar file(String name, byte[] content) {
    header(name, '0', content.length).add();
    return data(content);
  }

  RawTar data(byte[] content) {
    out.writeBytes(content);
    out.writeBytes(new byte[(512 - content.length % 512) % 512]);
    return this;
  }

  /** A PAX header ('x' or 'g') with the given records ("key=value" each). */
  RawTar pax(char typeflag, String... records) {
    return paxBytes(typeflag, paxData(records));
  }

  RawTar paxBytes(char typeflag, byte[] data) {
    header("PaxHeaders.0/x", typeflag, data.length).add();
    return data(data);
  }

  static byte[] paxData(String... records) {
    ByteArrayOutputStream d = new ByteArrayOutputStream();
    for (String r : records) {
      d.writeBytes(
          PaxRecords.format(
              r.substring(0, r.indexOf('=')),
              r.substring(r.indexOf('=') + 1).getBytes(StandardCharsets.UTF_8)));
    }
    return d.toByteArray();
  }

  RawTar gnuLong(char typeflag, String name) {
    byte[] d = (name + "\0").getBytes(StandardCharsets.UTF_8);
    header("././@LongLink", typeflag, d.length).gnu().add();
    return data(d);
  }

  RawTar raw(byte[] bytes) {
    out.writeBytes(bytes);
    return this;
  }

  RawTar end() {
    out.writeBytes(new byte[1024]);
    return this;
  }

  byte[] bytes() {
    return out.toByteArray();
  }
}
