package io.layerstore.union;

import io.layerstore.platform.NodeKind;
import io.layerstore.platform.NodeStat;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A node's attributes as the union shows them: everything from {@link NodeStat} of the winning
 * branch, so an emulated device node is a device here and numeric owners and setuid bits are what
 * the layer recorded. A tree keeps one time, so access, change and creation time all report the
 * modification time. A merged directory has {@code nlink} 1, as on overlayfs.
 */
final class NodeAttributes implements PosixFileAttributes {

  /** Identity of a node: hardlinks in one branch share it; a copy-up makes a new one. */
  record Key(int branch, Object backingKey) {}

  private static final Pattern INO = Pattern.compile("ino=(\\d+)");

  private final Node node;
  private final NodeStat stat;
  private final long dev;

  NodeAttributes(Node node, long dev) {
    this.node = node;
    this.stat = node.stat();
    this.dev = dev;
  }

  @Override
  public FileTime lastModifiedTime() {
    return stat.mtime();
  }

  @Override
  public FileTime lastAccessTime() {
    return stat.mtime();
  }

  @Override
  public FileTime creationTime() {
    return stat.mtime();
  }

  @Override
  public boolean isRegularFile() {
    return stat.kind() == NodeKind.REGULAR;
  }

  @Override
  public boolean isDirectory() {
    return stat.kind() == NodeKind.DIRECTORY;
  }

  @Override
  public boolean isSymbolicLink() {
    return stat.kind() == NodeKind.SYMLINK;
  }

  @Override
  public boolean isOther() {
    return !isRegularFile() && !isDirectory() && !isSymbolicLink();
  }

  @Override
  public long size() {
    return stat.size();
  }

  @Override
  public Object fileKey() {
    return new Key(node.top().branch(), stat.fileKey());
  }

  @Override
  public UserPrincipal owner() {
    return new NumericPrincipals.User(stat.uid());
  }

  @Override
  public GroupPrincipal group() {
    return new NumericPrincipals.Group(stat.gid());
  }

  @Override
  public Set<PosixFilePermission> permissions() {
    return Modes.permissions(stat.mode());
  }

  /** The inode number of the backing node (overlayfs without xino shows the real one too). */
  long ino() {
    Object key = stat.fileKey();
    if (key instanceof Number) {
      return ((Number) key).longValue();
    }
    Matcher matcher = INO.matcher(String.valueOf(key));
    if (matcher.find()) {
      return Long.parseLong(matcher.group(1));
    }
    return Integer.toUnsignedLong(key.hashCode());
  }

  int nlink() {
    return node.isDirectory() && node.isMerged() ? 1 : stat.linkCount();
  }

  long rdev() {
    return stat.kind().isDevice() ? Modes.makedev(stat.devMajor(), stat.devMinor()) : 0;
  }

  /**
   * Every attribute of {@code view} ({@code basic}, {@code owner}, {@code posix}, {@code unix}).
   */
  Map<String, Object> asMap(String view) {
    Map<String, Object> map = new LinkedHashMap<>();
    if (!view.equals("owner")) {
      map.put("lastModifiedTime", lastModifiedTime());
      map.put("lastAccessTime", lastAccessTime());
      map.put("creationTime", creationTime());
      map.put("size", size());
      map.put("isRegularFile", isRegularFile());
      map.put("isDirectory", isDirectory());
      map.put("isSymbolicLink", isSymbolicLink());
      map.put("isOther", isOther());
      map.put("fileKey", fileKey());
    }
    if (!view.equals("basic")) {
      map.put("owner", owner());
    }
    if (view.equals("posix") || view.equals("unix")) {
      map.put("permissions", permissions());
      map.put("group", group());
    }
    if (view.equals("unix")) {
      map.put("mode", stat.fullMode());
      map.put("ino", ino());
      map.put("dev", dev);
      map.put("rdev", rdev());
      map.put("nlink", nlink());
      map.put("uid", (int) stat.uid());
      map.put("gid", (int) stat.gid());
      map.put("ctime", stat.mtime());
    }
    return map;
  }
}
