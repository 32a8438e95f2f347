package io.layerstore.testkit;

import io.layerstore.LayerStore;
import io.layerstore.archive.DiffWriter;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarReader;
import io.layerstore.archive.TreeDiff;
import io.layerstore.archive.UnpackOptions;
import io.layerstore.archive.Unpacker;
import io.layerstore.platform.Tree;
import io.layerstore.spi.GraphDriver;
import io.layerstore.store.LayerTrees;
import io.layerstore.store.StoreContext;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the store does with a driver's layer directories, for tests that work at the driver level:
 * graphtest's {@code ApplyDiff}, {@code Diff} and {@code Changes}, done with the generic pieces the
 * store uses ({@link Unpacker}, {@link DiffWriter}, {@link TreeDiff}) and the driver's whiteout
 * format. They work on the same view of the layer directories as the driver's own mounts (the
 * {@link LayerTrees} the driver was opened with), so an instance comes from the {@link
 * DriverSandbox} that opened the driver ({@link DriverSandbox#layerOps()}), which owns that view.
 */
public final class LayerOps {

  private final GraphDriver driver;
  private final LayerTrees trees;

  /** The operations on {@code driver}'s layers, through the view it was opened with. */
  LayerOps(GraphDriver driver, LayerTrees trees) {
    this.driver = driver;
    this.trees = trees;
  }

  /**
   * The driver these operations work on.
   *
   * @return the driver the sandbox opened
   */
  public GraphDriver driver() {
    return driver;
  }

  /**
   * The tree of a store's layer {@code id} (a driver cache id): the store's own view of it, shared
   * with its driver's mounts, so what a test writes through it the store sees. That view is
   * internal to the store and no API reaches it; the kit reads it reflectively (core opens {@code
   * io.layerstore} to the kit for this alone).
   *
   * @param store an open store
   * @param id the layer's driver cache id
   * @return the store's tree of the layer's own directory
   * @throws IOException if the driver does not know the layer
   */
  public static Tree tree(LayerStore store, String id) throws IOException {
    return storeContext(store).tree(id);
  }

  private static StoreContext storeContext(LayerStore store) {
    try {
      java.lang.reflect.Field f = LayerStore.class.getDeclaredField("store");
      f.setAccessible(true);
      return (StoreContext) f.get(store);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(
          "LayerStore no longer holds its StoreContext as \"store\"", e);
    }
  }

  /**
   * The tree of {@code id}'s own directory with its platform metadata: the one the driver's
   * in-process mounts use (on jimfs, modes and owners live in its records).
   *
   * @param id the layer's driver id
   * @return the tree
   * @throws IOException if the driver does not know the layer
   */
  public Tree tree(String id) throws IOException {
    return trees.diff(driver, id);
  }

  /**
   * Applies a layer tar to {@code id}'s own directory, as the store unpacks a loaded layer (default
   * unpack options: {@link io.layerstore.DevicePolicy#STANDARD}).
   *
   * @param id the driver id of the layer to write into
   * @param tar the whole layer tar, uncompressed
   * @return the size the store would record for the layer, in bytes
   * @throws io.layerstore.InvalidArchiveException if the tar cannot be applied (unsafe entry,
   *     refused device)
   * @throws IOException if the layer's directory cannot be written
   */
  public long apply(String id, byte[] tar) throws IOException {
    Unpacker u =
        new Unpacker(
            tree(id), LayerTrees.whiteouts(driver), "layer tar for " + id, UnpackOptions.DEFAULTS);
    try (TarReader r = new TarReader(new ByteArrayInputStream(tar), "layer tar for " + id)) {
      TarHeader h;
      while ((h = r.next()) != null) {
        u.apply(h, r.content());
      }
    }
    return u.finish();
  }

  /**
   * The layer tar of {@code id}'s own directory (its changes against its parent), as the store
   * writes it for a commit.
   *
   * @param id the layer's driver id
   * @return the tar, uncompressed
   * @throws IOException if the layer's directory cannot be read
   */
  public byte[] diff(String id) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new DiffWriter(tree(id), LayerTrees.whiteouts(driver)).write(out);
    return out.toByteArray();
  }

  /**
   * {@code docker diff} of {@code id} against its ancestors.
   *
   * @param id the layer's driver id
   * @return the changes, sorted by path
   * @throws IOException if a layer's directory cannot be read
   */
  public List<TreeDiff.Entry> changes(String id) throws IOException {
    List<Tree> lowers = new ArrayList<>();
    for (String p : driver.parents(id)) {
      lowers.add(tree(p));
    }
    return new TreeDiff(tree(id), lowers, LayerTrees.whiteouts(driver)).list();
  }
}
