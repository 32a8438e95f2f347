package io.layerstore.archive;

import io.layerstore.gocompat.TarPaths;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes tar the way Go's {@code archive/tar} writer does when Docker calls it without choosing a
 * format: a plain USTAR header whenever every field fits (a long ASCII name may be split into
 * prefix and name), otherwise a PAX header carrying the fields that do not fit ({@code path},
 * {@code linkpath}, {@code uid}, {@code gid}, {@code size}, {@code uname}, {@code gname}, {@code
 * mtime}) and every {@code SCHILY.xattr.*}; content padded to 512 bytes; two zero blocks at the end
 * and no record padding. Layers we write thus have the bytes, and so the diffIDs, that Docker would
 * produce for the same headers.
 *
 * <p>The mode field is written as given (callers pass file-type bits like Docker does); the mtime
 * is rounded to whole seconds, as Go does for headers of unspecified format (Docker truncates it
 * before). Records in {@link TarHeader#pax()} that are not derived from fields are written too, as
 * Go writes {@code PAXRecords}; a header that arrived with PAX records therefore stays PAX.
 */
public final class TarWriter implements Closeable {

  private final OutputStream out;
  private final byte[] blk = new byte[TarBlock.SIZE];
  private final byte[] zeros = new byte[2 * TarBlock.SIZE];
  private long remaining;
  private int padding;
  private String currentName;
  private long written;
  private boolean finished;

  /**
   * @param out receives the archive; closed by {@link #close()}
   */
  public TarWriter(OutputStream out) {
    this.out = new BufferedOutputStream(out, 64 << 10);
  }

  /**
   * Starts a member; its content (header size bytes, none for links, directories, devices and
   * fifos) must then be written in full.
   *
   * @throws IllegalArgumentException for a header no tar format Go writes by default can hold
   * @throws IOException if the previous member's content is incomplete
   */
  public void putNextEntry(TarHeader header) throws IOException {
    checkOpen();
    endEntry();
    byte typeflag = header.typeflag();
    String name = header.name();
    if (typeflag == TarHeader.REGULAR_OLD) {
      typeflag = name.endsWith("/") ? TarHeader.DIRECTORY : TarHeader.REGULAR;
    }
    switch (typeflag) {
      case TarHeader.PAX_LOCAL:
      case TarHeader.PAX_GLOBAL:
      case TarHeader.GNU_LONGNAME:
      case TarHeader.GNU_LONGLINK:
      case TarHeader.GNU_SPARSE:
        throw new IllegalArgumentException(
            "typeflag '"
                + (char) typeflag
                + "' is written by the writer itself, not by callers: "
                + name);
      case TarHeader.REGULAR:
      case TarHeader.CHAR_DEVICE:
      case TarHeader.BLOCK_DEVICE:
      case TarHeader.FIFO:
        if (name.endsWith("/")) {
          throw new IllegalArgumentException("name of a non-directory ends in '/': " + name);
        }
        break;
      default:
        break;
    }
    if (name.isEmpty()) {
      throw new IllegalArgumentException("empty member name");
    }
    boolean headerOnly = TarReader.isHeaderOnly(typeflag);
    if (!headerOnly && header.size() < 0) {
      throw new IllegalArgumentException("negative size for " + name);
    }
    Instant mtime = roundToSecond(header.mtime());

    Fields f = new Fields(header);
    f.string(name, TarBlock.NAME_LEN, PaxRecords.PATH, true);
    f.string(header.linkName(), TarBlock.NAME_LEN, PaxRecords.LINKPATH, false);
    f.string(header.userName(), TarBlock.OWNER_LEN, PaxRecords.UNAME, false);
    f.string(header.groupName(), TarBlock.OWNER_LEN, PaxRecords.GNAME, false);
    f.number(header.mode(), TarBlock.ID_LEN, null, "mode");
    f.number(header.uid(), TarBlock.ID_LEN, PaxRecords.UID, "uid");
    f.number(header.gid(), TarBlock.ID_LEN, PaxRecords.GID, "gid");
    f.number(header.size(), TarBlock.NUM12_LEN, PaxRecords.SIZE, "size");
    f.number(header.devMajor(), TarBlock.ID_LEN, null, "devmajor");
    f.number(header.devMinor(), TarBlock.ID_LEN, null, "devminor");
    f.time(mtime);
    for (Map.Entry<String, byte[]> x : header.xattrs().entrySet()) {
      f.pax.put(PaxRecords.XATTR_PREFIX + x.getKey(), x.getValue());
      f.ustar = false;
    }
    if (!header.pax().isEmpty()) {
      for (Map.Entry<String, String> r : header.pax().entrySet()) {
        String k = r.getKey();
        if (f.pax.containsKey(k)
            || PaxRecords.isBasicKey(k)
            || k.startsWith(PaxRecords.XATTR_PREFIX)) {
          continue; // xattr values are taken from xattrs(), which keeps their exact bytes
        }
        f.pax.put(k, r.getValue().getBytes(StandardCharsets.UTF_8));
      }
      f.ustar = false;
    }
    for (Map.Entry<String, byte[]> r : f.pax.entrySet()) {
      byte[] k = r.getKey().getBytes(StandardCharsets.UTF_8);
      String why = PaxRecords.invalidReason(r.getKey(), k, r.getValue());
      if (why != null || r.getKey().indexOf('=') >= 0) {
        throw new IllegalArgumentException(
            "cannot write " + name + ": " + (why != null ? why : "'=' in PAX key " + r.getKey()));
      }
    }

    if (f.ustar) {
      writeUstar(header, typeflag, name, mtime);
    } else if (f.paxPossible) {
      writePax(header, typeflag, name, mtime, f.pax);
    } else {
      throw new IllegalArgumentException(
          "cannot write "
              + name
              + ": "
              + f.whyNotPax
              + " does not fit its field and has no PAX record");
    }
    long content = headerOnly ? 0 : header.size();
    remaining = content;
    padding = TarBlock.padding(content);
    currentName = name;
  }

  /** Writes content of the current member. */
  public void write(byte[] b, int off, int len) throws IOException {
    checkOpen();
    if (len > remaining) {
      throw new IOException(
          "content of " + currentName + " exceeds its size by " + (len - remaining) + " bytes");
    }
    out.write(b, off, len);
    remaining -= len;
    written += len;
  }

  /** Copies the current member's whole content from {@code in}. */
  public void writeContent(InputStream in) throws IOException {
    byte[] b = new byte[(int) Math.min(Math.max(remaining, 1), 256 << 10)];
    while (remaining > 0) {
      int n = in.read(b, 0, (int) Math.min(b.length, remaining));
      if (n < 0) {
        throw new IOException("content of " + currentName + " ended " + remaining + " bytes early");
      }
      write(b, 0, n);
    }
  }

  /** Bytes written so far, headers and padding included. */
  public long bytesWritten() {
    return written;
  }

  /** Ends the archive with two zero blocks and flushes, leaving the target open. */
  public void finish() throws IOException {
    if (finished) {
      return;
    }
    endEntry();
    out.write(zeros);
    written += zeros.length;
    out.flush();
    finished = true;
  }

  /** {@link #finish()}, then closes the target. */
  @Override
  public void close() throws IOException {
    try {
      finish();
    } finally {
      out.close();
    }
  }

  private void endEntry() throws IOException {
    if (remaining > 0) {
      throw new IOException("missed writing " + remaining + " bytes of " + currentName);
    }
    if (padding > 0) {
      out.write(zeros, 0, padding);
      written += padding;
      padding = 0;
    }
  }

  private void checkOpen() {
    if (finished) {
      throw new IllegalStateException("tar writer already finished");
    }
  }

  private static Instant roundToSecond(Instant t) {
    long s = t.getEpochSecond();
    return Instant.ofEpochSecond(t.getNano() >= 500_000_000 ? s + 1 : s);
  }

  // ---------------------------------------------------------------- USTAR and PAX

  private void writeUstar(TarHeader h, byte typeflag, String name, Instant mtime)
      throws IOException {
    String prefix = "";
    String[] split = splitUstarPath(name);
    if (split != null) {
      prefix = split[0];
      name = split[1];
    }
    template(h, typeflag, ascii(name), mtime);
    TarBlock.formatString(blk, TarBlock.PREFIX, TarBlock.USTAR_PREFIX_LEN, ascii(prefix));
    TarBlock.setMagic(blk, true);
    TarBlock.setChecksum(blk);
    writeBlock();
  }

  private void writePax(
      TarHeader h, byte typeflag, String name, Instant mtime, Map<String, byte[]> records)
      throws IOException {
    if (!records.isEmpty()) {
      byte[] data;
      try (ByteArrayOutputStream buf = new ByteArrayOutputStream()) {
        for (Map.Entry<String, byte[]> r : records.entrySet()) {
          buf.writeBytes(PaxRecords.format(r.getKey(), r.getValue()));
        }
        data = buf.toByteArray();
      }
      if (data.length > TarReader.MAX_SPECIAL_FILE) {
        throw new IllegalArgumentException(
            "PAX records of " + name + " exceed " + TarReader.MAX_SPECIAL_FILE + " bytes");
      }
      int slash = name.lastIndexOf('/');
      String dir = name.substring(0, slash + 1);
      String file = name.substring(slash + 1);
      writeRawFile(TarPaths.join(dir, "PaxHeaders.0", file), data, TarHeader.PAX_LOCAL);
    }
    template(h, typeflag, ascii(toAscii(name)), mtime);
    TarBlock.setMagic(blk, true);
    TarBlock.setChecksum(blk);
    writeBlock();
  }

  /** Go's {@code writeRawFile}: a bare header (mode, ids, mtime 0) followed by its data. */
  private void writeRawFile(String name, byte[] data, byte typeflag) throws IOException {
    Arrays.fill(blk, (byte) 0);
    name = toAscii(name);
    if (name.length() > TarBlock.NAME_LEN) {
      name = name.substring(0, TarBlock.NAME_LEN);
    }
    int end = name.length();
    while (end > 0 && name.charAt(end - 1) == '/') {
      end--;
    }
    name = name.substring(0, end);
    blk[TarBlock.TYPEFLAG] = typeflag;
    TarBlock.formatString(blk, TarBlock.NAME, TarBlock.NAME_LEN, ascii(name));
    TarBlock.formatOctal(blk, TarBlock.MODE, TarBlock.ID_LEN, 0);
    TarBlock.formatOctal(blk, TarBlock.UID, TarBlock.ID_LEN, 0);
    TarBlock.formatOctal(blk, TarBlock.GID, TarBlock.ID_LEN, 0);
    TarBlock.formatOctal(blk, TarBlock.SIZE_FIELD, TarBlock.NUM12_LEN, data.length);
    TarBlock.formatOctal(blk, TarBlock.MTIME, TarBlock.NUM12_LEN, 0);
    TarBlock.setMagic(blk, true);
    TarBlock.setChecksum(blk);
    writeBlock();
    out.write(data);
    int pad = TarBlock.padding(data.length);
    out.write(zeros, 0, pad);
    written += data.length + pad;
  }

  /** Go's {@code templateV7Plus}: the fields shared by USTAR and PAX main headers. */
  private void template(TarHeader h, byte typeflag, byte[] name, Instant mtime) {
    Arrays.fill(blk, (byte) 0);
    blk[TarBlock.TYPEFLAG] = typeflag;
    TarBlock.formatString(blk, TarBlock.NAME, TarBlock.NAME_LEN, name);
    TarBlock.formatString(blk, TarBlock.LINKNAME, TarBlock.NAME_LEN, ascii(toAscii(h.linkName())));
    TarBlock.formatOctal(blk, TarBlock.MODE, TarBlock.ID_LEN, h.mode());
    TarBlock.formatOctal(blk, TarBlock.UID, TarBlock.ID_LEN, h.uid());
    TarBlock.formatOctal(blk, TarBlock.GID, TarBlock.ID_LEN, h.gid());
    TarBlock.formatOctal(blk, TarBlock.SIZE_FIELD, TarBlock.NUM12_LEN, h.size());
    TarBlock.formatOctal(blk, TarBlock.MTIME, TarBlock.NUM12_LEN, mtime.getEpochSecond());
    TarBlock.formatString(blk, TarBlock.UNAME, TarBlock.OWNER_LEN, ascii(toAscii(h.userName())));
    TarBlock.formatString(blk, TarBlock.GNAME, TarBlock.OWNER_LEN, ascii(toAscii(h.groupName())));
    TarBlock.formatOctal(blk, TarBlock.DEVMAJOR, TarBlock.ID_LEN, h.devMajor());
    TarBlock.formatOctal(blk, TarBlock.DEVMINOR, TarBlock.ID_LEN, h.devMinor());
  }

  private void writeBlock() throws IOException {
    out.write(blk);
    written += blk.length;
  }

  /** Go's {@code splitUSTARPath}; null when the name cannot be split. */
  static String[] splitUstarPath(String name) {
    int length = name.length();
    if (length <= TarBlock.NAME_LEN || !isAscii(name)) {
      return null;
    } else if (length > TarBlock.USTAR_PREFIX_LEN + 1) {
      length = TarBlock.USTAR_PREFIX_LEN + 1;
    } else if (name.charAt(length - 1) == '/') {
      length--;
    }
    int i = name.lastIndexOf('/', length - 1);
    int nlen = name.length() - i - 1;
    int plen = i;
    if (i <= 0 || nlen > TarBlock.NAME_LEN || nlen == 0 || plen > TarBlock.USTAR_PREFIX_LEN) {
      return null;
    }
    return new String[] {name.substring(0, i), name.substring(i + 1)};
  }

  /** Go's {@code isASCII}: no byte at or above 0x80, and no NUL. */
  static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= 0x80 || c == 0) {
        return false;
      }
    }
    return true;
  }

  /** Go's {@code toASCII}: drops every character that is not ASCII, and NULs. */
  static String toAscii(String s) {
    if (isAscii(s)) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80 && c != 0) {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Go's {@code allowedFormats}, reduced to the USTAR-or-PAX decision: which fields force PAX and
   * which records that takes.
   */
  private static final class Fields {
    final TarHeader header;
    final Map<String, byte[]> pax = new TreeMap<>(PaxRecords.GO_ORDER);
    boolean ustar = true;
    boolean paxPossible = true;
    String whyNotPax;

    Fields(TarHeader header) {
      this.header = header;
    }

    void string(String s, int size, String key, boolean splittable) {
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      boolean tooLong = utf8.length > size;
      if (!isAscii(s) || tooLong) {
        if (!splittable || splitUstarPath(s) == null) {
          ustar = false;
        }
        pax.put(key, utf8);
      }
      keepMatchingRecord(key, s);
    }

    void number(long n, int size, String key, String field) {
      if (!TarBlock.fitsOctal(size, n)) {
        ustar = false;
        if (key == null) {
          paxPossible = false;
          whyNotPax = field + " " + n;
        } else {
          pax.put(key, Long.toString(n).getBytes(StandardCharsets.US_ASCII));
        }
      }
      if (key != null) {
        keepMatchingRecord(key, Long.toString(n));
      }
    }

    void time(Instant mtime) {
      long secs = mtime.getEpochSecond();
      if (!TarBlock.fitsOctal(TarBlock.NUM12_LEN, secs)) {
        ustar = false;
        pax.put(PaxRecords.MTIME, PaxRecords.formatTime(mtime).getBytes(StandardCharsets.US_ASCII));
      }
      keepMatchingRecord(PaxRecords.MTIME, PaxRecords.formatTime(mtime));
    }

    /** Go keeps a caller's record for a field when it equals the field's value. */
    private void keepMatchingRecord(String key, String value) {
      String v = header.pax().get(key);
      if (v != null && v.equals(value)) {
        pax.put(key, v.getBytes(StandardCharsets.UTF_8));
      }
    }
  }
}
