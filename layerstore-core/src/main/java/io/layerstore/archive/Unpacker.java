package io.layerstore.archive;

import io.layerstore.DevicePolicy;
import io.layerstore.InvalidArchiveException;
import io.layerstore.UnsafePathException;
import io.layerstore.platform.NodeKind;
import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies one layer's tar members to a layer directory, the way Docker's native apply does
 * (docs/overlay2-layout.md §4.1), and refuses anything that could touch what lies outside that
 * directory.
 *
 * <h2>Why an entry is refused</h2>
 *
 * <ul>
 *   <li>its name is absolute, empty, holds NUL, or has a {@code ..} component — even one that would
 *       stay inside ({@code a/../b}): no legitimate layer needs it and rejecting is simpler to
 *       trust than resolving;
 *   <li>a directory on its path is a symlink or a non-directory in this layer (an escape through a
 *       symlink planted by an earlier entry), or is not in this layer and is a symlink in the
 *       layers below ({@link LowerLayers}) — unless this layer made a directory above it opaque;
 *   <li>it is not a directory and names the layer root ({@code .}, {@code ./});
 *   <li>a directory on its path is called {@code .wh.*} (a whiteout name used as a directory);
 *   <li>it names a path this layer already has (a duplicate: the second would replace the first,
 *       which is how "directory, then symlink, then write under it" attacks work) — the root entry
 *       {@code ./} and directories created implicitly as parents are not duplicates;
 *   <li>a hardlink whose target is absolute, has {@code ..}, is missing from this layer, or is a
 *       directory (a hardlink to a symlink links the symlink itself, as Docker's does);
 *   <li>a whiteout of {@code .}, {@code ..}, the layer root, or of a name this layer holds, and a
 *       whiteout with content (an opaque marker at the layer root is kept, as Docker keeps it, and
 *       hides nothing: overlayfs ignores opaqueness at a layer's root);
 *   <li>a device node the {@link DevicePolicy} does not allow.
 * </ul>
 *
 * <p>The root entry ({@code ./}) is skipped: its mode and times are not applied and the layer root
 * stays 0755, as Docker does. Extended attributes other than {@code user.*} (minus {@code
 * user.overlay.*}), {@code security.capability} and POSIX ACLs are not applied (they stay in the
 * tar-split record, so a save still gives the original bytes); in particular {@code
 * trusted.overlay.*} in a tar never becomes overlay metadata. Only regular files and directories
 * get xattrs: Linux refuses user xattrs on symlinks, devices and fifos, and Docker ignores that
 * refusal, so they are left out on every platform alike. Directory times are applied at {@link
 * #finish()}, after their children.
 *
 * <p>Nothing is cleaned up on failure: the caller discards the whole layer directory.
 */
public final class Unpacker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Unpacker.class);
  private static final int COPY_BUFFER = 128 * 1024;

  /**
   * Regular files up to this size are read whole and made in one {@link Tree#writeFile} call, by
   * the {@link FileWriters} where there are some; bigger ones are written by the unpacker's own
   * thread, streaming, meanwhile.
   */
  static final int PARALLEL_MAX_FILE = 64 * 1024;

  private final Tree tree;
  private final Path root;
  private final WhiteoutFormat format;
  private final String source;
  private final UnpackOptions options;
  private final LowerLayers lowers;

  /** Paths of this layer (cleaned, relative) and whether each is a directory. */
  private final Map<String, Boolean> present = new HashMap<>();

  /** Directories made only because a member needed a parent; an explicit entry may follow. */
  private final Set<String> implicitDirs = new HashSet<>();

  /** Names whited out by this layer. */
  private final Set<String> whitedOut = new HashSet<>();

  /** Directories this layer makes opaque: the lower layers are hidden below them. */
  private final Set<String> opaqueDirs = new HashSet<>();

  private final List<Object[]> dirTimes = new ArrayList<>();
  private final byte[] buffer = new byte[COPY_BUFFER];

  /**
   * What the nodes this layer makes get without a chown or chmod, while that can be told (no
   * directory of the layer is setgid or has a default ACL); null once it cannot.
   */
  private Tree.Creation creation;

  private boolean creationChecked;
  private long entries;
  private long size;

  /** Writes small files on other threads; null: everything on the caller's thread. */
  private FileWriters writers;

  /** An unpacker for a base layer (nothing below it). */
  public Unpacker(Tree tree, WhiteoutFormat format, String source, UnpackOptions options) {
    this(tree, format, source, options, LowerLayers.NONE);
  }

  /**
   * @param tree the new layer's (empty) directory
   * @param format how the driver records whiteouts
   * @param source names the layer in errors
   * @param options limits and device policy
   * @param lowers what the layers below show, to refuse names through their symlinks
   */
  public Unpacker(
      Tree tree, WhiteoutFormat format, String source, UnpackOptions options, LowerLayers lowers) {
    this.tree = tree;
    this.root = tree.root();
    this.format = format;
    this.source = source;
    this.options = options;
    this.lowers = lowers;
  }

  /**
   * Has small regular files written by {@code threads} threads of this unpacker's own, while the
   * caller's thread reads and checks the next members (decisions stay in tar order on the caller's
   * thread). The caller must then {@link #close()} the unpacker, also after a failure, before it
   * discards the directory.
   *
   * @return this
   */
  public Unpacker writeFilesInParallel(int threads) {
    if (writers != null) {
      throw new IllegalStateException("parallel writers already set");
    }
    writers = new FileWriters(threads);
    return this;
  }

  /** Applies one member; {@code data} is its content (regular files only). */
  public void apply(TarHeader h, InputStream data) throws IOException {
    if (++entries > options.maxEntries()) {
      throw new InvalidArchiveException(
          source, h.name(), "more than " + options.maxEntries() + " entries in one layer");
    }
    if (h.typeflag() == TarHeader.PAX_GLOBAL) {
      LOG.debug("{}: ignoring a PAX global header", source);
      return; // Docker ignores them too
    }
    String rel = clean(h.name(), h.name());
    if (rel.isEmpty()) {
      if (h.typeflag() != TarHeader.DIRECTORY) {
        throw new UnsafePathException(
            source, h.name(), "a non-directory member names the layer root");
      }
      return; // the root entry: Docker leaves the diff root alone
    }
    if (h.size() > 0
        && (rel.startsWith(WhiteoutFormat.WH_META_PREFIX)
            || rel.substring(rel.lastIndexOf('/') + 1).startsWith(WhiteoutFormat.WH_PREFIX))) {
      // A whiteout (or aufs bookkeeping) keeps no content on disk, so bytes recorded for it could
      // never be given back by save (found by fuzzing).
      throw new InvalidArchiveException(
          source,
          h.name(),
          "a whiteout entry with " + h.size() + " bytes of content; whiteouts are empty");
    }
    if (rel.startsWith(WhiteoutFormat.WH_META_PREFIX)
        && !rel.equals(WhiteoutFormat.OPAQUE_MARKER)) {
      // aufs bookkeeping at the layer root (.wh..wh.plnk/..., .wh..wh.aufs): never content.
      LOG.debug("{}: skipping aufs meta entry {}", source, rel);
      return;
    }
    int slash = rel.lastIndexOf('/');
    String parentRel = slash < 0 ? "" : rel.substring(0, slash);
    String base = rel.substring(slash + 1);
    if (parentRel.startsWith(WhiteoutFormat.WH_PREFIX)
        || parentRel.contains("/" + WhiteoutFormat.WH_PREFIX)) {
      // A directory called .wh.X would itself be a whiteout in a driver that keeps tar names.
      throw new UnsafePathException(source, h.name(), "a whiteout name is used as a directory");
    }

    if (base.startsWith(WhiteoutFormat.WH_PREFIX)) {
      applyWhiteoutEntry(h, rel, parentRel, base);
      return;
    }
    Path parent = ensureParents(h.name(), parentRel);
    Path target = parent.resolve(base);
    Boolean existing = present.get(rel);
    if (existing != null) {
      boolean merge = existing && h.isDirectory() && implicitDirs.remove(rel);
      if (!merge) {
        throw new InvalidArchiveException(
            source, h.name(), "duplicate entry: the layer already has " + rel);
      }
    }
    if (whitedOut.contains(rel)) {
      throw new InvalidArchiveException(
          source, h.name(), "entry for a name this layer also whites out");
    }
    switch (h.typeflag()) {
      case TarHeader.DIRECTORY:
        if (existing == null) {
          tree.createDirectory(target);
        }
        present.put(rel, Boolean.TRUE);
        applyMetadata(h, target, true, creation());
        if ((h.permissions() & 02000) != 0 || h.xattrs().containsKey("system.posix_acl_default")) {
          creation = null; // what is made below it from now on inherits from it
        }
        dirTimes.add(new Object[] {target, h.mtime()});
        break;
      case TarHeader.REGULAR:
      case TarHeader.REGULAR_OLD:
      case TarHeader.CONTIGUOUS:
        Tree.Creation c = creation();
        if (h.size() <= PARALLEL_MAX_FILE) {
          byte[] content = readContent(h, data);
          FileTime mtime = FileTime.from(h.mtime());
          FileWriters.Task write =
              () -> {
                tree.writeFile(target, content, mtime);
                applyOwnership(h, target, false, c);
              };
          if (writers != null) {
            writers.submit(parent, write);
          } else {
            write.run();
          }
        } else {
          writeFile(h, target, data);
          applyMetadata(h, target, false, c);
        }
        present.put(rel, Boolean.FALSE);
        break;
      case TarHeader.SYMLINK:
        if (h.linkName().isEmpty()) {
          throw new InvalidArchiveException(source, h.name(), "symlink without a target");
        }
        if (h.linkName().indexOf('\0') >= 0) {
          throw new InvalidArchiveException(source, h.name(), "symlink target holds a NUL byte");
        }
        tree.createSymlink(target, h.linkName());
        present.put(rel, Boolean.FALSE);
        size += h.linkName().getBytes(StandardCharsets.UTF_8).length;
        Tree.Creation made = creation();
        if (made == null || h.uid() != made.uid() || h.gid() != made.gid()) {
          tree.setOwner(target, h.uid(), h.gid());
        }
        logSkippedXattrs(h);
        tree.setMtime(target, FileTime.from(h.mtime()));
        break;
      case TarHeader.HARDLINK:
        if (writers != null) {
          writers.await(); // the target may still be queued
        }
        Path linkTarget = hardlinkTarget(h);
        NodeStat linked = tree.stat(linkTarget);
        if (linked.isSymlink() && !linksSymlinks(linkTarget)) {
          copySymlink(linkTarget, target, linked);
        } else {
          tree.createLink(target, linkTarget);
        }
        present.put(rel, Boolean.FALSE);
        break;
      case TarHeader.CHAR_DEVICE:
      case TarHeader.BLOCK_DEVICE:
        boolean block = h.typeflag() == TarHeader.BLOCK_DEVICE;
        if (!options.devicePolicy().allows(block, h.devMajor(), h.devMinor())) {
          throw new InvalidArchiveException(
              source,
              h.name(),
              (block ? "block" : "char")
                  + " device "
                  + h.devMajor()
                  + ":"
                  + h.devMinor()
                  + " refused by device policy "
                  + options.devicePolicy());
        }
        tree.makeNode(
            target,
            block ? NodeKind.BLOCK_DEVICE : NodeKind.CHAR_DEVICE,
            h.permissions() & 0777,
            h.devMajor(),
            h.devMinor());
        present.put(rel, Boolean.FALSE);
        applySpecialMetadata(h, target);
        break;
      case TarHeader.FIFO:
        tree.makeNode(target, NodeKind.FIFO, h.permissions() & 0777, 0, 0);
        present.put(rel, Boolean.FALSE);
        applySpecialMetadata(h, target);
        break;
      default:
        throw new InvalidArchiveException(
            source, h.name(), "unsupported tar entry type '" + (char) (h.typeflag() & 0xff) + "'");
    }
  }

  private void applyWhiteoutEntry(TarHeader h, String rel, String parentRel, String base)
      throws IOException {
    if (base.startsWith(WhiteoutFormat.WH_META_PREFIX)) {
      if (base.equals(WhiteoutFormat.OPAQUE_MARKER)) {
        if (parentRel.isEmpty()) {
          // Docker accepts it and marks the diff root opaque; overlayfs ignores opaqueness at a
          // layer's root, so it hides nothing, and it must not lift the lower-symlink checks
          format.applyOpaque(tree, root, h);
          return;
        }
        Path dir = ensureParents(h.name(), parentRel);
        format.applyOpaque(tree, dir, h);
        opaqueDirs.add(parentRel);
        return;
      }
      // aufs bookkeeping (.wh..wh.plnk, .wh..wh.aufs, .wh..wh.orph): never layer content.
      LOG.debug("{}: skipping aufs meta entry {}", source, rel);
      return;
    }
    String name = base.substring(WhiteoutFormat.WH_PREFIX.length());
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw new UnsafePathException(
          source,
          h.name(),
          "whiteout of \"" + name + "\" would delete the layer root or its parent");
    }
    String hidden = parentRel.isEmpty() ? name : parentRel + "/" + name;
    if (present.containsKey(hidden)) {
      throw new InvalidArchiveException(
          source, h.name(), "whiteout for " + hidden + ", which this layer itself holds");
    }
    if (!whitedOut.add(hidden)) {
      throw new InvalidArchiveException(source, h.name(), "duplicate whiteout of " + hidden);
    }
    Path dir = ensureParents(h.name(), parentRel);
    try {
      format.applyWhiteout(tree, dir, name, h);
    } catch (FileAlreadyExistsException e) {
      throw new InvalidArchiveException(
          source, h.name(), "whiteout for an entry this layer already holds", e);
    }
  }

  /**
   * Cleans a member name to a relative path without {@code .} components; refuses absolute names,
   * {@code ..}, NUL and over-long names.
   */
  private String clean(String name, String entry) throws IOException {
    if (name.isEmpty()) {
      throw new InvalidArchiveException(source, entry, "empty entry name");
    }
    if (name.indexOf('\0') >= 0) {
      throw new InvalidArchiveException(source, entry, "entry name holds a NUL byte");
    }
    if (name.getBytes(StandardCharsets.UTF_8).length > options.maxNameLength()) {
      throw new InvalidArchiveException(
          source, entry, "entry name longer than " + options.maxNameLength() + " bytes");
    }
    if (name.startsWith("/")) {
      throw new UnsafePathException(source, entry, "absolute name");
    }
    StringBuilder sb = new StringBuilder(name.length());
    int i = 0;
    int n = name.length();
    while (i < n) {
      int j = name.indexOf('/', i);
      if (j < 0) {
        j = n;
      }
      String part = name.substring(i, j);
      i = j + 1;
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new UnsafePathException(source, entry, "\"..\" in the name");
      }
      if (sb.length() > 0) {
        sb.append('/');
      }
      sb.append(part);
    }
    return sb.toString();
  }

  /**
   * Returns the directory {@code parentRel} inside the layer, creating missing directories (0755,
   * root-owned, as Docker does) and refusing a symlink or non-directory on the way.
   */
  private Path ensureParents(String entry, String parentRel) throws IOException {
    if (parentRel.isEmpty()) {
      return root;
    }
    if (whitedOut.contains(parentRel)) {
      throw new InvalidArchiveException(
          source, entry, "entry below " + parentRel + ", which this layer whites out");
    }
    Boolean known = present.get(parentRel);
    if (known != null) {
      if (!known) {
        NodeStat st = tree.statIfExists(root.resolve(parentRel));
        if (st != null && st.isSymlink()) {
          throw new UnsafePathException(
              source, entry, "path goes through the symlink " + parentRel);
        }
        throw new UnsafePathException(
            source, entry, parentRel + " is not a directory in this layer");
      }
      return root.resolve(parentRel);
    }
    int slash = parentRel.lastIndexOf('/');
    Path up = ensureParents(entry, slash < 0 ? "" : parentRel.substring(0, slash));
    Path dir = up.resolve(parentRel.substring(slash + 1));
    NodeStat st = tree.statIfExists(dir);
    if (st == null) {
      if (!belowOpaque(parentRel) && lowers.kind(parentRel, entry) == LowerLayers.Kind.SYMLINK) {
        throw new UnsafePathException(
            source, entry, "path goes through the symlink " + parentRel + " of a lower layer");
      }
      tree.createDirectory(dir);
      tree.setMode(dir, 0755);
      implicitDirs.add(parentRel);
    } else if (st.isSymlink()) {
      throw new UnsafePathException(source, entry, "path goes through the symlink " + parentRel);
    } else if (!st.isDirectory()) {
      throw new UnsafePathException(source, entry, parentRel + " is not a directory");
    }
    present.put(parentRel, Boolean.TRUE);
    return dir;
  }

  /** Whether {@code rel} is, or lies below, a directory this layer made opaque. */
  private boolean belowOpaque(String rel) {
    if (opaqueDirs.isEmpty()) {
      return false;
    }
    for (String p = rel; ; p = p.substring(0, p.lastIndexOf('/'))) {
      if (opaqueDirs.contains(p)) {
        return true;
      }
      if (p.indexOf('/') < 0) {
        return false;
      }
    }
  }

  /**
   * Whether {@link Tree#createLink} links a symlink itself there: Linux's link(2) does not follow a
   * symlink (Docker relies on that), but other file systems follow it — jimfs would link what the
   * symlink points at, which may be outside the layer.
   */
  private static boolean linksSymlinks(Path p) {
    return p.getFileSystem() == FileSystems.getDefault()
        && System.getProperty("os.name").toLowerCase(Locale.ROOT).startsWith("linux");
  }

  /**
   * Where a symlink cannot be hard-linked ({@link #linksSymlinks}), a copy of it: the same target,
   * owner and time, so every reader sees what the link would show; only the link count differs.
   */
  private void copySymlink(Path from, Path to, NodeStat st) throws IOException {
    tree.createSymlink(to, Files.readSymbolicLink(from).toString());
    tree.setOwner(to, st.uid(), st.gid());
    tree.setMtime(to, st.mtime());
  }

  private Path hardlinkTarget(TarHeader h) throws IOException {
    String link = h.linkName();
    if (link.isEmpty()) {
      throw new InvalidArchiveException(source, h.name(), "hardlink without a target");
    }
    if (link.startsWith("/")) {
      throw new UnsafePathException(source, h.name(), "hardlink to the absolute path " + link);
    }
    String rel = clean(link, h.name());
    if (rel.isEmpty()) {
      throw new UnsafePathException(source, h.name(), "hardlink to the layer root");
    }
    Boolean isDir = present.get(rel);
    if (isDir == null) {
      throw new InvalidArchiveException(
          source, h.name(), "hardlink to " + link + ", which is not in this layer");
    }
    if (isDir) {
      throw new InvalidArchiveException(source, h.name(), "hardlink to the directory " + link);
    }
    // a hardlink to a symlink of this layer links the symlink itself, never what it points at
    // (link(2) does not follow), as Docker's untar does
    return root.resolve(rel);
  }

  /** The whole content of a small file, read on this thread (which hashes it on the way). */
  private byte[] readContent(TarHeader h, InputStream data) throws IOException {
    byte[] content = data == null ? new byte[0] : data.readNBytes((int) h.size());
    if (content.length != h.size()) {
      throw new InvalidArchiveException(
          source, h.name(), "content is " + content.length + " bytes, header says " + h.size());
    }
    size += content.length;
    return content;
  }

  private void writeFile(TarHeader h, Path target, InputStream data) throws IOException {
    long expected = h.size();
    long written = 0;
    try (OutputStream out = tree.newFile(target)) {
      if (data != null) {
        int r;
        while ((r = data.read(buffer)) > 0) {
          out.write(buffer, 0, r);
          written += r;
        }
      }
    }
    if (written != expected) {
      throw new InvalidArchiveException(
          source, h.name(), "content is " + written + " bytes, header says " + expected);
    }
    size += written;
  }

  /**
   * Owner, mode, xattrs and (not for directories) mtime, as the header says. {@code c} is what the
   * node got when it was made ({@link #creation()} at that moment), or null if unknown. Uses no
   * state of the unpacker, so writer threads may call it.
   */
  private void applyMetadata(TarHeader h, Path target, boolean directory, Tree.Creation c)
      throws IOException {
    applyOwnership(h, target, directory, c);
    if (!directory) {
      tree.setMtime(target, FileTime.from(h.mtime()));
    }
  }

  /**
   * Owner, mode and xattrs, as the header says; none of them changes the node's mtime, so it may be
   * set before. Uses no state of the unpacker, so writer threads may call it.
   */
  private void applyOwnership(TarHeader h, Path target, boolean directory, Tree.Creation c)
      throws IOException {
    // Owner before mode: chown clears setuid/setgid. Each is skipped when creation already gave
    // the node what the header asks for (most members of most layers: root-owned, 0644 or 0755).
    boolean chown = c == null || h.uid() != c.uid() || h.gid() != c.gid();
    if (chown) {
      tree.setOwner(target, h.uid(), h.gid());
    }
    if (chown || h.permissions() != (directory ? c.dirMode() : c.fileMode())) {
      tree.setMode(target, h.permissions());
    }
    applyXattrs(h, target);
  }

  private Tree.Creation creation() throws IOException {
    if (!creationChecked) {
      creationChecked = true;
      creation = tree.creation(root);
    }
    return creation;
  }

  /** Devices and fifos: like files, but Linux keeps no user xattrs on them (EPERM). */
  private void applySpecialMetadata(TarHeader h, Path target) throws IOException {
    tree.setOwner(target, h.uid(), h.gid());
    tree.setMode(target, h.permissions());
    logSkippedXattrs(h);
    tree.setMtime(target, FileTime.from(h.mtime()));
  }

  private void logSkippedXattrs(TarHeader h) {
    if (!h.xattrs().isEmpty()) {
      LOG.debug(
          "{}: not applying xattrs {} of {} (only files and directories keep them)",
          source,
          h.xattrs().keySet(),
          h.name());
    }
  }

  private void applyXattrs(TarHeader h, Path target) throws IOException {
    for (Map.Entry<String, byte[]> x : h.xattrs().entrySet()) {
      String name = x.getKey();
      if (isApplicableXattr(name)) {
        tree.setXattr(target, name, x.getValue());
      } else {
        LOG.debug("{}: not applying xattr {} of {}", source, name, h.name());
      }
    }
  }

  /**
   * The xattrs a layer may set: user data, file capabilities and ACLs. Never {@code trusted.*}
   * (overlay's own metadata lives there), and never {@code user.overlay.*}, which overlay mounted
   * with {@code userxattr} (rootless engines) reads as the same metadata.
   */
  static boolean isApplicableXattr(String name) {
    return (name.startsWith("user.") && !name.startsWith("user.overlay."))
        || name.equals("security.capability")
        || name.equals("system.posix_acl_access")
        || name.equals("system.posix_acl_default");
  }

  /**
   * Applies deferred directory times and returns the layer's size as Docker's {@code size} file
   * counts it (regular file bytes once per inode, symlink target lengths).
   */
  public long finish() throws IOException {
    if (writers != null) {
      writers.await(); // a file written later would change its directory's time
    }
    for (Object[] d : dirTimes) {
      tree.setMtime((Path) d[0], FileTime.from((java.time.Instant) d[1]));
    }
    dirTimes.clear();
    tree.flush();
    return size;
  }

  /**
   * Stops the parallel writers, if any, and waits until none writes any more; nothing else to do
   * otherwise. Call after {@link #finish()} or after a failure.
   */
  @Override
  public void close() {
    if (writers != null) {
      writers.close();
    }
  }

  /** Number of members applied so far. */
  public long entries() {
    return entries;
  }
}
