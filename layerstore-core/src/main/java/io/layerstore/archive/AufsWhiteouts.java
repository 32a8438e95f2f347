package io.layerstore.archive;

import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * aufs's on-disk form, which is also the tar form: {@code .wh.NAME} hides NAME, {@code
 * .wh..wh..opq} makes its directory opaque, and other {@code .wh..wh.*} names are aufs's own
 * bookkeeping ({@code .wh..wh.plnk}, {@code .wh..wh.aufs}, {@code .wh..wh.orph}), never content.
 */
public final class AufsWhiteouts implements WhiteoutFormat {

  @Override
  public void applyWhiteout(Tree tree, Path dir, String name, TarHeader header) throws IOException {
    if (tree.statIfExists(dir.resolve(name)) != null) {
      throw new FileAlreadyExistsException(
          dir.resolve(name).toString(), null, "whiteout for an entry this layer already holds");
    }
    writeMarker(tree, dir.resolve(WH_PREFIX + name), header);
  }

  @Override
  public void applyOpaque(Tree tree, Path dir, TarHeader header) throws IOException {
    writeMarker(tree, dir.resolve(OPAQUE_MARKER), header);
  }

  private static void writeMarker(Tree tree, Path marker, TarHeader header) throws IOException {
    if (tree.statIfExists(marker) != null) {
      tree.delete(marker);
    }
    Files.createFile(marker);
    tree.setOwner(marker, header.uid(), header.gid());
    tree.setMode(marker, header.permissions());
    tree.setMtime(marker, java.nio.file.attribute.FileTime.from(header.mtime()));
  }

  @Override
  public Role role(String name, NodeStat stat) {
    if (name.startsWith(WH_META_PREFIX)) {
      return Role.HIDDEN;
    }
    if (name.startsWith(WH_PREFIX)) {
      return Role.WHITEOUT;
    }
    return Role.VISIBLE;
  }

  @Override
  public String whitedOutName(String name) {
    return name.substring(WH_PREFIX.length());
  }

  @Override
  public Path whiteoutPath(Path dir, String name) {
    return dir.resolve(WH_PREFIX + name);
  }

  @Override
  public boolean isOpaque(Tree tree, Path dir) throws IOException {
    return tree.statIfExists(dir.resolve(OPAQUE_MARKER)) != null;
  }

  @Override
  public void createWhiteout(Tree tree, Path dir, String name) throws IOException {
    Path marker = dir.resolve(WH_PREFIX + name);
    Files.createFile(marker);
    tree.setMode(marker, 0444);
  }

  @Override
  public void setOpaque(Tree tree, Path dir) throws IOException {
    Path marker = dir.resolve(OPAQUE_MARKER);
    if (tree.statIfExists(marker) == null) {
      Files.createFile(marker);
      tree.setMode(marker, 0444);
    }
  }

  @Override
  public TarHeader whiteoutHeader(String relDir, String hiddenName, NodeStat stat) {
    return TarHeader.builder(
            OverlayWhiteouts.join(relDir, WH_PREFIX + hiddenName), TarHeader.REGULAR)
        .mode(stat.mode())
        .uid(stat.uid())
        .gid(stat.gid())
        .mtime(OverlayWhiteouts.truncate(stat.mtime().toInstant()))
        .build();
  }

  @Override
  public TarHeader opaqueMarkerHeader(String relDir, NodeStat dirStat) {
    return TarHeader.builder(OverlayWhiteouts.join(relDir, OPAQUE_MARKER), TarHeader.REGULAR)
        .mode(dirStat.mode() & 0777)
        .uid(dirStat.uid())
        .gid(dirStat.gid())
        .mtime(java.time.Instant.EPOCH)
        .build();
  }

  @Override
  public boolean isBookkeepingXattr(String name) {
    return false;
  }
}
