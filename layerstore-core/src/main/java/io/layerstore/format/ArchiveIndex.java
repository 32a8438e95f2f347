package io.layerstore.format;

import io.layerstore.InvalidArchiveException;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The members of an outer archive (a {@code docker save} tar) with where their data lies, read with
 * one pass over the headers that seeks past the data. Members are then opened directly at their
 * offset, so every layer is read exactly once, by the loader, and never copied to a temporary file.
 *
 * <p>Names are resolved the way Docker's loader resolves them inside its extracted copy: cleaned,
 * relative, and symlinks within the archive followed (the duplicate-layer {@code layer.tar}
 * symlinks Docker writes); nothing may resolve outside the archive.
 */
public final class ArchiveIndex implements AutoCloseable {

  /** One member. */
  public record Member(String name, TarHeader header, long offset, long size) {}

  private static final int MAX_LINK_HOPS = 40;

  private final Path file;
  private final String source;
  private final SeekableByteChannel channel;
  private final Map<String, Member> members = new LinkedHashMap<>();

  private ArchiveIndex(Path file, String source, SeekableByteChannel channel) {
    this.file = file;
    this.source = source;
    this.channel = channel;
  }

  public static ArchiveIndex open(Path file) throws IOException {
    return open(file, file.toString());
  }

  /**
   * Indexes the tar {@code file}; errors name {@code source}, what the user gave (a file holding a
   * stream's copy is named after the stream).
   */
  public static ArchiveIndex open(Path file, String source) throws IOException {
    // Checked before opening: opening a fifo (or a device) would block or read without end.
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such file");
    }
    if (!Files.isRegularFile(file)) {
      throw new InvalidArchiveException(
          file.toString(),
          null,
          "not a regular file; a docker save archive is read with seeks, so it must be a file");
    }
    SeekableByteChannel ch = Files.newByteChannel(file);
    ArchiveIndex idx = new ArchiveIndex(file, source, ch);
    try {
      idx.scan();
      return idx;
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private void scan() throws IOException {
    channel.position(0);
    PositionedStream in = new PositionedStream(channel, 0, Long.MAX_VALUE, true);
    TarReader reader = new TarReader(in, source);
    TarHeader h;
    while ((h = reader.next()) != null) {
      String name = clean(h.name(), h.name());
      if (name.isEmpty()) {
        continue;
      }
      long offset = reader.offset();
      if (members.put(name, new Member(name, h, offset, h.isRegular() ? h.size() : 0)) != null) {
        throw new InvalidArchiveException(source, h.name(), "member appears twice in the archive");
      }
    }
  }

  public String source() {
    return source;
  }

  Path file() {
    return file;
  }

  public Collection<Member> members() {
    return members.values();
  }

  public boolean contains(String name) throws IOException {
    return find(name) != null;
  }

  /** The regular member at {@code name} after following symlinks, or null. */
  Member find(String name) throws IOException {
    String cur = clean(name, name);
    for (int hop = 0; hop < MAX_LINK_HOPS; hop++) {
      Member m = members.get(cur);
      if (m == null) {
        return null;
      }
      if (m.header().isSymlink()) {
        String target = m.header().linkName();
        String base = cur.lastIndexOf('/') < 0 ? "" : cur.substring(0, cur.lastIndexOf('/'));
        cur =
            target.startsWith("/")
                ? clean(target.substring(1), name)
                : clean(base.isEmpty() ? target : base + "/" + target, name);
        continue;
      }
      if (m.header().isHardlink()) {
        cur = clean(m.header().linkName(), name);
        continue;
      }
      return m;
    }
    throw new InvalidArchiveException(source, name, "too many levels of symbolic links");
  }

  /** The regular member at {@code name}; an error naming it if missing or not a file. */
  public Member require(String name) throws IOException {
    Member m = find(name);
    if (m == null) {
      throw new InvalidArchiveException(source, name, "no such file in the archive");
    }
    if (!m.header().isRegular()) {
      throw new InvalidArchiveException(source, name, "not a regular file in the archive");
    }
    return m;
  }

  /** Opens a member's data; the stream is bounded to the member. */
  public InputStream open(Member m) throws IOException {
    SeekableByteChannel ch = Files.newByteChannel(file);
    return new PositionedStream(ch, m.offset(), m.size(), false) {
      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }

  /** Reads a small member whole, refusing one larger than {@code limit}. */
  public byte[] readSmall(String name, int limit) throws IOException {
    Member m = require(name);
    if (m.size() > limit) {
      throw new InvalidArchiveException(
          source, name, "is " + m.size() + " bytes, more than the " + limit + " allowed");
    }
    try (InputStream in = open(m)) {
      byte[] b = in.readAllBytes();
      if (b.length != m.size()) {
        throw new InvalidArchiveException(source, name, "truncated archive");
      }
      return b;
    }
  }

  /**
   * Cleans a name inside the archive: relative, no {@code .} parts; {@code ..} that would leave the
   * archive is refused (Docker's loader resolves names "in scope" of its extracted dir).
   */
  String clean(String name, String entry) throws InvalidArchiveException {
    List<String> parts = new ArrayList<>();
    for (String p : name.split("/")) {
      if (p.isEmpty() || p.equals(".")) {
        continue;
      }
      if (p.equals("..")) {
        if (parts.isEmpty()) {
          throw new InvalidArchiveException(source, entry, "path leaves the archive");
        }
        parts.remove(parts.size() - 1);
        continue;
      }
      parts.add(p);
    }
    return String.join("/", parts);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }

  /** An InputStream over a channel region, counting its position; skip() seeks. */
  static class PositionedStream extends InputStream {
    private final SeekableByteChannel ch;
    private final long end;
    private long pos;
    private final boolean shared;

    PositionedStream(SeekableByteChannel ch, long start, long length, boolean shared)
        throws IOException {
      this.ch = ch;
      this.pos = start;
      this.end = length == Long.MAX_VALUE ? Long.MAX_VALUE : start + length;
      this.shared = shared;
    }

    long position() {
      return pos;
    }

    @Override
    public int read() throws IOException {
      byte[] b = new byte[1];
      int n = read(b, 0, 1);
      return n <= 0 ? -1 : b[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      long left = end - pos;
      if (left <= 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      ch.position(pos);
      int r = ch.read(ByteBuffer.wrap(b, off, n));
      if (r > 0) {
        pos += r;
      }
      return r;
    }

    @Override
    public long skip(long n) throws IOException {
      if (n <= 0) {
        return 0;
      }
      long size = ch.size();
      long target = Math.min(Math.min(end, size), pos + n);
      long skipped = target - pos;
      pos = target;
      return skipped;
    }

    @Override
    public int available() throws IOException {
      return (int) Math.min(Integer.MAX_VALUE, Math.max(0, Math.min(end, ch.size()) - pos));
    }

    @Override
    public void close() throws IOException {
      if (!shared) {
        ch.close();
      }
    }
  }
}
