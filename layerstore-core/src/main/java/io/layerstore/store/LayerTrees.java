package io.layerstore.store;

import io.layerstore.archive.AufsWhiteouts;
import io.layerstore.archive.LayerStack;
import io.layerstore.archive.OverlayWhiteouts;
import io.layerstore.archive.RootfsWriter;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarReader;
import io.layerstore.archive.UnpackOptions;
import io.layerstore.archive.Unpacker;
import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Platform;
import io.layerstore.platform.Tree;
import io.layerstore.spi.DriverPlatform;
import io.layerstore.spi.GraphDriver;
import io.layerstore.spi.LayerDir;
import io.layerstore.spi.MountCalls;
import io.layerstore.spi.WhiteoutStyle;
import io.layerstore.union.UnionFileSystem;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The store's platform as its driver sees it ({@link DriverPlatform}), and the one {@link Tree} per
 * layer directory that the store and the driver share: a driver names its layers' directories
 * ({@link GraphDriver#diff}) and its {@link WhiteoutStyle}; this makes the trees and whiteout
 * formats of core from those.
 *
 * <p>One Tree per diff dir, keyed by the directory: emulated trees keep records in memory and must
 * not be duplicated (two trees of one directory would each buffer their own records, and the one
 * flushed last would lose the other's). So the driver's mounts and the store's unpacking, saves and
 * container diffs all take their trees from here.
 */
public final class LayerTrees implements DriverPlatform {
  private final Platform platform;
  private final Path scratch;
  private final Optional<MountCalls> mountCalls;
  private final ConcurrentHashMap<Path, Tree> trees = new ConcurrentHashMap<>();

  /**
   * The trees of a store on {@code platform}; {@code scratch}, a directory in layerstore's state
   * (made when needed), holds the temporary tar of a {@link #copyUnion}.
   */
  public LayerTrees(Platform platform, Path scratch) {
    this.platform = Objects.requireNonNull(platform, "platform");
    this.scratch = Objects.requireNonNull(scratch, "scratch");
    this.mountCalls = platform.kernelMounts().map(PlatformMountCalls::new);
  }

  /** The platform the trees are made on. */
  public Platform platform() {
    return platform;
  }

  /** The tree of a layer directory, made on first use and shared from then on. */
  public Tree tree(LayerDir layer) {
    return trees.computeIfAbsent(layer.dir(), dir -> platform.tree(dir, layer.emulatedAttrs()));
  }

  /** The tree of {@code driver}'s layer {@code id} (which must exist). */
  public Tree diff(GraphDriver driver, String id) throws IOException {
    return tree(driver.diff(id));
  }

  /** Core's implementation of a whiteout style. */
  public static WhiteoutFormat whiteouts(WhiteoutStyle style) {
    return switch (style) {
      case OVERLAY -> new OverlayWhiteouts();
      case AUFS -> new AufsWhiteouts();
    };
  }

  /** How {@code driver}'s layer directories record deletions. */
  public static WhiteoutFormat whiteouts(GraphDriver driver) {
    return whiteouts(driver.whiteoutStyle());
  }

  // ---- DriverPlatform -------------------------------------------------------------------------

  @Override
  public boolean isNative() {
    return platform.isNative();
  }

  @Override
  public Optional<MountCalls> mountCalls() {
    return mountCalls;
  }

  @Override
  public void deleteRecursively(Path dir) throws IOException {
    platform.deleteRecursively(dir);
  }

  /** Through the layer's tree, so an emulated platform keeps the mode too. */
  @Override
  public void addEntry(LayerDir layer, String name, boolean directory, int mode)
      throws IOException {
    Tree tree = tree(layer);
    Path p = tree.root().resolve(name);
    if (tree.statIfExists(p) == null) {
      if (directory) {
        Files.createDirectory(p);
      } else {
        Files.createFile(p);
      }
      tree.setMode(p, mode);
      tree.flush();
    }
  }

  @Override
  public FileSystem openUnion(List<LayerDir> branches, WhiteoutStyle style, boolean writable)
      throws IOException {
    return UnionFileSystem.open(trees(branches), whiteouts(style), writable);
  }

  /**
   * The merged tree goes through a tar in the scratch directory (written by the same code a {@code
   * docker export} uses, read back by the unpacker), so the copy has exactly what the union shows;
   * the root directory's own owner, mode and mtime are set last.
   */
  @Override
  public void copyUnion(List<LayerDir> branches, WhiteoutStyle style, Path target)
      throws IOException {
    if (!platform.isNative()) {
      // an emulated tree keeps owners and devices in a sidecar no other program reads
      throw new IllegalStateException("copies of a union need a native platform");
    }
    WhiteoutFormat format = whiteouts(style);
    Files.createDirectories(scratch);
    Path tar = Files.createTempFile(scratch, "copy-", ".tar");
    try {
      LayerStack stack = new LayerStack(trees(branches), format);
      try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tar))) {
        new RootfsWriter(stack).write(out);
      }
      Tree tree = platform.tree(target, null);
      Unpacker unpacker = new Unpacker(tree, format, "copy at " + target, UnpackOptions.DEFAULTS);
      try (InputStream in = new BufferedInputStream(Files.newInputStream(tar), 1 << 16);
          TarReader r = new TarReader(in, "copy at " + target)) {
        TarHeader h;
        while ((h = r.next()) != null) {
          unpacker.apply(h, r.content());
        }
      }
      unpacker.finish();
      LayerStack.Dir top = stack.root();
      if (top != null) {
        NodeStat st = top.node().stat();
        tree.setOwner(target, st.uid(), st.gid());
        tree.setMode(target, st.mode());
        tree.setMtime(target, st.mtime());
      }
      platform.sync(target);
    } finally {
      Files.deleteIfExists(tar);
    }
  }

  @Override
  public void forget(LayerDir layer) {
    trees.remove(layer.dir());
  }

  @Override
  public void flush() throws IOException {
    IOException failure = null;
    for (Tree t : trees.values()) {
      try {
        t.flush();
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private List<Tree> trees(List<LayerDir> branches) {
    List<Tree> out = new ArrayList<>(branches.size());
    for (LayerDir b : branches) {
      out.add(tree(b));
    }
    return out;
  }
}
