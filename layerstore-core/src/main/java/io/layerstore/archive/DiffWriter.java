package io.layerstore.archive;

import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import io.layerstore.spi.WhiteoutFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a layer directory as a layer tar, the way Docker's native diff does (spec 4.2): entries in
 * lexical order of their names (root left out, directories with a trailing {@code /}), whiteouts
 * turned back into {@code .wh.NAME} entries, an opaque directory followed by its {@code
 * .wh..wh..opq} marker, the second and later names of a hardlinked file as links to the first,
 * file-type bits in the mode field, mtimes cut to whole seconds.
 *
 * <p>Deliberate differences from Docker, whose bytes depend on the host anyway: user and group
 * names are left empty, and extended attributes are kept where the unpacker would apply them
 * ({@code user.*}, {@code security.capability}, POSIX ACLs) instead of only {@code
 * security.capability}. Sockets are skipped, as Docker skips them; bookkeeping of the whiteout
 * format and staging files of the in-process union never appear.
 */
public final class DiffWriter {
  private static final Logger LOG = LoggerFactory.getLogger(DiffWriter.class);
  /** Staging names of the in-process union's copy-up, visible only after a crash. */
  static final String COPYUP_PREFIX = ".layerstore-copyup-";

  private final Tree tree;
  private final WhiteoutFormat format;
  private final Map<Object, String> firstNameOfInode = new HashMap<>();
  private final byte[] buffer = new byte[128 * 1024];

  public DiffWriter(Tree tree, WhiteoutFormat format) {
    this.tree = tree;
    this.format = format;
  }

  /** Writes the whole tar (ending with two zero blocks) to {@code out}; returns its size. */
  public long write(OutputStream out) throws IOException {
    TarWriter tar = new TarWriter(out);
    walk(tar, tree.root(), "");
    tar.finish();
    return tar.bytesWritten();
  }

  private void walk(TarWriter tar, Path dir, String rel) throws IOException {
    for (Path p : sortedChildren(dir)) {
      String name = p.getFileName().toString();
      if (name.startsWith(COPYUP_PREFIX)) {
        continue;
      }
      String childRel = rel.isEmpty() ? name : rel + "/" + name;
      NodeStat st = tree.stat(p);
      WhiteoutFormat.Role role = format.role(name, st);
      if (role == WhiteoutFormat.Role.HIDDEN) {
        continue;
      }
      if (role == WhiteoutFormat.Role.WHITEOUT) {
        tar.putNextEntry(format.whiteoutHeader(rel, format.whitedOutName(name), st));
        continue;
      }
      switch (st.kind()) {
        case DIRECTORY:
          tar.putNextEntry(base(childRel + "/", TarHeader.DIRECTORY, st, p).build());
          if (format.isOpaque(tree, p)) {
            tar.putNextEntry(format.opaqueMarkerHeader(childRel, st));
          }
          walk(tar, p, childRel);
          break;
        case REGULAR:
          writeRegular(tar, p, childRel, st);
          break;
        case SYMLINK:
          tar.putNextEntry(base(childRel, TarHeader.SYMLINK, st, p)
              .linkName(Files.readSymbolicLink(p).toString()).build());
          break;
        case CHAR_DEVICE:
          tar.putNextEntry(base(childRel, TarHeader.CHAR_DEVICE, st, p).device(st.devMajor(), st.devMinor()).build());
          break;
        case BLOCK_DEVICE:
          tar.putNextEntry(base(childRel, TarHeader.BLOCK_DEVICE, st, p).device(st.devMajor(), st.devMinor()).build());
          break;
        case FIFO:
          tar.putNextEntry(base(childRel, TarHeader.FIFO, st, p).build());
          break;
        case SOCKET:
        default:
          LOG.debug("skipping socket {}", p);
      }
    }
  }

  private void writeRegular(TarWriter tar, Path p, String rel, NodeStat st) throws IOException {
    if (st.linkCount() > 1) {
      String first = firstNameOfInode.putIfAbsent(st.fileKey(), rel);
      if (first != null) {
        tar.putNextEntry(base(rel, TarHeader.HARDLINK, st, p).linkName(first).build());
        return;
      }
    }
    tar.putNextEntry(base(rel, TarHeader.REGULAR, st, p).size(st.size()).build());
    long left = st.size();
    try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          throw new IOException(p + " shrank while it was being written to a layer");
        }
        tar.write(buffer, 0, n);
        left -= n;
      }
    }
  }

  private TarHeader.Builder base(String name, byte type, NodeStat st, Path p) throws IOException {
    TarHeader.Builder b = TarHeader.builder(name, type)
        .mode(st.fullMode())
        .uid(st.uid())
        .gid(st.gid())
        .mtime(Instant.ofEpochSecond(st.mtime().toInstant().getEpochSecond()));
    if (type != TarHeader.SYMLINK) {
      for (Map.Entry<String, byte[]> x : tree.xattrs(p).entrySet()) {
        if (!format.isBookkeepingXattr(x.getKey()) && Unpacker.isApplicableXattr(x.getKey())) {
          b.xattr(x.getKey(), x.getValue());
        }
      }
    }
    return b;
  }

  /** Children sorted by the bytes of their names, as Go's filepath.Walk visits them. */
  static List<Path> sortedChildren(Path dir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      ds.forEach(out::add);
    }
    out.sort((a, b) -> compareBytes(a.getFileName().toString(), b.getFileName().toString()));
    return out;
  }

  static int compareBytes(String a, String b) {
    byte[] x = a.getBytes(StandardCharsets.UTF_8);
    byte[] y = b.getBytes(StandardCharsets.UTF_8);
    return java.util.Arrays.compareUnsigned(x, y);
  }
}
