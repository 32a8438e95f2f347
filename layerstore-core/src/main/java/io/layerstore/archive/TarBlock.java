package io.layerstore.archive;

import java.nio.charset.StandardCharsets;

/**
 * The 512-byte tar header block: field offsets of the V7, USTAR, STAR and GNU layouts, and the
 * number, string and checksum encodings, as Go's {@code archive/tar} reads and writes them. Kept
 * apart so {@link TarReader} and {@link TarWriter} agree on every byte.
 */
final class TarBlock {

  static final int SIZE = 512;

  // V7
  static final int NAME = 0;
  static final int NAME_LEN = 100;
  static final int MODE = 100;
  static final int UID = 108;
  static final int GID = 116;
  static final int ID_LEN = 8;
  static final int SIZE_FIELD = 124;
  static final int MTIME = 136;
  static final int NUM12_LEN = 12;
  static final int CHKSUM = 148;
  static final int CHKSUM_LEN = 8;
  static final int TYPEFLAG = 156;
  static final int LINKNAME = 157;
  // USTAR
  static final int MAGIC = 257;
  static final int VERSION = 263;
  static final int UNAME = 265;
  static final int GNAME = 297;
  static final int OWNER_LEN = 32;
  static final int DEVMAJOR = 329;
  static final int DEVMINOR = 337;
  static final int PREFIX = 345;
  static final int USTAR_PREFIX_LEN = 155;
  // STAR: shorter prefix, then times, then a trailer
  static final int STAR_PREFIX_LEN = 131;
  static final int STAR_TRAILER = 508;
  // GNU: times where USTAR has its prefix
  static final int GNU_ATIME = 345;
  static final int GNU_CTIME = 357;

  /** Header formats Go's reader tells apart; they decide whether the prefix field is a prefix. */
  enum Format {
    V7,
    USTAR,
    STAR,
    GNU
  }

  private TarBlock() {}

