package io.layerstore.archive;

import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a layer directory as a layer tar, the way Docker's native diff does
 * (docs/overlay2-layout.md §4.2): entries in lexical order of their names (root left out,
 * directories with a trailing {@code /}), whiteouts turned back into {@code .wh.NAME} entries, an
 * opaque directory followed by its {@code .wh..wh..opq} marker, the second and later names of a
 * hardlinked file as links to the first, file-type bits in the mode field, mtimes cut to whole
 * seconds.
 *
 * <p>Deliberate differences from Docker, whose bytes depend on the host anyway: user and group
 * names are left empty, and extended attributes are kept where the unpacker would apply them
 * ({@code user.*}, {@code security.capability}, POSIX ACLs) instead of only {@code
 * security.capability}. Sockets are skipped, as Docker skips them; bookkeeping of the whiteout
 * format and staging files of the in-process union never appear.
 */
public final class DiffWriter {
  /** Staging names of the in-process union's copy-up, visible only after a crash. */
  static final String COPYUP_PREFIX = ".layerstore-copyup-";

  private final Tree tree;
  private final WhiteoutFormat format;

  public DiffWriter(Tree tree, WhiteoutFormat format) {
    this.tree = tree;
    this.format = format;
  }

  /** Writes the whole tar (ending with two zero blocks) to {@code out}; returns its size. */
  public long write(OutputStream out) throws IOException {
    TarWriter tar = new TarWriter(out);
    walk(new NodeTarWriter(tar, format), tree.root(), "");
    tar.finish();
    return tar.bytesWritten();
  }

  private void walk(NodeTarWriter w, Path dir, String rel) throws IOException {
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
        w.tar().putNextEntry(format.whiteoutHeader(rel, format.whitedOutName(name), st));
        continue;
      }
      w.write(tree, p, childRel, st);
      if (st.isDirectory()) {
        if (format.isOpaque(tree, p)) {
          w.tar().putNextEntry(format.opaqueMarkerHeader(childRel, st));
        }
        walk(w, p, childRel);
      }
    }
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
