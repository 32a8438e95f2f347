package io.layerstore.testkit;

import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarReader;
import io.layerstore.archive.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A layer tar written entry by entry with exact headers, the way Docker's native diff writes them
 * (file-type bits in the mode field, empty user and group names, whole-second mtimes), so that a
 * layer applied from it and written back by {@link io.layerstore.archive.DiffWriter} can be
 * compared with it; and the reading side, {@link #entries}, which turns any tar into comparable
 * {@link Entry} values.
 */
public final class LayerTar {

  /** The mtime entries get unless one is given: a fixed second, so results do not depend on now. */
  public static final Instant T0 = Instant.ofEpochSecond(1_600_000_000L);

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final TarWriter tar = new TarWriter(bytes);
  private byte[] done;

  private LayerTar() {}

  public static LayerTar create() {
    return new LayerTar();
  }

  private static TarHeader.Builder h(String name, byte type, int typeBits, int mode) {
    return TarHeader.builder(name, type).mode(typeBits | mode).mtime(T0);
  }

  public LayerTar dir(String name, int mode) {
    return dir(name, mode, 0, 0, T0);
  }

  public LayerTar dir(String name, int mode, long uid, long gid, Instant mtime) {
    String n = name.endsWith("/") ? name : name + "/";
    return add(
        h(n, TarHeader.DIRECTORY, 040000, mode).uid(uid).gid(gid).mtime(mtime).build(), null);
  }

  public LayerTar file(String name, String content, int mode) {
    return file(name, content.getBytes(StandardCharsets.UTF_8), mode, 0, 0, T0, Map.of());
  }

  public LayerTar file(
      String name,
      byte[] content,
      int mode,
      long uid,
      long gid,
      Instant mtime,
      Map<String, byte[]> xattrs) {
    return add(
        h(name, TarHeader.REGULAR, 0100000, mode)
            .size(content.length)
            .uid(uid)
            .gid(gid)
            .mtime(mtime)
            .xattrs(new TreeMap<>(xattrs))
            .build(),
        content);
  }

  public LayerTar symlink(String name, String target) {
    return symlink(name, target, 0, 0, T0);
  }

  public LayerTar symlink(String name, String target, long uid, long gid, Instant mtime) {
    return add(
        h(name, TarHeader.SYMLINK, 0120000, 0777)
            .linkName(target)
            .uid(uid)
            .gid(gid)
            .mtime(mtime)
            .build(),
        null);
  }

  /** A hard link; {@code mode} should be the target's, as Docker writes it. */
  public LayerTar hardlink(String name, String target, int mode) {
    return add(h(name, TarHeader.HARDLINK, 0100000, mode).linkName(target).build(), null);
  }

  public LayerTar fifo(String name, int mode) {
    return add(h(name, TarHeader.FIFO, 010000, mode).build(), null);
  }

  public LayerTar charDevice(String name, int mode, int major, int minor) {
    return add(h(name, TarHeader.CHAR_DEVICE, 020000, mode).device(major, minor).build(), null);
  }

  /** {@code dir/.wh.NAME} for {@code path} = {@code dir/NAME}: mode 0600 as Docker writes it. */
  public LayerTar whiteout(String path) {
    int slash = path.lastIndexOf('/');
    String name =
        slash < 0
            ? ".wh." + path
            : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
    return add(
        TarHeader.builder(name, TarHeader.REGULAR).mode(0600).mtime(T0).build(), new byte[0]);
  }

  /**
   * {@code dir/.wh..wh..opq}, as Docker writes it right after the directory's own entry: the
   * directory's permission bits and owner, mtime 0.
   */
  public LayerTar opaque(String dir, int dirMode) {
    String d = dir.endsWith("/") ? dir : dir + "/";
    return add(
        TarHeader.builder(d + ".wh..wh..opq", TarHeader.REGULAR)
            .mode(dirMode)
            .mtime(Instant.EPOCH)
            .build(),
        new byte[0]);
  }

  /** Any header, with {@code content} for a regular file. */
  public LayerTar add(TarHeader header, byte[] content) {
    if (done != null) {
      throw new IllegalStateException("the tar is finished");
    }
    try {
      tar.putNextEntry(header);
      if (content != null && content.length > 0) {
        tar.write(content, 0, content.length);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return this;
  }

  /** The tar (finishes it). */
  public byte[] bytes() {
    if (done == null) {
      try {
        tar.finish();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      done = bytes.toByteArray();
    }
    return done.clone();
  }

  /**
   * One tar member as the kit compares them.
   *
   * @param type the typeflag as a character ({@code 0} regular, {@code 5} directory, ...)
   * @param mode permission bits with setuid/setgid/sticky, no type bits
   * @param mtime whole seconds
   * @param xattrs {@code name=hex} pairs sorted by name, comma-separated, or empty
   * @param sha256 of the content of a regular file, else empty
   */
  public record Entry(
      String name,
      char type,
      int mode,
      long uid,
      long gid,
      long size,
      long mtime,
      String linkName,
      int devMajor,
      int devMinor,
      String xattrs,
      String sha256) {

    /** Whether this is a {@code .wh.} whiteout or opaque marker. */
    public boolean isWhiteout() {
      String base = name.substring(name.lastIndexOf('/', name.length() - 2) + 1);
      return base.startsWith(".wh.");
    }

    /** The same entry without its mtime (for whiteouts, whose time some formats do not keep). */
    public Entry withoutMtime() {
      return new Entry(
          name, type, mode, uid, gid, size, 0, linkName, devMajor, devMinor, xattrs, sha256);
    }
  }

  /** Every member of {@code tar}, in order. */
  public static List<Entry> entries(byte[] tar) throws IOException {
    List<Entry> out = new ArrayList<>();
    try (TarReader r = new TarReader(new ByteArrayInputStream(tar), "tar under test")) {
      TarHeader h;
      while ((h = r.next()) != null) {
        String sha = "";
        if (h.typeflag() == TarHeader.REGULAR || h.typeflag() == TarHeader.REGULAR_OLD) {
          sha = sha256(r.content().readAllBytes());
        }
        StringBuilder x = new StringBuilder();
        for (Map.Entry<String, byte[]> e : new TreeMap<>(h.xattrs()).entrySet()) {
          if (x.length() > 0) {
            x.append(',');
          }
          x.append(e.getKey()).append('=').append(HexFormat.of().formatHex(e.getValue()));
        }
        out.add(
            new Entry(
                h.name(),
                (char) h.typeflag(),
                h.permissions(),
                h.uid(),
                h.gid(),
                h.size(),
                h.mtime().getEpochSecond(),
                h.linkName(),
                h.devMajor(),
                h.devMinor(),
                x.toString(),
                sha));
      }
    }
    return out;
  }

  /** The names of every member of {@code tar}, in order. */
  public static List<String> names(byte[] tar) throws IOException {
    List<String> out = new ArrayList<>();
    for (Entry e : entries(tar)) {
      out.add(e.name());
    }
    return out;
  }

  static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