  static boolean isZero(byte[] b) {
    for (int i = 0; i < SIZE; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** Bytes needed after {@code size} content bytes to reach the next block boundary. */
  static int padding(long size) {
    return (int) (-size & (SIZE - 1));
  }

  /** Unsigned and signed sums of the block with the checksum field taken as spaces. */
  static long[] checksums(byte[] b) {
    long unsigned = 0;
    long signed = 0;
    for (int i = 0; i < SIZE; i++) {
      int v = (i >= CHKSUM && i < CHKSUM + CHKSUM_LEN) ? ' ' : b[i];
      unsigned += v & 0xff;
      signed += (byte) v;
    }
    return new long[] {unsigned, signed};
  }

  static Format format(byte[] b) {
    if (equals(b, MAGIC, "ustar\0")) {
      return equals(b, STAR_TRAILER, "tar\0") ? Format.STAR : Format.USTAR;
    }
    if (equals(b, MAGIC, "ustar ") && equals(b, VERSION, " \0")) {
      return Format.GNU;
    }
    return Format.V7;
  }

  private static boolean equals(byte[] b, int off, String ascii) {
    for (int i = 0; i < ascii.length(); i++) {
      if (b[off + i] != ascii.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** Length of the C string at {@code off}: up to the first NUL or the field end. */
  static int cStringLength(byte[] b, int off, int len) {
    for (int i = 0; i < len; i++) {
      if (b[off + i] == 0) {
        return i;
      }
    }
    return len;
  }

  static byte[] cString(byte[] b, int off, int len) {
    int n = cStringLength(b, off, len);
    byte[] out = new byte[n];
    System.arraycopy(b, off, out, 0, n);
    return out;
  }

  /**
   * Go's {@code parseNumeric}: base-256 (two's complement, big-endian) when the first byte has its
   * high bit set, else octal.
   *
   * @throws NumberFormatException when the field is neither, or overflows 64 bits
   */
  static long parseNumeric(byte[] b, int off, int len) {
    if (len > 0 && (b[off] & 0x80) != 0) {
      int inv = (b[off] & 0x40) != 0 ? 0xff : 0;
      long x = 0;
      for (int i = 0; i < len; i++) {
        int c = (b[off + i] ^ inv) & 0xff;
        if (i == 0) {
          c &= 0x7f;
        }
        if ((x >>> 56) != 0) {
          throw new NumberFormatException("base-256 number overflows 64 bits");
        }
        x = (x << 8) | c;
      }
      if ((x >>> 63) != 0) {
        throw new NumberFormatException("base-256 number overflows 64 bits");
      }
      return inv == 0xff ? ~x : x;
    }
    return parseOctal(b, off, len);
  }

  /**
   * Go's {@code parseOctal}: leading and trailing spaces and NULs are ignored, the rest up to a NUL
   * must be octal digits; an empty field is 0. Values past {@code 2^63-1} wrap negative, as in Go,
   * so callers see them as negative.
   */
  static long parseOctal(byte[] b, int off, int len) {
    int start = off;
    int end = off + len;
    while (start < end && (b[start] == ' ' || b[start] == 0)) {
      start++;
    }
    while (end > start && (b[end - 1] == ' ' || b[end - 1] == 0)) {
      end--;
    }
    if (start == end) {
      return 0;
    }
    int stop = start;
    while (stop < end && b[stop] != 0) {
      stop++;
    }
    if (stop == start) {
      throw new NumberFormatException("empty octal number");
    }
    long x = 0;
    for (int i = start; i < stop; i++) {
      int d = b[i] - '0';
      if (d < 0 || d > 7) {
        throw new NumberFormatException("not an octal number: \"" + printable(b, off, len) + "\"");
      }
      if ((x >>> 61) != 0) {
        throw new NumberFormatException("octal number overflows 64 bits");
      }
      x = (x << 3) | d;
    }
    return x;
  }

  /** Whether {@code x} can be written as octal into a field of {@code len} bytes (NUL ended). */
  static boolean fitsOctal(int len, long x) {
    int bits = (len - 1) * 3;
    return x >= 0 && (len >= 22 || x < (1L << bits));
  }

  /**
   * Go's {@code formatOctal}: zero-padded octal leaving room for a NUL; a value that does not fit
   * becomes 0 (the caller has put it in a PAX record instead).
   */
  static void formatOctal(byte[] b, int off, int len, long x) {
    if (!fitsOctal(len, x)) {
      x = 0;
    }
    String s = Long.toOctalString(x);
    int zeros = len - s.length() - 1;
    StringBuilder sb = new StringBuilder(len);
    for (int i = 0; i < zeros; i++) {
      sb.append('0');
    }
    sb.append(s);
    formatString(b, off, len, sb.toString().getBytes(StandardCharsets.US_ASCII));
  }

  /**
   * Go's {@code formatString}: copies what fits, NUL-terminates when shorter, and when a longer
   * value was cut right after a slash, replaces the trailing slashes with NUL so that old readers
   * do not mistake a file for a directory.
   */
  static void formatString(byte[] b, int off, int len, byte[] s) {
    int n = Math.min(len, s.length);
    System.arraycopy(s, 0, b, off, n);
    if (s.length < len) {
      b[off + s.length] = 0;
    }
    if (s.length > len && b[off + len - 1] == '/') {
      int k = len - 1;
      while (k > 0 && s[k - 1] == '/') {
        k--;
      }
      b[off + k] = 0;
    }
  }

  /** Stores the checksum the way Go does: six octal digits, NUL, space. */
  static void setChecksum(byte[] b) {
    long sum = checksums(b)[0];
    formatOctal(b, CHKSUM, 7, sum);
    b[CHKSUM + 7] = ' ';
  }

  static void setMagic(byte[] b, boolean ustar) {
    if (ustar) {
      put(b, MAGIC, "ustar\0");
      put(b, VERSION, "00");
    }
  }

  private static void put(byte[] b, int off, String ascii) {
    for (int i = 0; i < ascii.length(); i++) {
      b[off + i] = (byte) ascii.charAt(i);
    }
  }

  /**
   * Whether {@code stored} is one of the header's two checksums (unsigned, or signed as old tars).
   */
  static boolean checksumMatches(byte[] header, long stored) {
    long[] sums = checksums(header);
    return stored == sums[0] || stored == sums[1];
  }

  /** A field for messages: printable ASCII kept, everything else as {@code \xNN}. */
  static String printable(byte[] b, int off, int len) {
    StringBuilder sb = new StringBuilder();
    for (int i = off; i < off + len; i++) {
      int c = b[i] & 0xff;
      if (c >= 0x20 && c < 0x7f) {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    return sb.toString();
  }
}
