package io.layerstore.archive;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One tar member's metadata after extended headers are resolved (PAX {@code path}/{@code
 * linkpath}/sizes/ids/times, GNU long names, USTAR prefix), the way Go's {@code archive/tar}
 * resolves them, since Docker and tar-split see layers through that reader.
 *
 * @param name member name as resolved, never null, not cleaned (e.g. {@code etc/}, {@code ./a})
 * @param typeflag the raw typeflag byte ({@link #REGULAR}, {@link #SYMLINK}, ...)
 * @param mode the mode field; may carry file-type bits above {@code 07777} (Docker writes them)
 * @param uid numeric owner, 0 .. 2^32-1 (larger is rejected by the reader)
 * @param gid numeric group
 * @param size data size in the archive for regular files, 0 for others
 * @param mtime modification time (PAX sub-second precision kept)
 * @param linkName hardlink or symlink target, "" if none
 * @param userName owner name field, "" if none
 * @param groupName group name field, "" if none
 * @param devMajor device major number
 * @param devMinor device minor number
 * @param xattrs {@code SCHILY.xattr.*} records, name without prefix, in archive order
 * @param pax every PAX record of this member (including those already resolved above)
 */
public record TarHeader(
    String name,
    byte typeflag,
    long mode,
    long uid,
    long gid,
    long size,
    Instant mtime,
    String linkName,
    String userName,
    String groupName,
    int devMajor,
    int devMinor,
    Map<String, byte[]> xattrs,
    Map<String, String> pax) {

  public static final byte REGULAR = '0';
  public static final byte REGULAR_OLD = 0;
  public static final byte HARDLINK = '1';
  public static final byte SYMLINK = '2';
  public static final byte CHAR_DEVICE = '3';
  public static final byte BLOCK_DEVICE = '4';
  public static final byte DIRECTORY = '5';
  public static final byte FIFO = '6';
  public static final byte CONTIGUOUS = '7';
  public static final byte PAX_LOCAL = 'x';
  public static final byte PAX_GLOBAL = 'g';
  public static final byte GNU_LONGNAME = 'L';
  public static final byte GNU_LONGLINK = 'K';
  public static final byte GNU_SPARSE = 'S';

  public TarHeader {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(mtime, "mtime");
    linkName = linkName == null ? "" : linkName;
    userName = userName == null ? "" : userName;
    groupName = groupName == null ? "" : groupName;
    xattrs = xattrs == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(xattrs));
    pax = pax == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(pax));
  }

  /** Regular file (typeflag {@code 0}, NUL or {@code 7}). */
  public boolean isRegular() {
    return typeflag == REGULAR || typeflag == REGULAR_OLD || typeflag == CONTIGUOUS;
  }

  public boolean isDirectory() {
    return typeflag == DIRECTORY;
  }

  public boolean isSymlink() {
    return typeflag == SYMLINK;
  }

  public boolean isHardlink() {
    return typeflag == HARDLINK;
  }

  /** Permission bits with setuid, setgid and sticky. */
  public int permissions() {
    return (int) (mode & 07777);
  }

  public static Builder builder(String name, byte typeflag) {
    return new Builder(name, typeflag);
  }

  public Builder toBuilder() {
    Builder b = new Builder(name, typeflag);
    b.mode = mode;
    b.uid = uid;
    b.gid = gid;
    b.size = size;
    b.mtime = mtime;
    b.linkName = linkName;
    b.userName = userName;
    b.groupName = groupName;
    b.devMajor = devMajor;
    b.devMinor = devMinor;
    b.xattrs = new LinkedHashMap<>(xattrs);
    b.pax = new LinkedHashMap<>(pax);
    return b;
  }

  /** Builds headers for writing. */
  public static final class Builder {
    private String name;
    private byte typeflag;
    private long mode;
    private long uid;
    private long gid;
    private long size;
    private Instant mtime = Instant.EPOCH;
    private String linkName = "";
    private String userName = "";
    private String groupName = "";
    private int devMajor;
    private int devMinor;
    private Map<String, byte[]> xattrs = new LinkedHashMap<>();
    private Map<String, String> pax = new LinkedHashMap<>();

    private Builder(String name, byte typeflag) {
      this.name = name;
      this.typeflag = typeflag;
    }

    public Builder name(String v) {
      name = v;
      return this;
    }

    public Builder typeflag(byte v) {
      typeflag = v;
      return this;
    }

    public Builder mode(long v) {
      mode = v;
      return this;
    }

    public Builder uid(long v) {
      uid = v;
      return this;
    }

    public Builder gid(long v) {
      gid = v;
      return this;
    }

    public Builder size(long v) {
      size = v;
      return this;
    }

    public Builder mtime(Instant v) {
      mtime = v;
      return this;
    }

    public Builder linkName(String v) {
      linkName = v;
      return this;
    }

    public Builder userName(String v) {
      userName = v;
      return this;
    }

    public Builder groupName(String v) {
      groupName = v;
      return this;
    }

    public Builder device(int major, int minor) {
      devMajor = major;
      devMinor = minor;
      return this;
    }

    public Builder xattr(String key, byte[] value) {
      xattrs.put(key, value);
      return this;
    }

    public Builder xattrs(Map<String, byte[]> v) {
      xattrs = new LinkedHashMap<>(v);
      return this;
    }

    public Builder pax(Map<String, String> v) {
      pax = new LinkedHashMap<>(v);
      return this;
    }

    public TarHeader build() {
      return new TarHeader(
          name, typeflag, mode, uid, gid, size, mtime, linkName, userName, groupName, devMajor,
          devMinor, xattrs, pax);
    }
  }
}
