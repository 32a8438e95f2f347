package io.layerstore.testkit;

import io.layerstore.archive.DiffWriter;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarReader;
import io.layerstore.archive.TreeDiff;
import io.layerstore.archive.UnpackOptions;
import io.layerstore.archive.Unpacker;
import io.layerstore.platform.Tree;
import io.layerstore.spi.GraphDriver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * What the store does with a driver's layer directories, for tests that work at the driver level:
 * graphtest's {@code ApplyDiff}, {@code Diff} and {@code Changes}, done with the generic pieces the
 * store uses ({@link Unpacker}, {@link DiffWriter}, {@link TreeDiff}) and the driver's whiteout
 * format.
 */
public final class LayerOps {

  private LayerOps() {}

  /**
   * Applies a layer tar to {@code id}'s own directory, as the store unpacks a loaded layer (default
   * unpack options: {@link io.layerstore.DevicePolicy#STANDARD}).
   *
   * @param driver the driver that has layer {@code id}
   * @param id the driver id of the layer to write into
   * @param tar the whole layer tar, uncompressed
   * @return the size the store would record for the layer, in bytes
   * @throws io.layerstore.InvalidArchiveException if the tar cannot be applied (unsafe entry,
   *     refused device)
   * @throws IOException if the layer's directory cannot be written
   */
  public static long apply(GraphDriver driver, String id, byte[] tar) throws IOException {
    Unpacker u =
        new Unpacker(
            driver.diff(id), driver.whiteouts(), "layer tar for " + id, UnpackOptions.DEFAULTS);
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
   * @param driver the driver that has layer {@code id}
   * @param id the layer's driver id
   * @return the tar, uncompressed
   * @throws IOException if the layer's directory cannot be read
   */
  public static byte[] diff(GraphDriver driver, String id) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new DiffWriter(driver.diff(id), driver.whiteouts()).write(out);
    return out.toByteArray();
  }

  /**
   * {@code docker diff} of {@code id} against its ancestors.
   *
   * @param driver the driver that has layer {@code id}
   * @param id the layer's driver id
   * @return the changes, sorted by path
   * @throws IOException if a layer's directory cannot be read
   */
  public static List<TreeDiff.Entry> changes(GraphDriver driver, String id) throws IOException {
    List<Tree> lowers = new ArrayList<>();
    for (String p : driver.parents(id)) {
      lowers.add(driver.diff(p));
    }
    return new TreeDiff(driver.diff(id), lowers, driver.whiteouts()).list();
  }
}
