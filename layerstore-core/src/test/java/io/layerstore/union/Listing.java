package io.layerstore.union;

import io.layerstore.platform.NodeKind;
import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One line per node of a file tree: path, type, mode, owner, size, content hash, symlink target,
 * device number. Made with the public NIO API only, so the same code lists a kernel overlay mount
 * on the default file system and a union file system; equal listings mean the same visible tree.
 */
final class Listing {
  private Listing() {}

  /** The xattrs a mounted kernel adds to upper dirs on its own; not layer content. */
  static final Set<String> KERNEL_BOOKKEEPING =
      Set.of("trusted.overlay.origin", "trusted.overlay.impure", "trusted.overlay.uuid");

  /** The merged view under {@code root}, via NIO (the {@code unix} view). */
  static List<String> of(Path root) throws IOException {
    List<String> lines = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
        Map<String, Object> a = Files.readAttributes(p, "unix:*", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) a.get("mode");
        NodeKind kind = NodeKind.fromMode(mode);
        StringBuilder line = new StringBuilder();
        line.append('/').append(root.relativize(p)).append(' ').append(kind);
        line.append(String.format(" %04o %s:%s", mode & 07777, a.get("uid"), a.get("gid")));
        if (kind != NodeKind.DIRECTORY) {
          line.append(" size=").append(a.get("size"));
        }
        if (kind == NodeKind.REGULAR) {
          line.append(" sha256=").append(sha256(p));
        }
        if (kind == NodeKind.SYMLINK) {
          line.append(" -> ").append(Files.readSymbolicLink(p));
        }
        if (kind.isDevice()) {
          line.append(" rdev=").append(a.get("rdev"));
        }
        lines.add(line.toString());
      }
    }
    return lines;
  }

  /**
   * A branch's raw content through its {@link Tree}: whiteouts show as what they are on disk,
   * xattrs (but {@link #KERNEL_BOOKKEEPING}) are listed.
   */
  static List<String> raw(Tree tree) throws IOException {
    List<String> lines = new ArrayList<>();
    Path root = tree.root();
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
        NodeStat st = tree.stat(p);
        StringBuilder line = new StringBuilder();
        line.append('/').append(root.relativize(p)).append(' ').append(st.kind());
        line.append(String.format(" %04o %d:%d", st.mode(), st.uid(), st.gid()));
        if (st.kind() == NodeKind.REGULAR || st.kind() == NodeKind.SYMLINK) {
          line.append(" size=").append(st.size());
        }
        if (st.kind() == NodeKind.REGULAR) {
          line.append(" sha256=").append(sha256(p));
        }
        if (st.kind() == NodeKind.SYMLINK) {
          line.append(" -> ").append(Files.readSymbolicLink(p));
        }
        if (st.kind().isDevice()) {
          line.append(" dev=").append(st.devMajor()).append(',').append(st.devMinor());
        }
        Map<String, byte[]> xattrs = new TreeMap<>(tree.xattrs(p));
        xattrs.keySet().removeAll(KERNEL_BOOKKEEPING);
        for (Map.Entry<String, byte[]> x : xattrs.entrySet()) {
          line.append(' ')
              .append(x.getKey())
              .append('=')
              .append(HexFormat.of().formatHex(x.getValue()));
        }
        lines.add(line.toString());
      }
    }
    return lines;
  }

  static String sha256(Path p) throws IOException {
    try (InputStream in = Files.newInputStream(p)) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[8192];
      for (int n; (n = in.read(buffer)) > 0; ) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
