package io.layerstore.archive;

import io.layerstore.InvalidArchiveException;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Streaming tar parser that sees an archive the way Go's {@code archive/tar} reader does, since
 * Docker and tar-split read every layer through it: what a member is called, how big it is and
 * where the archive ends must match byte for byte, or our diffIDs and tar-split records would
 * differ from Docker's.
 *
 * <p>Understood: V7, USTAR, STAR and GNU headers, octal and base-256 numbers, PAX local ({@code x})
 * records, GNU long names ({@code L}/{@code K}), the USTAR prefix where Go honours it. A PAX global
 * header ({@code g}) is returned as an entry of its own, as Go does, and not applied to later
 * members. A typeflag NUL member becomes {@code 0}, or {@code 5} when its name ends in {@code /}.
 *
 * <p>Stricter than Go, each with an {@link InvalidArchiveException} naming the input, the member
 * and the reason: bad checksums (Go: same), sizes that are negative or not numbers, uid/gid outside
 * 0..2^32-1, modes with bits beyond permissions and file type, names that are empty, hold NUL or
 * are not UTF-8, extended data over 1 MiB, sparse members (their bytes cannot be reproduced by
 * tar-split either), and truncation inside a header or content. The end of the archive is two zero
 * blocks, or the end of input at a block boundary (Go accepts both); nothing after it is parsed.
 *
 * <p>Memory stays bounded: content is streamed, only headers and extended data (capped) are held.
 */
public final class TarReader implements Closeable {

  /** Largest PAX or GNU long-name data accepted, as Go's reader. */
  static final int MAX_SPECIAL_FILE = 1 << 20;

  /** Largest run of header bytes (all extended headers included) in front of one member. */
  static final int MAX_HEADER_BYTES = 8 << 20;

  private static final int BUFFER = 128 << 10;

  /**
   * Sees every byte the reader consumes, in order, split into tar structure (header blocks,
   * extended data, padding, end blocks) and member content. Structure bytes are handed over in full
   * even when an entry is only partly read, so the two together are the whole archive.
   */
  interface Tap {
    void structure(byte[] b, int off, int len) throws IOException;

    void content(byte[] b, int off, int len) throws IOException;
  }

  private static final Tap NO_TAP =
      new Tap() {
        @Override
        public void structure(byte[] b, int off, int len) {}

        @Override
        public void content(byte[] b, int off, int len) {}
      };

