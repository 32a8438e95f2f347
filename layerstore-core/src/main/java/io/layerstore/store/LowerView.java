package io.layerstore.store;

import io.layerstore.archive.LowerLayers;
import io.layerstore.platform.Tree;
import io.layerstore.spi.GraphDriver;
import io.layerstore.union.UnionFileSystem;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * The layers below a layer being staged, seen through a read-only in-process union of their diff
 * directories (whiteouts and opaque directories applied), so that a lookup answers what the image
 * would show there. Opened only when the unpacker first asks, which for layers made by Docker
 * (every parent directory has its own entry) is rare.
 */
final class LowerView implements LowerLayers, Closeable {

  private final GraphDriver driver;
  private final LayerTrees trees;
  private final String parentCacheId;
  private FileSystem union;

  LowerView(GraphDriver driver, LayerTrees trees, String parentCacheId) {
    this.driver = driver;
    this.trees = trees;
    this.parentCacheId = parentCacheId;
  }

  @Override
  public Kind kind(String rel) throws IOException {
    Path p = union().getPath("/");
    String[] parts = rel.split("/");
    for (int i = 0; i < parts.length; i++) {
      p = p.resolve(parts[i]);
      BasicFileAttributes a;
      try {
        a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (NoSuchFileException e) {
        return Kind.ABSENT;
      }
      if (i < parts.length - 1) {
        if (!a.isDirectory()) {
          return Kind.ABSENT;
        }
        continue;
      }
      if (a.isSymbolicLink()) {
        return Kind.SYMLINK;
      }
      return a.isDirectory() ? Kind.DIRECTORY : Kind.OTHER;
    }
    return Kind.DIRECTORY;
  }

  private FileSystem union() throws IOException {
    if (union == null) {
      List<Tree> branches = new ArrayList<>();
      branches.add(trees.diff(driver, parentCacheId));
      for (String id : driver.parents(parentCacheId)) {
        branches.add(trees.diff(driver, id));
      }
      union = UnionFileSystem.open(branches, LayerTrees.whiteouts(driver), false);
    }
    return union;
  }

  @Override
  public void close() throws IOException {
    if (union != null) {
      union.close();
    }
  }
}
