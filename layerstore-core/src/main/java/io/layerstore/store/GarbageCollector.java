package io.layerstore.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.ChainId;
import io.layerstore.ImageId;
import io.layerstore.spi.GraphDriver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes layers nothing uses, and plans what {@code prune} removes. A layer is in use while an
 * image's chain includes it, a container sits on it (or on a layer above it), a child layer exists,
 * it is mounted, or a running load has pinned it (holds its {@code chain-<hex>} lock, as the parent
 * of what it stages): such a layer is never deleted. Everything runs under the store lock, as part
 * of applying a {@link Transaction}.
 */
public final class GarbageCollector {
  private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);

  private final LayerDb layerDb;
  private final ImageDb imageDb;
  private final ReferenceStore refs;
  private final GraphDriver driver;
  private final StoreLocks locks;
  private final MountPins pins;
  private final ObjectMapper json;

  GarbageCollector(StoreContext store) {
    this.layerDb = store.layerDb();
    this.imageDb = store.imageDb();
    this.refs = store.refs();
    this.driver = store.driver();
    this.locks = store.locks();
    this.pins = store.pins();
    this.json = store.json();
  }

  Usage usage() throws IOException {
    return Usage.scan(layerDb, imageDb, json);
  }

  /** What one release did. */
  public record Released(List<ChainId> layers, long bytes) {}

  /**
   * Deletes those of {@code candidates} (children before parents) that nothing uses now: the
   * layerdb entry first (the layer is gone for every reader), then the driver's directory. A
   * candidate whose layerdb entry is already gone (a removal cut short by a crash) has its driver
   * directory deleted if nothing else records that id.
   */
  Released release(List<Transaction.Release> candidates, Usage usage) throws IOException {
    List<ChainId> deleted = new ArrayList<>();
    long bytes = 0;
    for (Transaction.Release r : candidates) {
      LayerRecord rec = usage.layers.get(r.chainId());
      if (rec == null) {
        finishDriverRemoval(r.cacheId(), usage);
        continue;
      }
      if (!rec.cacheId().equals(r.cacheId()) || usage.inUse(rec.chainId())) {
        continue;
      }
      if (isMounted(rec.cacheId())) {
        LOG.info("layer {} is mounted; keeping it", rec.chainId());
        continue;
      }
      StoreLocks.Held pin = locks.tryLock(chainLock(rec.chainId()));
      if (pin == null) {
        LOG.info("layer {} is in use by a running load; keeping it", rec.chainId());
        continue;
      }
      try (pin) {
        layerDb.remove(rec.chainId());
        driver.remove(rec.cacheId());
      }
      usage.removed(rec);
      deleted.add(rec.chainId());
      bytes += rec.size();
    }
    return new Released(deleted, bytes);
  }

  /** Mounted in the kernel, or through a store by any live process. */
  boolean isMounted(String cacheId) throws IOException {
    return driver.isMounted(cacheId) || pins.isPinned(cacheId);
  }

  private void finishDriverRemoval(String cacheId, Usage usage) throws IOException {
    if (cacheId != null
        && driver.exists(cacheId)
        && !usage.driverIdInUse(cacheId)
        && !isMounted(cacheId)) {
      LOG.info("finishing the removal of driver layer {}", cacheId);
      driver.remove(cacheId);
    }
  }

  /** The lock a load holds on a layer it stages or builds on. */
  public static String chainLock(ChainId chain) {
    return "chain-" + chain.digest().hex();
  }

  // ---- prune ----------------------------------------------------------------------------------

  /**
   * Plans a prune: images without a tag that no other image has as its parent (Docker's dangling
   * images; with {@code all}, every image without a tag and without a container), and every layer
   * no remaining image or container uses. Caller holds the store lock.
   */
  public Transaction planPrune(boolean all) throws IOException {
    Usage usage = usage();
    Map<ImageId, List<String>> tags = new java.util.HashMap<>();
    for (TreeMap<String, ImageId> repo : refs.read().values()) {
      for (Map.Entry<String, ImageId> e : repo.entrySet()) {
        tags.computeIfAbsent(e.getValue(), k -> new ArrayList<>()).add(e.getKey());
      }
    }
    Set<ImageId> parents = new HashSet<>();
    for (ImageId id : imageDb.list()) {
      imageDb.parent(id).ifPresent(parents::add);
    }
    Set<ImageId> remove = new HashSet<>();
    for (ImageId id : usage.imageChains.keySet()) {
      if (tags.containsKey(id)) {
        continue;
      }
      if (!all && parents.contains(id)) {
        continue; // an intermediate image of a build: kept while its children are
      }
      if (usage.byContainers.contains(usage.imageTops.get(id))) {
        continue; // a container runs on it
      }
      remove.add(id);
    }
    Transaction.Builder b = Transaction.builder("prune");
    remove.stream().sorted((x, y) -> x.digest().compareTo(y.digest())).forEach(b::deleteImage);
    for (LayerRecord r : usage.unreferenced(remove)) {
      b.release(r.chainId(), r.cacheId());
    }
    return b.build();
  }
}
