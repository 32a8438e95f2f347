package io.layerstore.build.internal;

import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.InvalidReferenceException;
import io.layerstore.NotFoundException;
import io.layerstore.Reference;
import io.layerstore.archive.ParallelGzip;
import io.layerstore.build.ImageBuilder;
import io.layerstore.build.ImageSettings;
import io.layerstore.build.LayerSpec;
import io.layerstore.format.ImageConfig;
import io.layerstore.store.GarbageCollector;
import io.layerstore.store.LayerRecord;
import io.layerstore.store.LayerStaging;
import io.layerstore.store.StoreContext;
import io.layerstore.store.StoreLocks;
import io.layerstore.store.Transaction;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One build: plans every layer (which reads and checks every source) before it touches the store,
 * then takes each layer from the cache when its inputs are unchanged and its chain is stored, or
 * tars and stages it (and compresses it in the same pass, keeping the blob for a push), and
 * publishes the new layers, the config and the tag as one change.
 */
final class BuildSession implements ImageBuilder {
  private static final Logger LOG = LoggerFactory.getLogger(BuildSession.class);
  private static final int CORES = Runtime.getRuntime().availableProcessors();

  private final StoreContext s;
  private final BuildCache cache;
  private final ImageId base;
  private final List<LayerSpec> layers = new ArrayList<>();
  private ImageSettings settings = ImageSettings.defaults();

  /** Compresses the new layers' blocks during one {@link #run}; made when a layer is staged. */
  private ExecutorService compressors;

  BuildSession(StoreContext s, BuildCache cache, ImageId base) {
    this.s = s;
    this.cache = cache;
    this.base = base;
  }

  @Override
  public ImageBuilder addLayer(LayerSpec layer) {
    layers.add(Objects.requireNonNull(layer, "layer"));
    return this;
  }

  @Override
  public ImageBuilder config(ImageSettings settings) {
    this.settings = Objects.requireNonNull(settings, "settings");
    return this;
  }

  @Override
  public ImageId tag(String reference) throws IOException {
    Reference ref = Reference.parse(reference).withDefaultTag();
    if (ref.digest() != null) {
      throw new InvalidReferenceException(
          "refusing to create a tag with a digest reference: " + reference);
    }
    return run(ref);
  }

  @Override
  public ImageId build() throws IOException {
    return run(null);
  }

  /**
   * A layer of this build as it ends up: reused from the store (found through the cache, {@code
   * cached}, or tarred again and found stored) or newly staged.
   */
  private record Built(
      Digest key, DiffId diffId, ChainId chainId, boolean reused, boolean cached) {}

  private ImageId run(Reference ref) throws IOException {
    s.ensureOpen();
    // every source is read and checked before the store is touched: a bad input leaves nothing
    long t0 = System.nanoTime();
    List<LayerPlan> plans = new ArrayList<>();
    for (LayerSpec spec : layers) {
      plans.add(LayerPlan.of(spec, "layer " + (plans.size() + 1) + " of the build"));
    }
    long t1 = System.nanoTime();
    List<LayerStaging.Staged> staged = new ArrayList<>();
    List<StoreLocks.Held> held = new ArrayList<>();
    try {
      s.transactions().settle();
      ImageConfig baseConfig = base == null ? null : s.imageDb().config(base, s.json());
      Optional<LayerRecord> baseTop =
          baseConfig == null ? Optional.empty() : s.layerDb().top(baseConfig.diffIds());
      if (baseConfig != null && !baseConfig.diffIds().isEmpty() && baseTop.isEmpty()) {
        throw new NotFoundException("a layer of the base image " + base + " is missing");
      }
      LayerStaging.Parent parent =
          baseTop
              .map(t -> new LayerStaging.Parent(t.chainId(), t.cacheId()))
              .orElse(LayerStaging.Parent.NONE);
      List<ChainId> kept = new ArrayList<>();
      baseTop.ifPresent(t -> kept.add(t.chainId()));
      List<Built> built = new ArrayList<>();
      for (LayerPlan plan : plans) {
        Built b = layer(plan, parent, staged, held);
        built.add(b);
        if (b.reused()) {
          kept.add(b.chainId());
        }
        LayerRecord rec = b.reused() ? s.layerDb().require(b.chainId()) : null;
        parent =
            new LayerStaging.Parent(
                b.chainId(), rec != null ? rec.cacheId() : staged.get(staged.size() - 1).cacheId());
      }
      byte[] config =
          ConfigJson.write(
              baseConfig,
              settings,
              built.stream().map(Built::diffId).toList(),
              layers.stream().map(l -> l.name().orElse(null)).toList());
      ImageId id = ImageId.ofConfig(config);
      long t2 = System.nanoTime();
      Transaction.Builder tx = Transaction.builder("build").image(config);
      if (ref != null) {
        tx.lastUpdated(id, Instant.now());
      }
      if (staged.isEmpty()
          && s.imageDb().exists(id)
          && (ref == null || id.equals(s.refs().get(ref)))) {
        remember(built);
        // a rebuild that changed nothing: the store holds this image, tagged so, already
        LOG.debug(
            "{} is built and tagged already; reading the sources {} ms, layers {} ms",
            id.shortId(),
            (t1 - t0) / 1_000_000,
            (t2 - t1) / 1_000_000);
        return id;
      }
      // one change: the new layers, the image and its tag appear together or not at all
      s.publisher()
          .publish(
              tx,
              staged,
              ref == null ? List.of() : List.of(Map.entry(ref, id)),
              () -> {
                if (base != null && !s.imageDb().exists(base)) {
                  throw new NotFoundException(
                      "base image " + base + " was removed during the build");
                }
                for (ChainId c : kept) {
                  if (!s.layerDb().exists(c)) {
                    throw new NotFoundException("layer " + c + " was removed during the build");
                  }
                }
              });
      staged.clear();
      remember(built);
      LOG.debug(
          "built {}: {} layer(s), {} reused; reading the sources {} ms, layers {} ms, publishing {}"
              + " ms",
          id.shortId(),
          built.size(),
          built.stream().filter(Built::reused).count(),
          (t1 - t0) / 1_000_000,
          (t2 - t1) / 1_000_000,
          (System.nanoTime() - t2) / 1_000_000);
      return id;
    } catch (IOException | RuntimeException | Error e) {
      s.staging().discardAll(staged, e);
      throw e;
    } finally {
      if (compressors != null) {
        compressors.shutdownNow();
        compressors = null;
      }
      for (StoreLocks.Held h : held) {
        try {
          h.close();
        } catch (Exception e) {
          LOG.warn("could not release a layer lock: {}", e.toString());
        }
      }
    }
  }

