package io.layerstore.store;

import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.DigestMismatchException;
import io.layerstore.InvalidArchiveException;
import io.layerstore.UnsafePathException;
import io.layerstore.archive.Compression;
import io.layerstore.archive.LayerReader;
import io.layerstore.archive.LowerLayers;
import io.layerstore.archive.ReadAhead;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.UnpackOptions;
import io.layerstore.archive.Unpacker;
import io.layerstore.spi.GraphDriver;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
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
 *   <li>publish: a {@link Transaction} lists the write-sets; applying it under the store lock
 *       renames them into {@code layerdb/sha256/}, base first ({@link #syncForPublish} first,
 *       {@link #handedOver} once the change is recorded).
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
    private String parentCacheId;
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

    /** This layer as the transaction that publishes it records it. */
    public Transaction.NewLayer toNewLayer() {
      return new Transaction.NewLayer(set.name(), chainId, cacheId);
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
  private final LayerTrees trees;
  private final UnpackOptions unpackOptions;
  private final long maxLayerBytes;
  private final long maxImageBytes;

  /** Whether an early writeback ({@link #startWriteback}) is running. */
  private final AtomicBoolean writingBack = new AtomicBoolean();

  /**
   * @param maxLayerBytes most uncompressed bytes one layer may have
   * @param maxImageBytes most uncompressed bytes the layers read for one image may have together
   */
  public LayerStaging(
      LayerDb layerDb,
      GraphDriver driver,
      AtomicFiles files,
      StoreLocks locks,
      LayerTrees trees,
      UnpackOptions unpackOptions,
      long maxLayerBytes,
      long maxImageBytes) {
    this.layerDb = layerDb;
    this.driver = driver;
    this.files = files;
    this.locks = locks;
    this.trees = trees;
    this.platform = trees.platform();
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
    private final AtomicLong used = new AtomicLong();

    ImageBudget(long limit) {
      this.limit = limit;
    }

    public long remaining() {
      return Math.max(0, limit - used.get());
    }

    /** Counts {@code n} more bytes; fails once the image's layers together pass the limit. */
    void spend(long n, String source) throws InvalidArchiveException {
      if (used.addAndGet(n) > limit) {
        throw new InvalidArchiveException(
            source,
            null,
            "the image's uncompressed layers exceed the per-image limit of "
                + limit
                + " bytes (a decompression bomb?)");
      }
    }
  }

  /** Counts the uncompressed bytes of one layer against its image's budget as they are read. */
  private static final class Budgeted extends FilterInputStream {
    private final ImageBudget budget;
    private final String source;

    Budgeted(InputStream in, ImageBudget budget, String source) {
      super(in);
      this.budget = budget;
      this.source = source;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      if (b >= 0) {
        budget.spend(1, source);
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        budget.spend(n, source);
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long k = in.skip(n);
      if (k > 0) {
        budget.spend(k, source);
      }
      return k;
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
  public Staged stage(InputStream tarball, String source, Parent parent, DiffId expected)
      throws IOException {
    return stage(tarball, source, parent, expected, newImageBudget());
  }

  /**
   * Like {@link #stage(InputStream, String, Parent, DiffId)}, counting the layer's uncompressed
   * bytes against {@code budget} (shared by the layers of one image).
   */
  public Staged stage(
      InputStream tarball, String source, Parent parent, DiffId expected, ImageBudget budget)
      throws IOException {
    Staged staged = prepare(parent);
    try {
      extract(staged, tarball, source, expected, budget, null);
      return staged;
    } catch (IOException | RuntimeException | Error e) {
      discardAfter(staged, e);
      throw e;
    }
  }

  /** Writes a layer's tar, for {@link #stage(TarProducer, String, Parent)}. */
  @FunctionalInterface
  public interface TarProducer {
    /**
     * Writes the whole tar to {@code out}; the caller closes {@code out}.
     *
     * @throws IOException if a source cannot be read (that failure is the one the stage reports)
     */
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Stages a layer whose tar {@code producer} writes (a commit's diff, a build's entries), in one
   * pass: the producer runs on a thread of its own while this thread reads the tar as it reads a
   * loaded one. A failure of the producer's own wins over the truncated tar it leaves the reader;
   * nothing stays staged after either.
   */
  public Staged stage(TarProducer producer, String source, Parent parent) throws IOException {
    return TarPipe.run(
        producer, tar -> stage(tar, source, parent, null), this::discardAfter, source);
  }

  /** Discards {@code staged} after {@code failure}; a failure to discard is added to it. */
  private void discardAfter(Staged staged, Throwable failure) {
    try {
      discard(staged);
    } catch (IOException suppressed) {
      failure.addSuppressed(suppressed);
    }
  }

  /**
   * First half of {@link #stage}: makes the driver directory and the write-set of a new layer on
   * {@code parent}, without content. Layers of one chain are prepared in chain order; their content
   * can then be extracted in any order, in parallel. The caller discards on failure.
   */
  public Staged prepare(Parent parent) throws IOException {
    String cacheId = newCacheId();
    LayerDb.WriteSet set = layerDb.newWriteSet(locks);
    Staged staged = new Staged(set, cacheId, parent.chainId());
    staged.parentCacheId = parent.cacheId();
    try {
      set.writeCacheId(cacheId);
      driver.create(cacheId, parent.cacheId());
      return staged;
    } catch (IOException | RuntimeException | Error e) {
      discardAfter(staged, e);
      throw e;
    }
  }

  /**
   * Second half of {@link #stage}: one pass over the (compressed) tarball into a prepared layer —
   * decompress, count against the image's budget, hash, record tar-split, unpack. With {@code
   * deferredLowers} the unpacker does not look at the lower layers (which may still be being
   * extracted by another thread) but records what it would have asked; {@link #checkDeferredLowers}
   * answers it once every layer is complete. Does not discard on failure.
   */
  public void extract(
      Staged staged,
      InputStream tarball,
      String source,
      DiffId expected,
      ImageBudget budget,
      DeferredLowers deferredLowers)
      throws IOException {
    LayerReader.Result result;
    long size;
    // Inflating runs a few chunks ahead on its own thread, overlapping this thread's file writes.
    // A layer that is not compressed (docker save's) leaves that thread nothing but reading, so it
    // computes the diffID too, off this thread, which parses, records tar-split and makes files.
    Compression.Opened tar = Compression.open(tarball, source);
    try (ReadAhead ahead =
            new ReadAhead(tar.stream(), source, tar.compression() == Compression.NONE);
        InputStream plain = new Budgeted(ahead, budget, source);
        OutputStream tarSplit = staged.set.tarSplitOutput();
        LowerView lowers = new LowerView(driver, trees, staged.parentCacheId)) {
      LayerReader reader =
          new LayerReader(
              plain, source, tarSplit, maxLayerBytes, null, ahead.hashes() ? ahead : null);
      LowerLayers lowerLayers =
          staged.parentCacheId == null
              ? LowerLayers.NONE
              : deferredLowers != null ? deferredLowers : lowers;
      // Small files are written by the unpacker's own threads while this one reads, hashes and
      // records the next members: the kernel's cost per inode is most of a load's time, and the
      // layers of an image are seldom as many as the cores (one big layer is the usual case).
      try (Unpacker unpacker =
          new Unpacker(
                  trees.diff(driver, staged.cacheId),
                  LayerTrees.whiteouts(driver),
                  source,
                  unpackOptions,
                  lowerLayers)
              .writeFilesInParallel(Runtime.getRuntime().availableProcessors())) {
        TarHeader h;
        while ((h = reader.next()) != null) {
          unpacker.apply(h, reader.content());
        }
        result = reader.finish();
        size = unpacker.finish();
      }
    }
    DiffId diffId = result.diffId();
    if (expected != null && !expected.equals(diffId)) {
      throw new DigestMismatchException(expected, diffId, source);
    }
    staged.diffId = diffId;
    staged.chainId = ChainId.of(staged.parent, diffId);
    staged.size = size;
    staged.set.writeDiffId(diffId);
    staged.set.writeSize(size);
    staged.set.writeParent(staged.parent);
    startWriteback(staged);
  }

  /**
   * What an unpacker working in parallel would have asked the lower layers: the implicit parent
   * directories it made. Answered "absent" during extraction, checked afterwards.
   */
  public static final class DeferredLowers implements LowerLayers {
    private final Map<String, String> asked = new LinkedHashMap<>();
    private final String source;

    public DeferredLowers(String source) {
      this.source = source;
    }

    @Override
    public Kind kind(String rel) {
      return Kind.ABSENT;
    }

    @Override
    public Kind kind(String rel, String entry) {
      asked.putIfAbsent(rel, entry);
      return Kind.ABSENT;
    }
  }

  /**
   * Answers what {@code deferred} recorded, now that the layers below {@code staged} are complete:
   * a name that went through a lower layer's symlink fails the layer, exactly as it would have
   * during a sequential unpack.
   */
  public void checkDeferredLowers(Staged staged, DeferredLowers deferred) throws IOException {
    if (deferred.asked.isEmpty() || staged.parentCacheId == null) {
      return;
    }
    try (LowerView lowers = new LowerView(driver, trees, staged.parentCacheId)) {
      for (Map.Entry<String, String> q : deferred.asked.entrySet()) {
        if (lowers.kind(q.getKey()) == LowerLayers.Kind.SYMLINK) {
          throw new UnsafePathException(
              deferred.source,
              q.getValue(),
              "path goes through the symlink " + q.getKey() + " of a lower layer");
        }
      }
    }
  }

  /**
   * Sends an extracted layer's bytes towards the disk while other layers are still downloaded or
   * extracted: one syncfs on a thread of its own, so the one before publishing ({@link
   * #syncForPublish}) waits only for what was written since. The kernel starts writing back dirty
   * pages only after seconds, so without this a load or pull of 200 MB waited about 100 ms for all
   * of it at the end. Nothing waits for this sync, a failure is left to the final one, and at most
   * one runs at a time.
   */
  private void startWriteback(Staged staged) throws IOException {
    if (!files.durable() || !platform.isNative() || !writingBack.compareAndSet(false, true)) {
      return;
    }
    java.nio.file.Path dir = driver.diff(staged.cacheId).dir();
    Thread t =
        new Thread(
            () -> {
              try {
                platform.sync(dir);
              } catch (IOException | RuntimeException e) {
                LOG.debug("early writeback of {}: {}", dir, e.toString());
              } finally {
                writingBack.set(false);
              }
            },
            "layerstore-writeback");
    t.setDaemon(true);
    t.start();
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
      platform.sync(driver.diff(s.cacheId).dir());
      if (platform.isNative()) {
        break; // one syncfs covers the whole file system
      }
    }
  }

  /**
   * The staged layers now belong to a recorded change (which publishes them, or is finished by
   * whoever finds it after a crash): they are no longer this stager's to discard. Drops the claims
   * on their staging directories.
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
