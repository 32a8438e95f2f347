package io.layerstore.archive;

import io.layerstore.platform.NodeKind;
import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;

/**
 * overlayfs's on-disk form: a whiteout is a char device 0:0 with mode 0000 named like the entry it
 * hides; an opaque directory carries {@code trusted.overlay.opaque=y}. Converted from and to the
 * tar form the way Docker's overlay2 native diff does (docs/overlay2-layout.md §4.1, §4.2).
 */
public final class OverlayWhiteouts implements WhiteoutFormat {

  /** The xattr that marks an opaque directory. */
  public static final String OPAQUE_XATTR = "trusted.overlay.opaque";

  private static final byte[] YES = "y".getBytes(StandardCharsets.US_ASCII);

  @Override
  public void applyWhiteout(Tree tree, Path dir, String name, TarHeader header) throws IOException {
    Path target = dir.resolve(name);
    if (tree.statIfExists(target) != null) {
      throw new FileAlreadyExistsException(
          target.toString(), null, "whiteout for an entry this layer already holds");
    }
    tree.makeNode(target, NodeKind.CHAR_DEVICE, 0, 0, 0);
    tree.setOwner(target, header.uid(), header.gid());
  }

  @Override
  public void applyOpaque(Tree tree, Path dir, TarHeader header) throws IOException {
    tree.setXattr(dir, OPAQUE_XATTR, YES);
  }

  @Override
  public Role role(String name, NodeStat stat) {
    return stat.isOverlayWhiteout() ? Role.WHITEOUT : Role.VISIBLE;
  }

  @Override
  public String whitedOutName(String name) {
    return name;
  }

  @Override
  public Path whiteoutPath(Path dir, String name) {
    return dir.resolve(name);
  }

  @Override
  public boolean isOpaque(Tree tree, Path dir) throws IOException {
    return Arrays.equals(YES, tree.getXattr(dir, OPAQUE_XATTR));
  }

  @Override
  public void createWhiteout(Tree tree, Path dir, String name) throws IOException {
    tree.makeNode(dir.resolve(name), NodeKind.CHAR_DEVICE, 0, 0, 0);
  }

  @Override
  public void setOpaque(Tree tree, Path dir) throws IOException {
    tree.setXattr(dir, OPAQUE_XATTR, YES);
  }

  @Override
  public TarHeader whiteoutHeader(String relDir, String hiddenName, NodeStat stat) {
    return TarHeader.builder(join(relDir, WH_PREFIX + hiddenName), TarHeader.REGULAR)
        .mode(0600)
        .uid(stat.uid())
        .gid(stat.gid())
        .mtime(truncate(stat.mtime().toInstant()))
        .build();
  }

  @Override
  public TarHeader opaqueMarkerHeader(String relDir, NodeStat dirStat) {
    // Docker: mode = the directory's permission bits, owner of the dir, mtime 0.
    return TarHeader.builder(join(relDir, OPAQUE_MARKER), TarHeader.REGULAR)
        .mode(dirStat.mode() & 0777)
        .uid(dirStat.uid())
        .gid(dirStat.gid())
        .mtime(Instant.EPOCH)
        .build();
  }

  @Override
  public boolean isBookkeepingXattr(String name) {
    return name.startsWith("trusted.overlay.");
  }

  static String join(String relDir, String name) {
    return relDir.isEmpty() ? name : relDir + "/" + name;
  }

  static Instant truncate(Instant t) {
    return Instant.ofEpochSecond(t.getEpochSecond());
  }
}
