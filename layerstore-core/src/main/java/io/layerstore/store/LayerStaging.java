package io.layerstore.store;

import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.DigestMismatchException;
import io.layerstore.archive.Compression;
import io.layerstore.archive.LayerReader;
import io.layerstore.archive.LowerLayers;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.UnpackOptions;
import io.layerstore.archive.Unpacker;
import io.layerstore.spi.GraphDriver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns layer tarballs into registered layers in two steps, so that nothing is visible until a
 * whole image is known to be good:
 *
 * <ol>
 *   <li>{@link #stage}: one streaming pass over the (compressed) tarball — decompress, hash, record
 *       tar-split, extract into a new driver directory — into a write-set under {@code
 *       layerdb/tmp}. Invisible to readers.
 *   <li>publish: a {@link Change} lists the write-sets; applying it under the store lock renames
 *       them into {@code layerdb/sha256/}, base first ({@link #syncForPublish} first, {@link
 *       #handedOver} once the change is recorded).
 * </ol>
 *
 * {@link #discard} undoes a stage completely (driver directory and write-set).
 */
public final class LayerStaging {
  private static final Logger LOG = LoggerFactory.getLogger(LayerStaging.class);

  /** A layer extracted but not yet visible. */
  public static final class Staged {
    private final LayerDb.WriteSet set;
    private final String cacheId;
    private final ChainId parent;
    private ChainId chainId;
    private DiffId diffId;
    private long size;
    private boolean done;

    Staged(LayerDb.WriteSet set, String cacheId, ChainId parent) {
      this.set = set;
      this.cacheId = cacheId;
      this.parent = parent;
    }

    public ChainId chainId() {
      return chainId;
    }

    public DiffId diffId() {
      return diffId;
    }

    public String cacheId() {
      return cacheId;
    }

    public long size() {
      return size;
    }

    /** The staging directory's name, as a {@link Change} records it. */
    public String writeSetName() {
      return set.name();
    }

    /** This layer as the change that publishes it records it. */
    public Change.NewLayer toChange() {
      return new Change.NewLayer(set.name(), chainId, cacheId);
    }
  }

  /** Where a new layer goes: on top of an existing (or staged) layer, or as a base. */
  public record Parent(ChainId chainId, String cacheId) {
    public static final Parent NONE = new Parent(null, null);
  }

  private final LayerDb layerDb;
  private final GraphDriver driver;
  private final AtomicFiles files;
  private final StoreLocks locks;
  private final io.layerstore.platform.Platform platform;
  private final UnpackOptions unpackOptions;
  private final long maxLayerBytes;
  private final long maxImageBytes;

  /**
   * @param maxLayerBytes most uncompressed bytes one layer may have
   * @param maxImageBytes most uncompressed bytes the layers read for one image may have together
   */
  public LayerStaging(LayerDb layerDb, GraphDriver driver, AtomicFiles files, StoreLocks locks,
      io.layerstore.platform.Platform platform, UnpackOptions unpackOptions, long maxLayerBytes, long maxImageBytes) {
    this.layerDb = layerDb;
    this.driver = driver;
    this.files = files;
    this.locks = locks;
    this.platform = platform;
    this.unpackOptions = unpackOptions;
    this.maxLayerBytes = maxLayerBytes;
    this.maxImageBytes = maxImageBytes;
  }

  /**
   * What is left of one image's allowance of uncompressed bytes: a decompression bomb spread over
   * many layers, each under the per-layer limit, still stops here.
   */
  public static final class ImageBudget {
    private final long limit;
    private long remaining;

    ImageBudget(long limit) {
      this.limit = limit;
      this.remaining = limit;
    }

    public long remaining() {
      return remaining;
    }
  }

  /** A fresh allowance for one image. */
  public ImageBudget newImageBudget() {
    return new ImageBudget(maxImageBytes);
  }

  /** A new random driver id, Docker's way: 64 hex, not starting with 12 decimal digits. */
  public String newCacheId() {
    while (true) {
      String id = files.randomHex(32);
      if (!id.substring(0, 12).chars().allMatch(Character::isDigit)) {
        return id;
      }
    }
  }

  /**
   * Extracts one layer tarball (plain, gzip, zstd or bzip2, detected by its magic bytes) in one
   * pass. If {@code expected} is given and the tar hashes to something else, the layer is discarded
   * and a {@link DigestMismatchException} names both.
   */
  public Staged stage(InputStream tarball, String source, Parent parent, DiffId expected) throws IOException {
    return stage(tarball, source, parent, expected, newImageBudget());
  }

  /**
   * Like {@link #stage(InputStream, String, Parent, DiffId)}, counting the layer's uncompressed
   * bytes against {@code budget} (shared by the layers of one image).
   */
  public Staged stage(InputStream tarball, String source, Parent parent, DiffId expected, ImageBudget budget)
      throws IOException {
    long limit = maxLayerBytes;
    String limitReason = null;
    if (budget.remaining < limit) {
      limit = budget.remaining;
      limitReason = "the image's uncompressed layers exceed the per-image limit of " + budget.limit
          + " bytes (a decompression bomb?)";
    }
    String cacheId = newCacheId();
    LayerDb.WriteSet set = layerDb.newWriteSet(locks);
    Staged staged = new Staged(set, cacheId, parent.chainId());
    try {
      set.writeCacheId(cacheId);
      driver.create(cacheId, parent.cacheId());
      LayerReader.Result result;
      long size;
      try (InputStream plain = Compression.decompress(tarball, source);
          OutputStream tarSplit = set.tarSplitOutput();
          LowerView lowers = new LowerView(driver, parent.cacheId())) {
        LayerReader reader = new LayerReader(plain, source, tarSplit, limit, limitReason);
        Unpacker unpacker = new Unpacker(driver.diff(cacheId), driver.whiteouts(), source, unpackOptions,
            parent.cacheId() == null ? LowerLayers.NONE : lowers);
        TarHeader h;
        while ((h = reader.next()) != null) {
          unpacker.apply(h, reader.content());
        }
        result = reader.finish();
        size = unpacker.finish();
      }
      DiffId diffId = result.diffId();
      if (expected != null && !expected.equals(diffId)) {
        throw new DigestMismatchException(expected, diffId, source);
      }
      staged.diffId = diffId;
      staged.chainId = ChainId.of(parent.chainId(), diffId);
      staged.size = size;
      budget.remaining -= result.tarSize();
      set.writeDiffId(diffId);
      set.writeSize(size);
      set.writeParent(parent.chainId());
      return staged;
    } catch (IOException | RuntimeException | Error e) {
      try {
        discard(staged);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * Makes the staged layers' content durable (when the store is durable), before a change makes
   * them visible: after a power loss a published layer must still have all its bytes.
   */
  public void syncForPublish(List<Staged> layers) throws IOException {
    if (!files.durable() || layers.isEmpty()) {
      return;
    }
    for (Staged s : layers) {
      platform.sync(driver.diff(s.cacheId).root());
      if (platform.isNative()) {
        break; // one syncfs covers the whole file system
      }
    }
  }

  /**
   * The staged layers now belong to a recorded change (which publishes them, or is finished by
   * whoever finds it after a crash): they are no longer this stager's to discard. Drops the
   * claims on their staging directories.
   */
  public void handedOver(List<Staged> layers) {
    for (Staged s : layers) {
      s.done = true;
      try {
        s.set.release();
      } catch (IOException e) {
        LOG.warn("could not drop the claim on {}: {}", s.set.name(), e.toString());
      }
    }
  }

  /** Removes everything a stage made; safe to call twice. */
  public void discard(Staged s) throws IOException {
    if (s.done) {
      return;
    }
    s.done = true;
    IOException failure = null;
    try {
      if (driver.exists(s.cacheId)) {
        driver.remove(s.cacheId);
      }
    } catch (IOException e) {
      failure = e;
    }
    try {
      s.set.discard();
    } catch (IOException e) {
      if (failure == null) {
        failure = e;
      } else {
        failure.addSuppressed(e);
      }
    }
    try {
      s.set.release();
    } catch (IOException e) {
      LOG.warn("could not drop the claim on {}: {}", s.set.name(), e.toString());
    }
    if (failure != null) {
      LOG.warn("could not fully discard staged layer {}: {}", s.cacheId, failure.toString());
      throw failure;
    }
  }

  /** Discards every staged layer in reverse order, collecting failures into {@code primary}. */
  public void discardAll(List<Staged> staged, Throwable primary) {
    for (int i = staged.size() - 1; i >= 0; i--) {
      try {
        discard(staged.get(i));
      } catch (IOException e) {
        primary.addSuppressed(e);
      }
    }
  }
}
