package io.layerstore.build;

import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one layer holds: entries (files, directory trees, bytes, symlinks), each with the path it
 * gets in the image, and the attributes its tar members get. Immutable; made with {@link
 * #builder()}.
 *
 * <p>The defaults make a layer that depends on the sources' contents and names only, as Jib's do:
 * files {@code 0644}, directories {@code 0755} (whatever the sources' bits: use {@link
 * Builder#keepPermissions()} or {@link Builder#mode(int)} for executables), owner {@code 0:0},
 * modification time epoch + 1 s ({@link #DEFAULT_MTIME}). Parent directories the entries need but
 * do not name are added with those directory attributes.
 *
 * <p>Symlinks inside an added directory are stored as symlinks (as {@code docker build}'s COPY
 * does); a source that is itself a symlink is followed. With {@link Builder#followSymlinks()} links
 * inside directories are followed too, and a loop fails the build.
 */
public final class LayerSpec {

  /** The modification time every entry gets by default: one second after the epoch, as Jib. */
  public static final Instant DEFAULT_MTIME = Instant.ofEpochSecond(1);

  /** What an entry is. */
  public enum Kind {
    /** A regular file copied from a source file. */
    FILE,
    /** A source directory and everything under it. */
    DIRECTORY,
    /** A file whose content is given as bytes. */
    BYTES,
    /** A symlink, with the target it points to. */
    SYMLINK
  }

  /**
   * One entry of a layer.
   *
   * @param kind what the entry is
   * @param target where it goes in the image: a clean relative path ({@code app/lib}); empty for
   *     the root, which only a directory may be
   * @param source the file or directory it is read from; null for bytes and symlinks
   * @param content the bytes of a {@link Kind#BYTES} entry, the link target of a {@link
   *     Kind#SYMLINK}; null otherwise
   */
  public record Entry(Kind kind, String target, Path source, byte[] content) {
    /**
     * Checks the entry.
     *
     * @param kind what the entry is
     * @param target where it goes in the image, a clean relative path
     * @param source the file or directory it is read from; null for bytes and symlinks
     * @param content the bytes, or the link target's UTF-8; null for files and directories
     * @throws NullPointerException if kind or target is null, or what the kind needs is missing
     */
    public Entry {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(target, "target");
      if (kind == Kind.FILE || kind == Kind.DIRECTORY) {
        Objects.requireNonNull(source, "source");
      } else {
        Objects.requireNonNull(content, "content");
        content = content.clone();
      }
    }

    /**
     * The content of a bytes or symlink entry.
     *
     * @return a copy of the bytes (the link target's UTF-8 for a symlink); null for files and
     *     directories
     */
    @Override
    public byte[] content() {
      return content == null ? null : content.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e
          && kind == e.kind
          && target.equals(e.target)
          && Objects.equals(source, e.source)
          && Arrays.equals(content, e.content);
    }

    @Override
    public int hashCode() {
      return Objects.hash(kind, target, source, Arrays.hashCode(content));
    }

    @Override
    public String toString() {
      return kind + " " + (source != null ? source + " -> " : "") + "/" + target;
    }
  }

  /** Where the entries' permission bits come from. */
  public enum Permissions {
    /** {@code 0644} for files, {@code 0755} for directories, as Jib. */
    DEFAULT,
    /** The source's own permission bits (bytes entries get the default). */
    KEEP,
    /** One explicit mode for every file and directory, as {@code COPY --chmod}. */
    EXPLICIT
  }

  /** Where the entries' modification times come from. */
  public enum Mtimes {
    /** {@link LayerSpec#DEFAULT_MTIME} for every entry. */
    FIXED,
    /** The source's own (whole seconds); bytes, symlinks and implicit directories get the fixed. */
    KEEP,
    /** One given instant for every entry (e.g. {@code SOURCE_DATE_EPOCH}). */
    EXPLICIT
  }

  private final String name;
  private final List<Entry> entries;
  private final Permissions permissions;
  private final int mode;
  private final long uid;
  private final long gid;
  private final Mtimes mtimes;
  private final Instant mtime;
  private final boolean followSymlinks;
  private final boolean hashContents;

  private LayerSpec(Builder b) {
    this.name = b.name;
    this.entries = List.copyOf(b.entries);
    this.permissions = b.permissions;
    this.mode = b.mode;
    this.uid = b.uid;
    this.gid = b.gid;
    this.mtimes = b.mtimes;
    this.mtime = b.mtime;
    this.followSymlinks = b.followSymlinks;
    this.hashContents = b.hashContents;
  }

  /**
   * A new builder with the defaults.
   *
   * @return an empty builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The layer's name, which its history entry's comment carries (as Jib's "dependencies",
   * "classes").
   *
   * @return the name, or empty
   */
  public Optional<String> name() {
    return Optional.ofNullable(name);
  }

  /**
   * The entries in the order they were added (a later entry for the same target wins).
   *
   * @return an unmodifiable list
   */
  public List<Entry> entries() {
    return entries;
  }

  /**
   * Where permission bits come from.
   *
   * @return the policy
   */
  public Permissions permissions() {
    return permissions;
  }

  /**
   * The explicit mode, for {@link Permissions#EXPLICIT}.
   *
   * @return permission bits, {@code 0} .. {@code 07777}
   */
  public int mode() {
    return mode;
  }

  /**
   * The owner every entry gets.
   *
   * @return the numeric user id
   */
  public long uid() {
    return uid;
  }

  /**
   * The group every entry gets.
   *
   * @return the numeric group id
   */
  public long gid() {
    return gid;
  }

  /**
   * Where modification times come from.
   *
   * @return the policy
   */
  public Mtimes mtimes() {
    return mtimes;
  }

  /**
   * The modification time of {@link Mtimes#FIXED} and {@link Mtimes#EXPLICIT}.
   *
   * @return the instant (whole seconds)
   */
  public Instant mtime() {
    return mtime;
  }

  /**
   * Whether symlinks inside added directories are followed (their targets' content is added).
   *
   * @return true to follow
   */
  public boolean followSymlinks() {
    return followSymlinks;
  }

  /**
   * Whether the layer cache keys files by their contents' hashes instead of their size, mtime, mode
   * and owner: slower to check, but a touched file does not rebuild the layer.
   *
   * @return true to hash contents
   */
  public boolean hashContents() {
    return hashContents;
  }

  /**
   * Cleans a target path: {@code /app//lib/} becomes {@code app/lib}, the root becomes the empty
   * string.
   *
   * @param target an image path, absolute or relative to the root
   * @return the clean relative path
   * @throws IllegalArgumentException if the path has a {@code ..} component, a NUL, or is empty
   */
  static String cleanTarget(String target) {
    Objects.requireNonNull(target, "target");
    if (target.isEmpty()) {
      throw new IllegalArgumentException("empty target path");
    }
    if (target.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("target path contains a NUL: " + target);
    }
    StringBuilder sb = new StringBuilder();
    for (String part : target.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new IllegalArgumentException(
            "target path " + target + " has a '..' component; targets stay inside the image");
      }
      sb.append(sb.length() > 0 ? "/" : "").append(part);
    }
    return sb.toString();
  }

  /** Collects a layer's entries and options; {@link #build()} makes the immutable spec. */
  public static final class Builder {
    private String name;
    private final List<Entry> entries = new ArrayList<>();
    private Permissions permissions = Permissions.DEFAULT;
    private int mode;
    private long uid;
    private long gid;
    private Mtimes mtimes = Mtimes.FIXED;
    private Instant mtime = DEFAULT_MTIME;
    private boolean followSymlinks;
    private boolean hashContents;

    private Builder() {}

    /**
     * Names the layer (its history comment).
     *
     * @param name a short name, e.g. {@code dependencies}
     * @return this builder
     */
    public Builder name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * Adds a file (a symlink to a file is followed).
     *
     * @param source the file
     * @param target its path in the image, e.g. {@code /app/app.jar}
     * @return this builder
     * @throws IllegalArgumentException if {@code target} has a {@code ..} component or names the
     *     root
     */
    public Builder addFile(Path source, String target) {
      String t = cleanTarget(target);
      if (t.isEmpty()) {
        throw new IllegalArgumentException("a file cannot be added as the root: " + source);
      }
      entries.add(new Entry(Kind.FILE, t, source, null));
      return this;
    }

    /**
     * Adds a directory and everything under it ({@code docker build}'s {@code COPY src/ target/}).
     *
     * @param source the directory
     * @param target the path its content gets in the image, e.g. {@code /app}; {@code /} for the
     *     root
     * @return this builder
     * @throws IllegalArgumentException if {@code target} has a {@code ..} component
     */
    public Builder addDirectory(Path source, String target) {
      entries.add(new Entry(Kind.DIRECTORY, cleanTarget(target), source, null));
      return this;
    }

    /**
     * Adds a file with the given content.
     *
     * @param content the file's bytes (copied)
     * @param target its path in the image
     * @return this builder
     * @throws IllegalArgumentException if {@code target} has a {@code ..} component or names the
     *     root
     */
    public Builder addBytes(byte[] content, String target) {
      String t = cleanTarget(target);
      if (t.isEmpty()) {
        throw new IllegalArgumentException("bytes cannot be added as the root");
      }
      entries.add(new Entry(Kind.BYTES, t, null, content));
      return this;
    }

    /**
     * Adds a symlink.
     *
     * @param target the link's path in the image
     * @param linkTarget what it points to, stored as given (may be relative or absolute)
     * @return this builder
     * @throws IllegalArgumentException if {@code target} has a {@code ..} component or names the
     *     root, or {@code linkTarget} is empty
     */
    public Builder addSymlink(String target, String linkTarget) {
      String t = cleanTarget(target);
      if (t.isEmpty() || linkTarget.isEmpty()) {
        throw new IllegalArgumentException("a symlink needs a path and a target: " + target);
      }
      entries.add(
          new Entry(
              Kind.SYMLINK, t, null, linkTarget.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      return this;
    }

    /**
     * Keeps the sources' permission bits.
     *
     * @return this builder
     */
    public Builder keepPermissions() {
      this.permissions = Permissions.KEEP;
      return this;
    }

    /**
     * Gives every file and directory the same permission bits ({@code COPY --chmod}).
     *
     * @param mode permission bits, {@code 0} .. {@code 07777}
     * @return this builder
     * @throws IllegalArgumentException if {@code mode} is out of range
     */
    public Builder mode(int mode) {
      if (mode < 0 || mode > 07777) {
        throw new IllegalArgumentException(
            "mode " + Integer.toOctalString(mode) + " is not 0..7777");
      }
      this.permissions = Permissions.EXPLICIT;
      this.mode = mode;
      return this;
    }

    /**
     * Sets the owner of every entry ({@code COPY --chown}); default {@code 0:0}.
     *
     * @param uid numeric user id, 0 .. 2^32-1
     * @param gid numeric group id, 0 .. 2^32-1
     * @return this builder
     * @throws IllegalArgumentException if an id is out of range
     */
    public Builder owner(long uid, long gid) {
      if (uid < 0 || gid < 0 || uid > 0xffffffffL || gid > 0xffffffffL) {
        throw new IllegalArgumentException("owner " + uid + ":" + gid + " is out of range");
      }
      this.uid = uid;
      this.gid = gid;
      return this;
    }

    /**
     * Keeps the sources' modification times (whole seconds): the layer then changes whenever a
     * source is touched.
     *
     * @return this builder
     */
    public Builder keepMtimes() {
      this.mtimes = Mtimes.KEEP;
      this.mtime = DEFAULT_MTIME;
      return this;
    }

    /**
     * Gives every entry one modification time.
     *
     * @param time the time; rounded down to whole seconds, not before the epoch
     * @return this builder
     * @throws IllegalArgumentException if {@code time} is before the epoch
     */
    public Builder mtime(Instant time) {
      if (time.isBefore(Instant.EPOCH)) {
        throw new IllegalArgumentException("mtime " + time + " is before the epoch");
      }
      this.mtimes = Mtimes.EXPLICIT;
      this.mtime = Instant.ofEpochSecond(time.getEpochSecond());
      return this;
    }

    /**
     * Gives every entry the time {@code SOURCE_DATE_EPOCH} names (reproducible-builds.org).
     *
     * @param sourceDateEpoch the variable's value: decimal seconds since the epoch
     * @return this builder
     * @throws IllegalArgumentException if the value is not a non-negative decimal number
     */
    public Builder mtimeFromSourceDateEpoch(String sourceDateEpoch) {
      return mtime(parseSourceDateEpoch(sourceDateEpoch));
    }

    /**
     * Follows symlinks inside added directories (their targets' content is added; a loop fails).
     *
     * @return this builder
     */
    public Builder followSymlinks() {
      this.followSymlinks = true;
      return this;
    }

    /**
     * Keys the layer cache by the files' content hashes instead of their metadata.
     *
     * @return this builder
     */
    public Builder hashContents() {
      this.hashContents = true;
      return this;
    }

    /**
     * Makes the spec.
     *
     * @return the immutable spec
     */
    public LayerSpec build() {
      return new LayerSpec(this);
    }
  }

  /**
   * Parses {@code SOURCE_DATE_EPOCH}.
   *
   * @param value decimal seconds since the epoch
   * @return the instant
   * @throws IllegalArgumentException if the value is not a non-negative decimal number
   */
  static Instant parseSourceDateEpoch(String value) {
    try {
      if (value == null || !value.matches("[0-9]{1,19}")) {
        throw new NumberFormatException();
      }
      return Instant.ofEpochSecond(Long.parseLong(value));
    } catch (NumberFormatException | DateTimeParseException e) {
      throw new IllegalArgumentException(
          "SOURCE_DATE_EPOCH must be decimal seconds since the epoch, not \"" + value + "\"");
    }
  }
}