  /** Records the layers the cache did not give: the next build with the same inputs skips them. */
  private void remember(List<Built> built) {
    for (Built b : built) {
      if (!b.cached()) {
        cache.remember(b.key(), new BuildCache.Entry(b.diffId(), b.chainId()));
      }
    }
  }

  private ExecutorService compressors() {
    if (compressors == null) {
      AtomicInteger n = new AtomicInteger();
      compressors =
          Executors.newFixedThreadPool(
              CORES,
              r -> {
                Thread t = new Thread(r, "layerstore-build-gzip-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
              });
    }
    return compressors;
  }

  /**
   * One layer on {@code parent}: the cached one if its inputs are unchanged and its chain is stored
   * (no tar, no hash), else a newly staged one, discarded again if the store has its chain already.
   * The chain is locked against garbage collection until the build is published.
   */
  private Built layer(
      LayerPlan plan,
      LayerStaging.Parent parent,
      List<LayerStaging.Staged> staged,
      List<StoreLocks.Held> held)
      throws IOException {
    Digest key = plan.cacheKey();
    Optional<BuildCache.Entry> hit = cache.lookup(key);
    if (hit.isPresent()) {
      ChainId chain = ChainId.of(parent.chainId(), hit.get().diffId());
      StoreLocks.Held lock = s.locks().lock(GarbageCollector.chainLock(chain));
      if (s.layerDb().exists(chain)) {
        held.add(lock);
        return new Built(key, hit.get().diffId(), chain, true, true);
      }
      lock.close(); // the layer was removed since (or the base differs): build it again
    }
    // the tar is compressed as it is staged, on the cores the staging leaves: a push then uploads
    // the kept blob instead of rebuilding and compressing the layer
    BuildCache.BlobSink blob = cache.newBlob();
    LayerStaging.Staged layer;
    try {
      layer =
          LayerTar.stage(
              s.staging(),
              plan,
              parent,
              new ParallelGzip(blob, compressors(), CORES, ParallelGzip.DEFAULT_LEVEL));
    } catch (IOException | RuntimeException | Error e) {
      cache.drop(blob);
      throw e;
    }
    cache.keep(blob, layer.diffId());
    try {
      held.add(s.locks().lock(GarbageCollector.chainLock(layer.chainId())));
    } catch (IOException | RuntimeException e) {
      s.staging().discardAll(List.of(layer), e);
      throw e;
    }
    if (s.layerDb().exists(layer.chainId())) {
      s.staging().discard(layer); // same content as a stored layer: use that one
      return new Built(key, layer.diffId(), layer.chainId(), true, false);
    }
    staged.add(layer);
    return new Built(key, layer.diffId(), layer.chainId(), false, false);
  }
}
