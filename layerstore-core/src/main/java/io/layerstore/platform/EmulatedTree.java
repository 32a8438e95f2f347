package io.layerstore.platform;

import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link Tree} on a file system that cannot hold device nodes, ownership, special mode bits or
 * xattrs (jimfs, any non-default provider, the default one without privilege). Those live in {@link
 * NodeRecord}s, persisted in a {@link Sidecar} file; content, directories, symlinks, hardlinks and
 * mtimes stay in the file system.
 *
 * <h2>Records follow nodes, not names</h2>
 *
 * Two names of one inode must show one owner and mode, and a caller makes hardlinks with plain NIO,
 * unseen by the tree. So in memory a record is found by the node's <em>file key</em> (jimfs and the
 * default provider both give stable keys while the node exists) as well as by each name it is known
 * by; a name met for the first time whose key belongs to a record becomes one of its names. File
 * keys are not stable across jimfs instances or reboots, so the sidecar stores names only and a
 * load turns them back into keys with one lstat each (records are sparse: only nodes that differ
 * from "root-owned, mode as the file system shows, no xattrs").
 *
 * <p>Keys of the default provider are inode numbers, which the file system hands to the next new
 * node once one is gone. So a record found through its key is trusted only if one of its known
 * names still leads to that key (else the number was reused), and a record found by name only if
 * the node there still has its key (else the node was replaced). {@link #delete} counts the links
 * it removes of each recorded node, so a record outlives its last known name only when its node
 * really lives on under another; {@link #flush} finds it that name by walking the tree once. What
 * no file key can reveal is a node deleted behind the tree's back whose number is reused at the
 * same name: it inherits the record. That is why the {@link Tree} contract routes deletes and
 * renames through the tree.
 *
 * <h2>Modes</h2>
 *
 * The file system keeps the permission bits where it can, always with owner read/write (and search
 * for directories) added so an unprivileged process can still fill and empty the tree; the record
 * keeps the true {@code 07777} mode whenever it differs from what the file system shows (special
 * bits, or owner bits the file system was not given). A file system without the posix view shows
 * 0755 for directories and 0644 for files. A chown clears setuid, and setgid with group execute, on
 * non-directories, as the Linux kernel does even for root, so both trees agree after the
 * chown-then-chmod order tar extraction uses.
 *
 * <p>Device nodes, fifos and sockets are empty regular placeholder files whose record holds the
 * kind, device numbers and mode. {@code user.*} xattrs are refused on anything but regular files
 * and directories, as the kernel refuses them.
 *
 * <p>All methods hold one lock; records are loaded on first use.
 */
final class EmulatedTree implements Tree {
  /** Largest uid/gid: {@code (uid_t) -1} means "unchanged" to chown. */
  static final long MAX_ID = 0xFFFFFFFEL;

  private static final Logger log = LoggerFactory.getLogger(EmulatedTree.class);
  private static final LinkOption[] NOFOLLOW = {LinkOption.NOFOLLOW_LINKS};

  private final TreePaths paths;
  private final SafeTreeOps ops;
  private final Path sidecar;
  private final FsNode.Views views;
  private final Object lock = new Object();

  private RecordIndex index;
  private boolean dirty;

  EmulatedTree(Path root, Path sidecar) {
    this.paths = new TreePaths(root);
    this.ops = new SafeTreeOps(paths);
    this.sidecar = sidecar.toAbsolutePath().normalize();
    this.views = FsNode.Views.of(root);
  }

  static boolean isPlaceholderKind(NodeKind kind) {
    return kind == NodeKind.CHAR_DEVICE
        || kind == NodeKind.BLOCK_DEVICE
        || kind == NodeKind.FIFO
        || kind == NodeKind.SOCKET;
  }

  @Override
  public Path root() {
    return paths.root();
  }

  @Override
  public boolean isEmulated() {
    return true;
  }

  @Override
  public NodeStat stat(Path path) throws IOException {
    Path p = paths.inside(path);
    synchronized (lock) {
      FsNode fs = FsNode.read(p, views);
      return merge(p, fs, find(paths.name(p), fs));
    }
  }

  @Override
  public NodeStat statIfExists(Path path) throws IOException {
    try {
      return stat(path);
    } catch (NoSuchFileException e) {
      return null;
    } catch (FileSystemException e) {
      if (NativeTree.parentIsNotADirectory(paths.inside(path), e)) {
        return null;
      }
      throw e;
    }
  }

  @Override
  public void makeNode(Path path, NodeKind kind, int mode, int major, int minor)
      throws IOException {
    checkNodeArgs(kind, mode, major, minor);
    Path p = paths.below(path);
    synchronized (lock) {
      load();
      Files.createFile(p);
      FsNode fs = FsNode.read(p, views);
      String name = paths.name(p);
      // The node is new: whatever claimed its name or key described a node now gone.
      index.detach(name);
      NodeRecord stale = index.byKey(fs.fileKey());
      if (stale != null) {
        index.remove(stale);
      }
      NodeRecord r = new NodeRecord();
      r.key = fs.fileKey();
      r.names.add(name);
      r.kind = kind;
      if (kind.isDevice()) {
        r.major = major;
        r.minor = minor;
      }
      r.mode = mode;
      index.add(r);
      dirty = true;
    }
  }

  @Override
  public void setOwner(Path path, long uid, long gid) throws IOException {
    checkIds(uid, gid);
    Path p = paths.inside(path);
    synchronized (lock) {
      FsNode fs = FsNode.read(p, views);
      String name = paths.name(p);
      NodeRecord r = find(name, fs);
      if (r == null && uid == 0 && gid == 0) {
        return; // nothing to record, and no special bits to clear (they only live in records)
      }
      if (r == null) {
        r = create(name, fs);
      }
      r.uid = uid;
      r.gid = gid;
      NodeKind kind = r.kind != null ? r.kind : fs.kind();
      if (r.mode >= 0 && kind != NodeKind.DIRECTORY && kind != NodeKind.SYMLINK) {
        int m = r.mode;
        if ((m & 02010) == 02010) {
          m &= ~02000;
        }
        storeMode(r, fs, m & ~04000);
      }
      changed(r);
    }
  }

  @Override
  public void setMode(Path path, int mode) throws IOException {
    checkMode(mode);
    Path p = paths.inside(path);
    synchronized (lock) {
      FsNode fs = FsNode.read(p, views);
      if (fs.kind() == NodeKind.SYMLINK) {
        return;
      }
      String name = paths.name(p);
      NodeRecord r = find(name, fs);
      if ((r == null || r.kind == null) && !fs.isSpecial() && fs.perms() >= 0) {
        int usable = (mode & 0777) | (fs.kind() == NodeKind.DIRECTORY ? 0700 : 0600);
        if (usable != fs.perms()) {
          setPermissions(p, usable);
          fs = FsNode.read(p, views);
        }
      }
      if (r == null && mode == shownMode(fs)) {
        return;
      }
      if (r == null) {
        r = create(name, fs);
      }
      storeMode(r, fs, mode);
      changed(r);
    }
  }

  @Override
  public void setMtime(Path path, FileTime mtime) throws IOException {
    Objects.requireNonNull(mtime, "mtime");
    Path p = paths.inside(path);
    FsNode fs = FsNode.read(p, views);
    if (fs.isSpecial()) {
      // NIO would open the node to set its times: a real fifo would block, a device react.
      throw new FileSystemException(
          p.toString(), null, "an emulated tree cannot set the time of a real " + fs.kind());
    }
    Files.getFileAttributeView(p, BasicFileAttributeView.class, NOFOLLOW)
        .setTimes(mtime, null, null);
  }

  @Override
  public Map<String, byte[]> xattrs(Path path) throws IOException {
    Path p = paths.inside(path);
    synchronized (lock) {
      FsNode fs = FsNode.read(p, views);
      NodeRecord r = find(paths.name(p), fs);
      SortedMap<String, byte[]> out = new TreeMap<>();
      if (r != null) {
        r.xattrs.forEach((k, v) -> out.put(k, v.clone()));
      }
      return Collections.unmodifiableSortedMap(out);
    }
  }

  @Override
  public byte[] getXattr(Path path, String name) throws IOException {
    Path p = paths.inside(path);
    Xattrs.checkName(p, "getxattr", name);
    synchronized (lock) {
      FsNode fs = FsNode.read(p, views);
      NodeRecord r = find(paths.name(p), fs);
      byte[] v = r == null ? null : r.xattrs.get(name);
      return v == null ? null : v.clone();
    }
  }

  @Override
  public void setXattr(Path path, String name, byte[] value) throws IOException {
    Path p = paths.inside(path);
    Xattrs.checkName(p, "setxattr", name);
    Xattrs.checkValue(p, "setxattr", value);
    synchronized (lock) {
      FsNode fs = FsNode.read(p, views);
      String rel = paths.name(p);
      NodeRecord r = find(rel, fs);
      NodeKind kind = r != null && r.kind != null ? r.kind : fs.kind();
      if (Xattrs.isUser(name) && !Xattrs.userNamespaceAllowed(kind)) {
        throw new FileSystemException(
            p.toString(), null, "setxattr " + name + ": Operation not permitted");
      }
      if (r == null) {
        r = create(rel, fs);
      }
      r.xattrs.put(name, value.clone());
      changed(r);
    }
  }

  @Override
  public void removeXattr(Path path, String name) throws IOException {
    Path p = paths.inside(path);
    Xattrs.checkName(p, "removexattr", name);
    synchronized (lock) {
      FsNode fs = FsNode.read(p, views);
      NodeRecord r = find(paths.name(p), fs);
      if (r != null && r.xattrs.remove(name) != null) {
        changed(r);
      }
    }
  }

  @Override
  public void delete(Path path) throws IOException {
    Path p = paths.inside(path);
    synchronized (lock) {
      load();
      String name = paths.name(p);
      if (name.isEmpty()) {
        ops.delete(p);
        for (NodeRecord r : index.all()) {
          index.remove(r);
        }
        dirty = true;
        return;
      }
      // Records losing every name here may still describe a node linked from elsewhere: count
      // the links before, and the links removed, of each such node.
      Map<NodeRecord, Integer> linksBefore = new IdentityHashMap<>();
      Map<Object, int[]> removed = new HashMap<>();
      List<String> goneNames = new ArrayList<>();
      for (NodeRecord r : index.under(name)) {
        int here = 0;
        String some = null;
        for (String n : r.names) {
          if (TreePaths.isUnder(n, name)) {
            here++;
            some = n;
            goneNames.add(n);
          }
        }
        if (r.names.size() == here && r.key != null) {
          linksBefore.put(r, linkCount(r, some));
          removed.put(r.key, new int[1]);
        }
      }
      ops.delete(
          p,
          attrs -> {
            int[] count = removed.get(attrs.fileKey());
            if (count != null) {
              count[0]++;
            }
          });
      for (String n : goneNames) {
        NodeRecord r = index.byName(n);
        if (r != null) {
          Integer before = linksBefore.get(r);
          boolean livesOn = before != null && (before < 0 || before > removed.get(r.key)[0]);
          index.detach(n, livesOn);
        }
      }
      dirty |= !goneNames.isEmpty();
    }
  }

  @Override
  public void move(Path from, Path to) throws IOException {
    Path src = paths.below(from);
    Path dst = paths.below(to);
    synchronized (lock) {
      load();
      ops.move(src, dst);
      index.rename(paths.name(src), paths.name(dst));
      dirty = true;
    }
  }

  @Override
  public void flush() throws IOException {
    synchronized (lock) {
      if (index == null || !dirty) {
        return;
      }
      nameNameless();
      Sidecar.write(sidecar, index.all());
      dirty = false;
    }
  }

  // ---- records ----------------------------------------------------------------------------

  /** The record of the node now at {@code name} (whose lstat is {@code fs}), or null. */
  private NodeRecord find(String name, FsNode fs) throws IOException {
    load();
    NodeRecord r = index.byName(name);
    if (r != null) {
      if (r.key == null || r.key.equals(fs.fileKey())) {
        return checkKind(name, r, fs);
      }
      // Replaced behind the tree's back: the old node's other names, if any, keep the record.
      index.detach(name);
      dirty = true;
    }
    r = index.byKey(fs.fileKey());
    if (r != null) {
      if (stillNamed(r)) {
        index.attach(r, name); // a hardlink met under a new name
        dirty = true;
        return checkKind(name, r, fs);
      }
      index.remove(r); // its inode number was reused
      dirty = true;
    }
    return null;
  }

  private NodeRecord checkKind(String name, NodeRecord r, FsNode fs) {
    if (r.kind != null && fs.kind() != NodeKind.REGULAR) {
      log.debug("{}: record says {} but the file system holds a {}", name, r.kind, fs.kind());
      index.remove(r);
      dirty = true;
      return null;
    }
    return r;
  }

  /** Whether one of the record's known names still leads to its node (or it has none yet). */
  private boolean stillNamed(NodeRecord r) {
    if (r.names.isEmpty()) {
      return true;
    }
    for (String n : r.names) {
      try {
        Object key = FsNode.read(paths.resolve(n), views).fileKey();
        if (r.key.equals(key)) {
          return true;
        }
      } catch (IOException e) {
        // gone: try the next name
      }
    }
    return false;
  }

  /**
   * The link count of the node of {@code r}, read at its name {@code name}: 0 for a directory (its
   * count is not about hardlinks) or a stale record, -1 if the file system does not say.
   */
  private int linkCount(NodeRecord r, String name) {
    try {
      FsNode fs = FsNode.read(paths.resolve(name), views);
      if (!r.key.equals(fs.fileKey()) || fs.kind() == NodeKind.DIRECTORY) {
        return 0;
      }
      return fs.nlink();
    } catch (IOException e) {
      return 0;
    }
  }

  private NodeRecord create(String name, FsNode fs) {
    NodeRecord r = new NodeRecord();
    r.key = fs.fileKey();
    r.names.add(name);
    index.add(r);
    return r;
  }

  private void changed(NodeRecord r) {
    if (r.isEmpty()) {
      index.remove(r);
    }
    dirty = true;
  }

  /** Keeps {@code mode} in the record unless the file system already shows exactly it. */
  private void storeMode(NodeRecord r, FsNode fs, int mode) {
    r.mode = r.kind == null && mode == shownMode(fs) ? -1 : mode;
  }

  /** The mode a record-less node shows. */
  private static int shownMode(FsNode fs) {
    if (fs.kind() == NodeKind.SYMLINK) {
      return 0777;
    }
    if (fs.perms() >= 0) {
      return fs.perms();
    }
    return fs.kind() == NodeKind.DIRECTORY ? 0755 : 0644;
  }

  private NodeStat merge(Path p, FsNode fs, NodeRecord r) throws IOException {
    NodeKind kind = r != null && r.kind != null ? r.kind : fs.kind();
    int mode;
    if (kind == NodeKind.SYMLINK) {
      mode = 0777;
    } else if (r != null && r.mode >= 0) {
      mode = r.mode;
    } else {
      mode = shownMode(fs);
    }
    int major = 0;
    int minor = 0;
    if (r != null && r.kind != null) {
      major = r.major;
      minor = r.minor;
    } else if (kind.isDevice()) {
      major = DevNumbers.major(fs.rdev());
      minor = DevNumbers.minor(fs.rdev());
    }
    long size;
    if (kind == NodeKind.REGULAR) {
      size = fs.size();
    } else if (kind == NodeKind.SYMLINK) {
      size = fs.symlinkSize(p);
    } else {
      size = 0;
    }
    return new NodeStat(
        kind,
        mode,
        r == null ? 0 : r.uid,
        r == null ? 0 : r.gid,
        size,
        major,
        minor,
        fs.mtime(),
        fs.fileKey() != null ? fs.fileKey() : p,
        fs.nlink() > 0 ? fs.nlink() : 1);
  }

  /** Loads the sidecar on first use, turning its names back into file keys. */
  private void load() throws IOException {
    if (index != null) {
      return;
    }
    RecordIndex idx = new RecordIndex();
    boolean changed = false;
    Map<Object, NodeRecord> byKey = new HashMap<>();
    for (NodeRecord saved : Sidecar.read(sidecar)) {
      for (String name : saved.names) {
        Path p;
        try {
          p = paths.resolve(name);
        } catch (IllegalArgumentException e) {
          throw new LayerStoreException(
              "tree record file " + sidecar + " is unreadable: " + e.getMessage(), e);
        }
        FsNode fs;
        try {
          fs = FsNode.read(p, views);
        } catch (IOException e) {
          log.debug("{}: dropping record of {}: {}", sidecar, name, e.toString());
          changed = true;
          continue;
        }
        if (saved.kind != null && fs.kind() != NodeKind.REGULAR) {
          log.debug("{}: dropping record of {}: no longer a placeholder", sidecar, name);
          changed = true;
          continue;
        }
        NodeRecord r = fs.fileKey() == null ? null : byKey.get(fs.fileKey());
        if (r == null) {
          r = saved.copyValues();
          r.key = fs.fileKey();
          if (r.key != null) {
            byKey.put(r.key, r);
          }
          r.names.add(name);
          idx.add(r);
        } else {
          idx.attach(r, name);
        }
      }
    }
    index = idx;
    dirty = changed;
  }

  /** Finds a current name for each record that lost all of its own, or drops it. */
  private void nameNameless() throws IOException {
    Set<NodeRecord> nameless = index.nameless();
    if (nameless.isEmpty()) {
      return;
    }
    Map<Object, NodeRecord> wanted = new HashMap<>();
    for (NodeRecord r : nameless) {
      wanted.put(r.key, r);
    }
    Path root = paths.root();
    if (Files.isDirectory(root, NOFOLLOW)) {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
              return visit(dir, attrs);
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              return visit(file, attrs);
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              return FileVisitResult.CONTINUE;
            }

            private FileVisitResult visit(Path p, BasicFileAttributes attrs) {
              NodeRecord r = wanted.remove(attrs.fileKey());
              if (r != null) {
                index.attach(r, paths.name(p));
              }
              return wanted.isEmpty() ? FileVisitResult.TERMINATE : FileVisitResult.CONTINUE;
            }
          });
    }
    for (NodeRecord r : wanted.values()) {
      index.remove(r);
    }
  }

  private static void setPermissions(Path p, int bits) throws IOException {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    for (PosixFilePermission perm : PosixFilePermission.values()) {
      if ((bits & (0400 >> perm.ordinal())) != 0) {
        perms.add(perm);
      }
    }
    Files.getFileAttributeView(p, PosixFileAttributeView.class, NOFOLLOW).setPermissions(perms);
  }

  static void checkNodeArgs(NodeKind kind, int mode, int major, int minor) {
    Objects.requireNonNull(kind, "kind");
    if (!isPlaceholderKind(kind)) {
      throw new IllegalArgumentException("makeNode makes devices, fifos and sockets, not " + kind);
    }
    checkMode(mode);
    if (kind.isDevice()) {
      DevNumbers.check(major, minor);
    } else if (major != 0 || minor != 0) {
      throw new IllegalArgumentException(kind + " has no device number");
    }
  }

  static void checkMode(int mode) {
    if ((mode & ~07777) != 0) {
      throw new IllegalArgumentException("mode " + Integer.toOctalString(mode) + " is not 07777");
    }
  }

  static void checkIds(long uid, long gid) {
    if (uid < 0 || uid > MAX_ID || gid < 0 || gid > MAX_ID) {
      throw new IllegalArgumentException("owner " + uid + ":" + gid + " is outside 0-" + MAX_ID);
    }
  }
}
