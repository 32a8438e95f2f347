package io.layerstore.union;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.platform.Platform;
import io.layerstore.platform.Tree;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A jimfs file system holding layer directories with emulated trees, the way a store on jimfs keeps
 * them: {@code /layers/<name>/diff} plus a sidecar record file beside it.
 */
final class JimfsLayers implements Closeable {

  private final FileSystem jimfs =
      Jimfs.newFileSystem(
          Configuration.unix().toBuilder()
              .setAttributeViews("basic", "owner", "posix", "unix", "user")
              .build());
  private final WhiteoutFormat format;

  JimfsLayers(WhiteoutFormat format) {
    this.format = format;
  }

  WhiteoutFormat format() {
    return format;
  }

  Path diff(String name) {
    return jimfs.getPath("/layers", name, "diff");
  }

  /** The emulated tree of layer {@code name}, created empty if new; a fresh instance each call. */
  Tree tree(String name) throws IOException {
    Path diff = diff(name);
    Files.createDirectories(diff);
    return Platform.emulated().tree(diff, diff.resolveSibling("records"));
  }

  LayerWriter writer(String name) throws IOException {
    return new LayerWriter(tree(name), format);
  }

  /** The scenario's three image layers, topmost first. */
  List<Tree> scenario() throws IOException {
    LayerWriter base = writer("l1");
    Scenario.base(base);
    LayerWriter middle = writer("l2");
    Scenario.middle(middle);
    LayerWriter top = writer("l3");
    Scenario.top(top);
    return List.of(top.tree(), middle.tree(), base.tree());
  }

  /** A writable union of a fresh upper layer over {@code lowers}. */
  FileSystem writable(Tree upper, List<Tree> lowers) {
    List<Tree> branches = new ArrayList<>();
    branches.add(upper);
    branches.addAll(lowers);
    return UnionFileSystem.open(branches, format, true);
  }

  @Override
  public void close() throws IOException {
    jimfs.close();
  }
}