  private final InputStream in;
  private final String source;
  private final Tap tap;
  private final byte[] buf = new byte[BUFFER];
  private int pos;
  private int lim;
  private long offset;
  private final byte[] blk = new byte[TarBlock.SIZE];
  private final byte[] one = new byte[1];
  private final CharsetDecoder utf8 =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);

  private boolean end;
  private TarHeader current;
  private long remaining;
  private int padding;
  private long declaredSize;
  private int generation;
  private long headerBytes;

  /**
   * @param in the uncompressed tar stream; closed by {@link #close()}
   * @param source names the input in error messages (a file name, "layer 3 of app.tar", ...)
   */
  public TarReader(InputStream in, String source) {
    this(in, source, NO_TAP);
  }

  TarReader(InputStream in, String source, Tap tap) {
    this.in = in;
    this.source = source;
    this.tap = tap;
  }

  /**
   * Advances to the next member, skipping whatever is left of the current one's content.
   *
   * @return the member's header, or null at the end of the archive
   */
  public TarHeader next() throws IOException {
    if (end) {
      return null;
    }
    skipContent(remaining);
    current = null;
    generation++;
    headerBytes = 0;

    Map<String, byte[]> pax = null;
    byte[] longName = null;
    byte[] longLink = null;
    while (true) {
      if (!skipPadding()) {
        return atEnd();
      }
      long at = offset;
      int n = readStructure(blk, TarBlock.SIZE);
      if (n == 0) {
        return atEnd();
      }
      if (n < TarBlock.SIZE) {
        throw truncated(null, "the archive ends inside a header block at offset " + at);
      }
      if (TarBlock.isZero(blk)) {
        n = readStructure(blk, TarBlock.SIZE);
        if (n == 0) {
          return atEnd();
        }
        if (n < TarBlock.SIZE) {
          throw truncated(null, "the archive ends inside a block at offset " + (at + 512));
        }
        if (TarBlock.isZero(blk)) {
          return atEnd();
        }
        throw invalid(null, "a zero block at offset " + at + " is followed by a non-zero block");
      }
      Block h = parseBlock(at);
      switch (h.typeflag) {
        case TarHeader.PAX_LOCAL:
        case TarHeader.PAX_GLOBAL:
          {
            byte[] data = readSpecial(h, "PAX header");
            try {
              pax = PaxRecords.parse(data);
            } catch (IllegalArgumentException e) {
              throw invalid(h.displayName(), "malformed PAX header: " + e.getMessage());
            }
            if (h.typeflag == TarHeader.PAX_GLOBAL) {
              return global(h, pax);
            }
            continue;
          }
        case TarHeader.GNU_LONGNAME:
          longName = cut(readSpecial(h, "GNU long name"));
          continue;
        case TarHeader.GNU_LONGLINK:
          longLink = cut(readSpecial(h, "GNU long link name"));
          continue;
        default:
          return member(h, pax, longName, longLink);
      }
    }
  }

  /** The current member's content, at most its size; empty for members without content. */
  public InputStream content() {
    if (current == null) {
      throw new IllegalStateException("no current entry");
    }
    return new Content(generation);
  }

  /** The header returned by the last {@link #next()}, or null. */
  public TarHeader current() {
    return current;
  }

  /** Bytes of the archive consumed so far. */
  public long offset() {
    return offset;
  }

  /** The input's name, as given. */
  public String source() {
    return source;
  }

  /** Size the member's header declared, as Go reports it (non-zero sizes of links kept). */
  long declaredSize() {
    return declaredSize;
  }

  /**
   * After the end of the archive: whatever follows it in the input (record padding or garbage),
   * read ahead bytes first. Not passed to the tap.
   */
  InputStream remainder() {
    if (!end) {
      throw new IllegalStateException("the archive has not ended yet");
    }
    return new InputStream() {
      @Override
      public int read() throws IOException {
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
          return 0;
        }
        if (pos < lim) {
          int n = Math.min(len, lim - pos);
          System.arraycopy(buf, pos, b, off, n);
          pos += n;
          offset += n;
          return n;
        }
        int n = in.read(b, off, len);
        if (n > 0) {
          offset += n;
        }
        return n;
      }
    };
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  // ---------------------------------------------------------------- header assembly

  private TarHeader atEnd() {
    end = true;
    current = null;
    remaining = 0;
    padding = 0;
    return null;
  }

  private TarHeader global(Block h, Map<String, byte[]> pax) throws IOException {
    byte[] name = h.name;
    byte[] path = pax.get(PaxRecords.PATH);
    if (path != null && path.length > 0) {
      name = path;
    }
    String nameStr = text(name, "name", h);
    Map<String, byte[]> xattrs = xattrs(pax);
    TarHeader header =
        new TarHeader(
            nameStr,
            TarHeader.PAX_GLOBAL,
            0,
            0,
            0,
            0,
            Instant.EPOCH,
            "",
            "",
            "",
            0,
            0,
            xattrs,
            decoded(pax));
    int dataPadding = padding; // the global header's own data padding is still ahead
    setCurrent(header, 0, 0);
    padding = dataPadding;
    return header;
  }

  private TarHeader member(Block h, Map<String, byte[]> pax, byte[] longName, byte[] longLink)
      throws IOException {
    if (h.size < 0 && !isHeaderOnly(h.typeflag)) {
      throw invalid(h.displayName(), "negative size " + h.size);
    }
    byte[] name = h.name;
    byte[] link = h.linkName;
    String uname = lenient(h.userName);
    String gname = lenient(h.groupName);
    long uid = h.uid;
    long gid = h.gid;
    long size = h.size;
    Instant mtime = h.mtime;
    Map<String, byte[]> xattrs = Map.of();
    if (pax != null) {
      String display = TarBlock.printable(name, 0, name.length);
      for (Map.Entry<String, byte[]> r : pax.entrySet()) {
        String key = r.getKey();
        byte[] v = r.getValue();
        if (key.startsWith(PaxRecords.SPARSE_PREFIX)) {
          throw invalid(
              display,
              "sparse files are not supported (PAX record "
                  + key
                  + "); tar-split cannot reproduce them byte for byte either");
        }
        if (v.length == 0) {
          continue; // Go keeps the header's own value for empty records
        }
        switch (key) {
          case PaxRecords.PATH:
            name = v;
            break;
          case PaxRecords.LINKPATH:
            link = v;
            break;
          case PaxRecords.UNAME:
            uname = lenient(v);
            break;
          case PaxRecords.GNAME:
            gname = lenient(v);
            break;
          case PaxRecords.UID:
            uid = paxNumber(display, key, v);
            break;
          case PaxRecords.GID:
            gid = paxNumber(display, key, v);
            break;
          case PaxRecords.SIZE:
            size = paxNumber(display, key, v);
            break;
          case PaxRecords.MTIME:
            mtime = paxTime(display, key, v);
            break;
          case PaxRecords.ATIME:
          case PaxRecords.CTIME:
            paxTime(display, key, v); // validated as Go does, not kept
            break;
          default:
            break;
        }
      }
      xattrs = xattrs(pax);
    }
    if (longName != null && longName.length > 0) {
      name = longName;
    }
    if (longLink != null && longLink.length > 0) {
      link = longLink;
    }
    byte typeflag = h.typeflag;
    if (typeflag == TarHeader.REGULAR_OLD) {
      boolean slash = name.length > 0 && name[name.length - 1] == '/';
      typeflag = slash ? TarHeader.DIRECTORY : TarHeader.REGULAR;
    }

    String display = TarBlock.printable(name, 0, name.length);
    if (typeflag == TarHeader.GNU_SPARSE) {
      throw invalid(
          display,
          "sparse files are not supported (GNU typeflag S); tar-split cannot"
              + " reproduce them byte for byte either");
    }
    if (name.length == 0) {
      throw invalid("", "member at offset " + h.offset + " has an empty name");
    }
    String nameStr = text(name, "name", h);
    String linkStr = text(link, "link name", h);
    if (size < 0) {
      throw invalid(nameStr, "negative size " + size);
    }
    if (uid < 0 || uid > 0xFFFF_FFFFL) {
      throw invalid(nameStr, "uid " + uid + " out of range (0..4294967295)");
    }
    if (gid < 0 || gid > 0xFFFF_FFFFL) {
      throw invalid(nameStr, "gid " + gid + " out of range (0..4294967295)");
    }
    if (h.mode < 0 || (h.mode & ~0177777L) != 0) {
      throw invalid(
          nameStr,
          "mode 0"
              + Long.toOctalString(h.mode)
              + " has bits beyond the permission (07777) and file-type (0170000) bits");
    }
    int major = device(nameStr, typeflag, "major", h.devMajor);
    int minor = device(nameStr, typeflag, "minor", h.devMinor);
    long contentSize = isHeaderOnly(typeflag) ? 0 : size;
    TarHeader header =
        new TarHeader(
            nameStr,
            typeflag,
            h.mode,
            uid,
            gid,
            contentSize,
            mtime,
            linkStr,
            uname,
            gname,
            major,
            minor,
            xattrs,
            pax == null ? Map.of() : decoded(pax));
    return setCurrent(header, contentSize, size);
  }

  private TarHeader setCurrent(TarHeader header, long contentSize, long declared) {
    current = header;
    remaining = contentSize;
    padding = TarBlock.padding(contentSize);
    declaredSize = declared;
    return header;
  }

  /** Go's list of types whose size field never announces content. */
  static boolean isHeaderOnly(byte typeflag) {
    switch (typeflag) {
      case TarHeader.HARDLINK:
      case TarHeader.SYMLINK:
      case TarHeader.CHAR_DEVICE:
      case TarHeader.BLOCK_DEVICE:
      case TarHeader.DIRECTORY:
      case TarHeader.FIFO:
        return true;
      default:
        return false;
    }
  }

  private int device(String name, byte typeflag, String which, long v) throws IOException {
    if (v >= 0 && v <= Integer.MAX_VALUE) {
      return (int) v;
    }
    if (typeflag == TarHeader.CHAR_DEVICE || typeflag == TarHeader.BLOCK_DEVICE) {
      throw invalid(name, "device " + which + " number " + v + " out of range");
    }
    return 0; // Go ignores device numbers on other members
  }

  private static Map<String, byte[]> xattrs(Map<String, byte[]> pax) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> r : pax.entrySet()) {
      if (r.getKey().startsWith(PaxRecords.XATTR_PREFIX) && r.getValue().length > 0) {
        out.put(r.getKey().substring(PaxRecords.XATTR_PREFIX.length()), r.getValue());
      }
    }
    return out;
  }

  private static Map<String, String> decoded(Map<String, byte[]> pax) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> r : pax.entrySet()) {
      out.put(r.getKey(), new String(r.getValue(), StandardCharsets.UTF_8));
    }
    return out;
  }

  private long paxNumber(String name, String key, byte[] v) throws IOException {
    try {
      return PaxRecords.parseDecimal(new String(v, StandardCharsets.ISO_8859_1));
    } catch (NumberFormatException e) {
      throw invalid(
          name,
          "invalid PAX "
              + key
              + " record \""
              + TarBlock.printable(v, 0, Math.min(v.length, 64))
              + "\": "
              + e.getMessage());
    }
  }

  private Instant paxTime(String name, String key, byte[] v) throws IOException {
    try {
      return PaxRecords.parseTime(new String(v, StandardCharsets.ISO_8859_1));
    } catch (NumberFormatException | DateTimeException e) {
      throw invalid(
          name,
          "invalid PAX "
              + key
              + " record \""
              + TarBlock.printable(v, 0, Math.min(v.length, 64))
              + "\"");
    }
  }

  private String text(byte[] b, String what, Block h) throws IOException {
    boolean ascii = true;
    for (byte x : b) {
      if (x < 0) {
        ascii = false;
        break;
      }
      if (x == 0) {
        throw invalid(TarBlock.printable(b, 0, b.length), "NUL byte in the " + what);
      }
    }
    if (ascii) {
      return new String(b, StandardCharsets.ISO_8859_1);
    }
    try {
      return utf8.reset().decode(ByteBuffer.wrap(b)).toString();
    } catch (CharacterCodingException e) {
      throw invalid(
          TarBlock.printable(b, 0, b.length),
          "the " + what + " is not valid UTF-8 (member at offset " + h.offset + ")");
    }
  }

  private static String lenient(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  private static byte[] cut(byte[] data) {
    int n = TarBlock.cStringLength(data, 0, data.length);
    return n == data.length ? data : Arrays.copyOf(data, n);
  }

  /** Reads the data of a PAX or GNU long-name header as structure bytes. */
  private byte[] readSpecial(Block h, String what) throws IOException {
    if (h.size < 0) {
      throw invalid(h.displayName(), what + " with negative size " + h.size);
    }
    if (h.size > MAX_SPECIAL_FILE) {
      throw invalid(
          h.displayName(),
          what + " of " + h.size + " bytes exceeds the limit of " + MAX_SPECIAL_FILE + " bytes");
    }
    byte[] data = new byte[(int) h.size];
    int n = readStructure(data, data.length);
    if (n < data.length) {
      throw truncated(
          h.displayName(),
          "the archive ends inside the "
              + what
              + " ("
              + (data.length - n)
              + " of "
              + data.length
              + " bytes missing)");
    }
    padding = TarBlock.padding(h.size);
    return data;
  }

  // ---------------------------------------------------------------- header block

  /** The fields of one header block as Go's {@code readHeader} decodes them. */
  private static final class Block {
    long offset;
    byte typeflag;
    byte[] name;
    byte[] linkName;
    long mode;
    long uid;
    long gid;
    long size;
    Instant mtime;
    byte[] userName = new byte[0];
    byte[] groupName = new byte[0];
    long devMajor;
    long devMinor;

    String displayName() {
      return TarBlock.printable(name, 0, name.length);
    }
  }

  /** How many bytes of an input that is no tar a message shows. */
  private static final int EXCERPT = 16;

  private Block parseBlock(long at) throws IOException {
    byte[] b = blk;
    Block h = new Block();
    h.offset = at;
    h.name = TarBlock.cString(b, TarBlock.NAME, TarBlock.NAME_LEN);
    String display = h.displayName();
    long stored;
    try {
      stored = TarBlock.parseOctal(b, TarBlock.CHKSUM, TarBlock.CHKSUM_LEN);
      if (at == 0 && !TarBlock.checksumMatches(b, stored) && looksNothingLikeTar(b)) {
        throw notTar(b);
      }
    } catch (NumberFormatException e) {
      if (at == 0 && looksNothingLikeTar(b)) {
        throw notTar(b);
      }
      throw invalid(
          display,
          "bad header checksum at offset "
              + at
              + ": checksum field \""
              + TarBlock.printable(b, TarBlock.CHKSUM, TarBlock.CHKSUM_LEN)
              + "\" is not octal");
    }
    if (!TarBlock.checksumMatches(b, stored)) {
      long[] sums = TarBlock.checksums(b);
      throw invalid(
          display,
          "bad header checksum at offset "
              + at
              + ": stored 0"
              + Long.toOctalString(stored)
              + ", computed 0"
              + Long.toOctalString(sums[0]));
    }
    TarBlock.Format format = TarBlock.format(b);
    h.typeflag = b[TarBlock.TYPEFLAG];
    h.linkName = TarBlock.cString(b, TarBlock.LINKNAME, TarBlock.NAME_LEN);
    h.size = number(b, TarBlock.SIZE_FIELD, TarBlock.NUM12_LEN, "size", display);
    h.mode = number(b, TarBlock.MODE, TarBlock.ID_LEN, "mode", display);
    h.uid = number(b, TarBlock.UID, TarBlock.ID_LEN, "uid", display);
    h.gid = number(b, TarBlock.GID, TarBlock.ID_LEN, "gid", display);
    long mtime = number(b, TarBlock.MTIME, TarBlock.NUM12_LEN, "mtime", display);
    try {
      h.mtime = Instant.ofEpochSecond(mtime);
    } catch (DateTimeException e) {
      throw invalid(display, "mtime " + mtime + " out of range");
    }
    if (format != TarBlock.Format.V7) {
      h.userName = TarBlock.cString(b, TarBlock.UNAME, TarBlock.OWNER_LEN);
      h.groupName = TarBlock.cString(b, TarBlock.GNAME, TarBlock.OWNER_LEN);
      h.devMajor = number(b, TarBlock.DEVMAJOR, TarBlock.ID_LEN, "devmajor", display);
      h.devMinor = number(b, TarBlock.DEVMINOR, TarBlock.ID_LEN, "devminor", display);
      byte[] prefix = null;
      switch (format) {
        case USTAR:
          prefix = TarBlock.cString(b, TarBlock.PREFIX, TarBlock.USTAR_PREFIX_LEN);
          break;
        case STAR:
          prefix = TarBlock.cString(b, TarBlock.PREFIX, TarBlock.STAR_PREFIX_LEN);
          break;
        case GNU:
          prefix = buggyGnuPrefix(b);
          break;
        default:
          break;
      }
      if (prefix != null && prefix.length > 0) {
        byte[] full = new byte[prefix.length + 1 + h.name.length];
        System.arraycopy(prefix, 0, full, 0, prefix.length);
        full[prefix.length] = '/';
        System.arraycopy(h.name, 0, full, prefix.length + 1, h.name.length);
        h.name = full;
      }
    }
    return h;
  }

  /**
   * GNU headers keep times where USTAR keeps the prefix, but Go writers before 1.8 put a prefix
   * there anyway. Go reads it as a prefix only when the time fields do not parse and it is ASCII.
   */
  private static byte[] buggyGnuPrefix(byte[] b) {
    try {
      if (b[TarBlock.GNU_ATIME] != 0) {
        TarBlock.parseNumeric(b, TarBlock.GNU_ATIME, TarBlock.NUM12_LEN);
      }
      if (b[TarBlock.GNU_CTIME] != 0) {
        TarBlock.parseNumeric(b, TarBlock.GNU_CTIME, TarBlock.NUM12_LEN);
      }
      return null;
    } catch (NumberFormatException e) {
      byte[] prefix = TarBlock.cString(b, TarBlock.PREFIX, TarBlock.USTAR_PREFIX_LEN);
      for (byte x : prefix) {
        if (x < 0) {
          return null;
        }
      }
      return prefix;
    }
  }

  private long number(byte[] b, int off, int len, String field, String name) throws IOException {
    try {
      return TarBlock.parseNumeric(b, off, len);
    } catch (NumberFormatException e) {
      throw invalid(
          name,
          "invalid "
              + field
              + " field \""
              + TarBlock.printable(b, off, len)
              + "\": "
              + e.getMessage());
    }
  }

  // ---------------------------------------------------------------- raw byte access

  /** Reads up to {@code len} structure bytes; fewer only at end of input. */
  private int readStructure(byte[] dst, int len) throws IOException {
    int n = 0;
    while (n < len) {
      if (pos == lim && fill() < 0) {
        break;
      }
      int k = Math.min(len - n, lim - pos);
      System.arraycopy(buf, pos, dst, n, k);
      pos += k;
      n += k;
    }
    offset += n;
    headerBytes += n;
    if (headerBytes > MAX_HEADER_BYTES) {
      throw invalid(
          null,
          "more than "
              + MAX_HEADER_BYTES
              + " bytes of headers before a member"
              + " at offset "
              + offset);
    }
    tap.structure(dst, 0, n);
    return n;
  }

  /**
   * Consumes the padding after the last content or extended data. False when the input ends inside
   * it, which Go treats as the end of the archive; the bytes that were there are kept.
   */
  private boolean skipPadding() throws IOException {
    if (padding == 0) {
      return true;
    }
    int want = padding;
    padding = 0;
    byte[] pad = new byte[want];
    return readStructure(pad, want) == want;
  }

  /** Consumes {@code n} content bytes of the current member, passing them to the tap. */
  private void skipContent(long n) throws IOException {
    if (tap == NO_TAP && n > lim - pos) {
      // Nobody watches the bytes: use up the buffer, then let the stream skip (a seek for files).
      int k = lim - pos;
      pos = lim;
      offset += k;
      remaining -= k;
      n -= k;
      while (n > 0) {
        long s = in.skip(n);
        if (s <= 0) {
          break;
        }
        offset += s;
        remaining -= s;
        n -= s;
      }
    }
    while (n > 0) {
      if (pos == lim && fill() < 0) {
        throw truncatedContent();
      }
      int k = (int) Math.min(n, lim - pos);
      tap.content(buf, pos, k);
      pos += k;
      offset += k;
      remaining -= k;
      n -= k;
    }
  }

  private int fill() throws IOException {
    pos = 0;
    lim = 0;
    int n;
    do {
      n = in.read(buf, 0, buf.length);
    } while (n == 0);
    if (n > 0) {
      lim = n;
    }
    return n;
  }

  private InvalidArchiveException truncatedContent() {
    long size = current == null ? 0 : current.size();
    return truncated(
        current == null ? null : current.name(),
        "the archive ends inside the"
            + " content ("
            + remaining
            + " of "
            + size
            + " bytes missing)");
  }

  private InvalidArchiveException truncated(String entry, String what) {
    return new InvalidArchiveException(source, entry, "truncated: " + what);
  }

  /**
   * The first header is no tar header (no checksum, no magic): the input is something else
   * altogether (random bytes, a compression this reader does not know, a text file), which is said
   * as such, with a short excerpt, rather than as a damaged entry whose "name" would be the first
   * 100 bytes of whatever it is.
   */
  private static boolean looksNothingLikeTar(byte[] b) {
    // no ustar or GNU magic and no valid checksum: a damaged tar keeps at least one of them
    return TarBlock.format(b) == TarBlock.Format.V7;
  }

  private InvalidArchiveException notTar(byte[] b) {
    return invalid(
        null, "not a tar archive (it starts with \"" + TarBlock.printable(b, 0, EXCERPT) + "\")");
  }

  private InvalidArchiveException invalid(String entry, String reason) {
    return new InvalidArchiveException(source, entry, reason);
  }

  /** Content of one member; dead once the reader has moved on. */
  private final class Content extends InputStream {
    private final int gen;

    Content(int gen) {
      this.gen = gen;
    }

    private void check() throws IOException {
      if (gen != generation) {
        throw new IOException(source + ": entry content read after moving to the next entry");
      }
    }

    @Override
    public int read() throws IOException {
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      check();
      if (len == 0) {
        return 0;
      }
      if (remaining == 0) {
        return -1;
      }
      int want = (int) Math.min(len, remaining);
      int n;
      if (pos < lim) {
        n = Math.min(want, lim - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
      } else if (want >= BUFFER / 2) {
        do {
          n = in.read(b, off, want);
        } while (n == 0);
        if (n < 0) {
          throw truncatedContent();
        }
      } else {
        if (fill() < 0) {
          throw truncatedContent();
        }
        n = Math.min(want, lim - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
      }
      remaining -= n;
      offset += n;
      tap.content(b, off, n);
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      check();
      long k = Math.max(0, Math.min(n, remaining));
      skipContent(k);
      return k;
    }

    /** All of the remaining content is known to follow, so all of it counts as available. */
    @Override
    public int available() throws IOException {
      check();
      return (int) Math.min(remaining, Integer.MAX_VALUE);
    }
  }
}
