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

  /**
   * An empty tar to add entries to. Not thread-safe; entries are kept in memory.
   *
   * @return a new writer
   */
  public static LayerTar create() {
    return new LayerTar();
  }

  private static TarHeader.Builder h(String name, byte type, int typeBits, int mode) {
    return TarHeader.builder(name, type).mode(typeBits | mode).mtime(T0);
  }

  /**
   * A directory owned by root, mtime {@link #T0}.
   *
   * @param name the entry's name; a trailing {@code /} is added if missing
   * @param mode the permission bits (with setuid/setgid/sticky), no type bits
   * @return this tar
   * @throws IllegalStateException if the tar is finished
   */
  public LayerTar dir(String name, int mode) {
    return dir(name, mode, 0, 0, T0);
  }

  /**
   * A directory.
   *
   * @param name the entry's name; a trailing {@code /} is added if missing
   * @param mode the permission bits (with setuid/setgid/sticky), no type bits
   * @param uid the owner
   * @param gid the group
   * @param mtime the modification time; tar keeps whole seconds
   * @return this tar
   * @throws IllegalStateException if the tar is finished
   */
  public LayerTar dir(String name, int mode, long uid, long gid, Instant mtime) {
    String n = name.endsWith("/") ? name : name + "/";
    return add(
        h(n, TarHeader.DIRECTORY, 040000, mode).uid(uid).gid(gid).mtime(mtime).build(), null);
  }

  /**
   * A regular file owned by root, mtime {@link #T0}, without xattrs.
   *
   * @param name the entry's name
   * @param content the content, written as UTF-8
   * @param mode the permission bits, no type bits
   * @return this tar
   * @throws IllegalStateException if the tar is finished
   */
  public LayerTar file(String name, String content, int mode) {
    return file(name, content.getBytes(StandardCharsets.UTF_8), mode, 0, 0, T0, Map.of());
  }

  /**
   * A regular file.
   *
   * @param name the entry's name
   * @param content the content
   * @param mode the permission bits, no type bits
   * @param uid the owner
   * @param gid the group
   * @param mtime the modification time; tar keeps whole seconds
   * @param xattrs extended attributes by full name (such as {@code user.x} or {@code
   *     security.capability}), written as PAX records in name order
   * @return this tar
   * @throws IllegalStateException if the tar is finished
   */
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

  /**
   * A symlink owned by root, mode 0777, mtime {@link #T0}.
   *
   * @param name the entry's name
   * @param target what it points at, as written (relative or absolute)
   * @return this tar
   * @throws IllegalStateException if the tar is finished
   */
  public LayerTar symlink(String name, String target) {
    return symlink(name, target, 0, 0, T0);
  }

  /**
   * A symlink, mode 0777.
   *
   * @param name the entry's name
   * @param target what it points at, as written (relative or absolute)
   * @param uid the owner
   * @param gid the group
   * @param mtime the modification time; tar keeps whole seconds
   * @return this tar
   * @throws IllegalStateException if the tar is finished
   */
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

  /**
   * A hard link; {@code mode} should be the target's, as Docker writes it.
   *
   * @param name the entry's name
   * @param target the name of an earlier entry of the tar
   * @param mode the target's permission bits
   * @return this tar
   * @throws IllegalStateException if the tar is finished
   */
  public LayerTar hardlink(String name, String target, int mode) {
    return add(h(name, TarHeader.HARDLINK, 0100000, mode).linkName(target).build(), null);
  }

  /**
   * A named pipe owned by root.
   *
   * @param name the entry's name
   * @param mode the permission bits, no type bits
   * @return this tar
   * @throws IllegalStateException if the tar is finished
   */
  public LayerTar fifo(String name, int mode) {
    return add(h(name, TarHeader.FIFO, 010000, mode).build(), null);
  }

  /**
   * A character device owned by root; whether a store creates it depends on its {@link
   * io.layerstore.DevicePolicy}.
   *
   * @param name the entry's name
   * @param mode the permission bits, no type bits
   * @param major the device's major number
   * @param minor the device's minor number
   * @return this tar
   * @throws IllegalStateException if the tar is finished
   */
  public LayerTar charDevice(String name, int mode, int major, int minor) {
    return add(h(name, TarHeader.CHAR_DEVICE, 020000, mode).device(major, minor).build(), null);
  }

  /**
   * {@code dir/.wh.NAME} for {@code path} = {@code dir/NAME}: mode 0600 as Docker writes it.
   *
   * @param path the path the whiteout deletes, relative, without a trailing {@code /}
   * @return this tar
   * @throws IllegalStateException if the tar is finished
   */
  public LayerTar whiteout(String path) {
    return add(whiteoutHeader(path, T0), new byte[0]);
  }

  /** The header of {@code dir/.wh.NAME} deleting {@code path}: mode 0600, as Docker writes it. */
  static TarHeader whiteoutHeader(String path, Instant mtime) {
    int slash = path.lastIndexOf('/');
    String name =
        slash < 0
            ? ".wh." + path
            : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
    return TarHeader.builder(name, TarHeader.REGULAR).mode(0600).mtime(mtime).build();
  }

  /**
   * {@code dir/.wh..wh..opq}, as Docker writes it right after the directory's own entry: the
   * directory's permission bits and owner, mtime 0.
   *
   * @param dir the directory whose lower content the marker hides
   * @param dirMode the directory's permission bits
   * @return this tar
   * @throws IllegalStateException if the tar is finished
   */
  public LayerTar opaque(String dir, int dirMode) {
    return add(opaqueHeader(dir, dirMode), new byte[0]);
  }

  /** The header of {@code dir/.wh..wh..opq}: the directory's permission bits, mtime 0. */
  static TarHeader opaqueHeader(String dir, int dirMode) {
    String d = dir.endsWith("/") ? dir : dir + "/";
    return TarHeader.builder(d + ".wh..wh..opq", TarHeader.REGULAR)
        .mode(dirMode)
        .mtime(Instant.EPOCH)
        .build();
  }

  /**
   * Any header, with {@code content} for a regular file.
   *
   * @param header the entry's header, written as is (its size must match {@code content})
   * @param content the content of a regular file, or {@code null}
   * @return this tar
   * @throws IllegalStateException if the tar is finished
   * @throws java.io.UncheckedIOException if the header cannot be written as tar
   */
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

  /**
   * The tar (finishes it: later additions fail).
   *
   * @return a copy of the whole tar, end-of-archive blocks included
   */
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
   * @param name the member's name as the tar holds it
   * @param type the typeflag as a character ({@code 0} regular, {@code 5} directory, ...)
   * @param mode permission bits with setuid/setgid/sticky, no type bits
   * @param uid the owner
   * @param gid the group
   * @param size the header's size field: the content's length in bytes for a regular file
   * @param mtime whole seconds
   * @param linkName a link's target, as the header holds it
   * @param devMajor a device's major number, as the header holds it
   * @param devMinor a device's minor number, as the header holds it
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

    /**
     * Whether this is a {@code .wh.} whiteout or opaque marker.
     *
     * @return whether the last name element starts with {@code .wh.}
     */
    public boolean isWhiteout() {
      String base = name.substring(name.lastIndexOf('/', name.length() - 2) + 1);
      return base.startsWith(".wh.");
    }

    /**
     * The same entry without its mtime (for whiteouts, whose time some formats do not keep).
     *
     * @return a copy with {@link #mtime()} 0
     */
    public Entry withoutMtime() {
      return new Entry(
          name, type, mode, uid, gid, size, 0, linkName, devMajor, devMinor, xattrs, sha256);
    }
  }

  /**
   * Every member of {@code tar}, in order.
   *
   * @param tar a whole uncompressed tar
   * @return one entry per member, PAX and GNU extension headers folded into the member they
   *     describe
   * @throws IOException if {@code tar} is not a valid tar
   */
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

  /**
   * The names of every member of {@code tar}, in order.
   *
   * @param tar a whole uncompressed tar
   * @return the names as the tar holds them (directories with a trailing {@code /})
   * @throws IOException if {@code tar} is not a valid tar
   */
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
