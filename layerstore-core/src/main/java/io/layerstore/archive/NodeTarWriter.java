package io.layerstore.archive;

import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one file system node as a tar member the way Docker's tar appender does: file-type bits in
 * the mode field, mtime cut to whole seconds, directories named with a trailing {@code /}, the
 * second and later names of a hardlinked file as links to the first, sockets skipped. Shared by the
 * layer diff ({@link DiffWriter}) and the container export ({@link RootfsWriter}), which differ
 * only in which nodes they visit.
 *
 * <p>User and group names are left empty (Docker fills them from the daemon host's passwd, which
 * makes its bytes host-dependent anyway); extended attributes are kept where the unpacker would
 * apply them, never the whiteout format's bookkeeping.
 */
final class NodeTarWriter {
  private static final Logger LOG = LoggerFactory.getLogger(NodeTarWriter.class);

  private final TarWriter tar;
  private final WhiteoutFormat format;
  private final Map<Object, String> firstNameOfInode = new HashMap<>();
  private final byte[] buffer = new byte[128 * 1024];

  NodeTarWriter(TarWriter tar, WhiteoutFormat format) {
    this.tar = tar;
    this.format = format;
  }

  TarWriter tar() {
    return tar;
  }

  /**
   * Writes the node {@code p} of {@code tree} as {@code rel} (no leading or trailing slash).
   *
   * @return whether a member was written (false for a socket)
   */
  boolean write(Tree tree, Path p, String rel, NodeStat st) throws IOException {
    switch (st.kind()) {
      case DIRECTORY:
        tar.putNextEntry(base(tree, p, rel + "/", TarHeader.DIRECTORY, st).build());
        return true;
      case REGULAR:
        writeRegular(tree, p, rel, st);
        return true;
      case SYMLINK:
        tar.putNextEntry(
            base(tree, p, rel, TarHeader.SYMLINK, st)
                .linkName(Files.readSymbolicLink(p).toString())
                .build());
        return true;
      case CHAR_DEVICE:
        tar.putNextEntry(
            base(tree, p, rel, TarHeader.CHAR_DEVICE, st)
                .device(st.devMajor(), st.devMinor())
                .build());
        return true;
      case BLOCK_DEVICE:
        tar.putNextEntry(
            base(tree, p, rel, TarHeader.BLOCK_DEVICE, st)
                .device(st.devMajor(), st.devMinor())
                .build());
        return true;
      case FIFO:
        tar.putNextEntry(base(tree, p, rel, TarHeader.FIFO, st).build());
        return true;
      case SOCKET:
      default:
        LOG.debug("skipping socket {}", p);
        return false;
    }
  }

  private void writeRegular(Tree tree, Path p, String rel, NodeStat st) throws IOException {
    if (st.linkCount() > 1) {
      String first = firstNameOfInode.putIfAbsent(st.fileKey(), rel);
      if (first != null) {
        tar.putNextEntry(base(tree, p, rel, TarHeader.HARDLINK, st).linkName(first).build());
        return;
      }
    }
    tar.putNextEntry(base(tree, p, rel, TarHeader.REGULAR, st).size(st.size()).build());
    long left = st.size();
    try (InputStream in = Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS)) {
      while (left > 0) {
        int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
        if (n < 0) {
          throw new IOException(p + " shrank while it was being written to a tar");
        }
        tar.write(buffer, 0, n);
        left -= n;
      }
    }
  }

  private TarHeader.Builder base(Tree tree, Path p, String name, byte type, NodeStat st)
      throws IOException {
    TarHeader.Builder b =
        TarHeader.builder(name, type)
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
}
