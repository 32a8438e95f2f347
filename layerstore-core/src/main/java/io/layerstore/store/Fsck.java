package io.layerstore.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.ChainId;
import io.layerstore.CheckReport;
import io.layerstore.CheckReport.Kind;
import io.layerstore.CheckReport.Problem;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.format.ImageConfig;
import io.layerstore.spi.GraphDriver;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks that the layerdb, the driver's directories, the images, the references and the container
 * layers agree, and with {@code deep} that every layer's files still rebuild its tar byte for byte
 * (the same reassembly and diffID check {@code save} does). With {@code repair} it removes what is
 * safe to remove — leftovers of interrupted work, references and metadata of images that are gone,
 * layer records nothing uses whose content is gone — and reports the rest.
 *
 * <p>Runs under the store lock, so other processes' changes are never seen half made; layers a live
 * process is staging are claimed and never counted as orphans.
 */
public final class Fsck {
  private static final Logger LOG = LoggerFactory.getLogger(Fsck.class);
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  private final StoreLayout layout;
  private final LayerDb layerDb;
  private final ImageDb imageDb;
  private final ReferenceStore refs;
  private final GraphDriver driver;
  private final StoreLocks locks;
  private final TransactionRunner transactions;
  private final GarbageCollector gc;
  private final ObjectMapper json;
  private final DriverIds others;

  /** Driver ids recorded outside the layerdb (the container area's records). */
  public interface DriverIds {
    Set<String> get() throws IOException;
  }

  public Fsck(StoreContext store, DriverIds others) {
    this.layout = store.layout();
    this.layerDb = store.layerDb();
    this.imageDb = store.imageDb();
    this.refs = store.refs();
    this.driver = store.driver();
    this.locks = store.locks();
    this.transactions = store.transactions();
    this.gc = store.gc();
    this.json = store.json();
    this.others = others;
  }

  private final class Run {
    final boolean deep;
    final boolean repair;
    final List<Problem> problems = new ArrayList<>();

    Run(boolean deep, boolean repair) {
      this.deep = deep;
      this.repair = repair;
    }

    void found(Kind kind, String subject, String detail) {
      problems.add(new Problem(kind, subject, detail, false));
    }

    void fixed(Kind kind, String subject, String detail) {
      problems.add(new Problem(kind, subject, detail, true));
    }
  }

  public CheckReport check(boolean deep, boolean repair) throws IOException {
    Run run = new Run(deep, repair);
    StoreLocks.Held store = locks.store();
    try (store) {
      journal(run);
      leftovers(run);
      Map<ChainId, LayerRecord> layers = layers(run);
      Set<String> driverIds = new HashSet<>();
      layers.values().forEach(r -> driverIds.add(r.cacheId()));
      List<LayerDb.MountRecord> mounts = layerDb.listMounts();
      containers(run, mounts, layers, driverIds);
      driverIds.addAll(others.get());
      int images = images(run, layers);
      int references = references(run);
      driverDirs(run, driverIds);
      unused(run);
      if (deep) {
        deep(run);
      }
      CheckReport report = new CheckReport(run.problems, layers.size(), images, references, deep);
      LOG.info(
          "fsck{}{}: {} layers, {} images, {} references, {} problem(s), {} left",
          deep ? " --deep" : "",
          repair ? " --repair" : "",
          layers.size(),
          images,
          references,
          report.problems().size(),
          report.remaining().size());
      return report;
    }
  }

  private void journal(Run run) throws IOException {
    try {
      transactions.rollForward();
    } catch (IOException e) {
      for (Path p : Recovery.matching(transactions.journal().dir(), "*.json")) {
        if (run.repair) {
          Files.delete(p);
          run.fixed(Kind.JOURNAL_ENTRY_UNREADABLE, p.toString(), "dropped: " + e.getMessage());
        } else {
          run.found(Kind.JOURNAL_ENTRY_UNREADABLE, p.toString(), e.getMessage());
        }
      }
    }
  }

  private void leftovers(Run run) throws IOException {
    java.util.Set<String> needed = transactions.pendingWriteSets();
    for (Path ws : layerDb.writeSets()) {
      String name = ws.getFileName().toString();
      if (locks.isClaimed(LayerDb.claimName(name)) || needed.contains(name)) {
        continue;
      }
      String cacheId = LayerDb.cacheIdOf(ws);
      if (run.repair) {
        if (cacheId != null && driver.exists(cacheId) && !gc.usage().driverIdInUse(cacheId)) {
          driver.remove(cacheId);
        }
        LayerDb.deleteFlatDir(ws);
        locks.forget(LayerDb.claimName(name));
        run.fixed(
            Kind.STAGING_LEFTOVER,
            ws.toString(),
            "staging directory of a dead process (driver layer " + cacheId + ")");
      } else {
        run.found(
            Kind.STAGING_LEFTOVER,
            ws.toString(),
            "staging directory of a dead process (driver layer " + cacheId + ")");
      }
    }
    for (String id : driver.abandonedMounts(run.repair)) {
      String detail = "mounted, but every process that held the mount has died";
      if (run.repair) {
        run.fixed(Kind.ABANDONED_MOUNT, id, detail + "; unmounted");
      } else {
        run.found(Kind.ABANDONED_MOUNT, id, detail);
      }
    }
    for (Path p : layerDb.removalLeftovers()) {
      if (run.repair) {
        LayerDb.deleteFlatDir(p);
        run.fixed(Kind.REMOVAL_LEFTOVER, p.toString(), "layer entry of an interrupted removal");
      } else {
        run.found(Kind.REMOVAL_LEFTOVER, p.toString(), "layer entry of an interrupted removal");
      }
    }
    for (Path p : imageDb.orphanMetadata()) {
      if (run.repair) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          LayerDb.deleteFlatDir(p);
        } else {
          Files.deleteIfExists(p);
        }
        run.fixed(Kind.IMAGE_METADATA_ORPHAN, p.toString(), "metadata of an image that is gone");
      } else {
        run.found(Kind.IMAGE_METADATA_ORPHAN, p.toString(), "metadata of an image that is gone");
      }
    }
    List<Path> temps = new ArrayList<>(imageDb.tempLeftovers());
    temps.addAll(imageDb.metadataTempLeftovers());
    temps.addAll(refs.tempLeftovers());
    temps.addAll(transactions.journal().leftovers());
    temps.addAll(layout.pushScratchLeftovers());
    for (Path p : temps) {
      if (run.repair) {
        Files.deleteIfExists(p);
        run.fixed(Kind.TEMP_FILE, p.toString(), "temp file of an interrupted write");
      } else {
        run.found(Kind.TEMP_FILE, p.toString(), "temp file of an interrupted write");
      }
    }
    for (Path p : Scratch.leftovers(layout, locks)) {
      if (run.repair) {
        Scratch.removeLeftover(p, locks);
        run.fixed(Kind.TEMP_FILE, p.toString(), "scratch of a process that died");
      } else {
        run.found(Kind.TEMP_FILE, p.toString(), "scratch of a process that died");
      }
    }
  }

  /** Every layerdb entry: readable, its chain ID right, its parent there, its driver dir there. */
  private Map<ChainId, LayerRecord> layers(Run run) throws IOException {
    Map<ChainId, LayerRecord> out = new HashMap<>();
    List<Path> entries = new ArrayList<>();
    Path sha = layerDb.sha256Dir();
    if (Files.isDirectory(sha)) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(sha)) {
        for (Path p : ds) {
          if (HEX64.matcher(p.getFileName().toString()).matches()) {
            entries.add(p);
          }
        }
      }
    }
    for (Path p : entries) {
      ChainId chain = new ChainId(new Digest(p.getFileName().toString()));
      try {
        out.put(chain, layerDb.require(chain));
      } catch (IOException e) {
        run.found(Kind.LAYER_METADATA_CORRUPT, chain.toString(), e.getMessage());
      }
    }
    for (LayerRecord r : out.values()) {
      String subject = r.chainId().toString();
      ChainId expected = ChainId.of(r.parent(), r.diffId());
      if (!expected.equals(r.chainId())) {
        run.found(
            Kind.LAYER_CHAIN_ID_MISMATCH,
            subject,
            "diff " + r.diffId() + " on parent " + r.parent() + " makes " + expected);
      }
      if (r.parent() != null && !out.containsKey(r.parent())) {
        run.found(
            Kind.LAYER_PARENT_MISSING,
            subject,
            "parent layer " + r.parent() + " is not in the store");
      }
      if (!Files.exists(
          layerDb.layerDir(r.chainId()).resolve(LayerDb.TAR_SPLIT), LinkOption.NOFOLLOW_LINKS)) {
        run.found(
            Kind.LAYER_TAR_SPLIT_MISSING,
            subject,
            "no " + LayerDb.TAR_SPLIT + ": the layer cannot be saved");
      }
      if (!driver.exists(r.cacheId())) {
        run.found(
            Kind.LAYER_DRIVER_DIR_MISSING, subject, "driver layer " + r.cacheId() + " is missing");
        continue;
      }
      LayerRecord parent = r.parent() == null ? null : out.get(r.parent());
      List<String> driverParents;
      try {
        driverParents = driver.parents(r.cacheId());
      } catch (IOException e) {
        run.found(
            Kind.LAYER_DRIVER_PARENT_MISMATCH,
            subject,
            "driver layer " + r.cacheId() + ": " + e.getMessage());
        continue;
      }
      String want = parent == null ? null : parent.cacheId();
      String have = driverParents.isEmpty() ? null : driverParents.get(0);
      if (r.parent() == null ? have != null : parent != null && !want.equals(have)) {
        run.found(
            Kind.LAYER_DRIVER_PARENT_MISMATCH,
            subject,
            "driver layer " + r.cacheId() + " sits on " + have + ", the layerdb says " + want);
      }
    }
    repairBrokenLayers(run, out);
    return out;
  }

  /**
   * A layer record whose content is gone (no driver dir, no parent, unreadable) can be dropped if
   * nothing uses it; otherwise the images on it are broken and only a new load mends them.
   */
  private void repairBrokenLayers(Run run, Map<ChainId, LayerRecord> layers) throws IOException {
    if (!run.repair) {
      return;
    }
    Usage usage = gc.usage();
    List<Problem> kept = new ArrayList<>();
    for (Problem p : run.problems) {
      boolean droppable =
          p.kind() == Kind.LAYER_DRIVER_DIR_MISSING
              || p.kind() == Kind.LAYER_PARENT_MISSING
              || p.kind() == Kind.LAYER_METADATA_CORRUPT;
      if (!droppable || p.repaired()) {
        kept.add(p);
        continue;
      }
      ChainId chain = ChainId.parse(p.subject());
      if (usage.inUse(chain)) {
        kept.add(p);
        continue;
      }
      StoreLocks.Held pin = locks.tryLock(GarbageCollector.chainLock(chain));
      if (pin == null) {
        kept.add(p);
        continue;
      }
      try (pin) {
        LayerRecord r = layers.remove(chain);
        layerDb.remove(chain);
        if (r != null && driver.exists(r.cacheId()) && !gc.isMounted(r.cacheId())) {
          driver.remove(r.cacheId());
        }
      }
      kept.add(
          new Problem(
              p.kind(), p.subject(), p.detail() + "; the unused layer record was removed", true));
    }
    run.problems.clear();
    run.problems.addAll(kept);
  }

  private void containers(
      Run run,
      List<LayerDb.MountRecord> mounts,
      Map<ChainId, LayerRecord> layers,
      Set<String> driverIds)
      throws IOException {
    for (LayerDb.MountRecord m : mounts) {
      if (m.mountId() != null) {
        driverIds.add(m.mountId());
        if (!driver.exists(m.mountId())) {
          run.found(
              Kind.CONTAINER_LAYER_MISSING,
              m.containerId(),
              "driver layer " + m.mountId() + " is missing");
        }
      }
      if (m.initId() != null) {
        driverIds.add(m.initId());
        if (!driver.exists(m.initId())) {
          run.found(
              Kind.CONTAINER_LAYER_MISSING,
              m.containerId(),
              "init layer " + m.initId() + " is missing");
        }
      }
      if (m.parent() != null && !layers.containsKey(m.parent())) {
        run.found(
            Kind.CONTAINER_LAYER_MISSING,
            m.containerId(),
            "image layer " + m.parent() + " is missing");
      }
    }
  }

  private int images(Run run, Map<ChainId, LayerRecord> layers) throws IOException {
    List<ImageId> ids = imageDb.list();
    for (ImageId id : ids) {
      ImageConfig c;
      try {
        c = imageDb.config(id, json);
      } catch (IOException e) {
        run.found(Kind.IMAGE_CONFIG_CORRUPT, id.toString(), e.getMessage());
        continue;
      }
      for (ChainId chain : ChainId.chain(c.diffIds())) {
        if (!layers.containsKey(chain)) {
          run.found(
              Kind.IMAGE_LAYER_MISSING, id.toString(), "layer " + chain + " is not in the store");
          break;
        }
      }
      Optional<ImageId> parent = imageDb.parent(id);
      if (parent.isPresent() && !imageDb.exists(parent.get())) {
        if (run.repair) {
          imageDb.removeParent(id);
          run.fixed(
              Kind.IMAGE_PARENT_MISSING,
              id.toString(),
              "parent image " + parent.get() + " is gone; record dropped");
        } else {
          run.found(
              Kind.IMAGE_PARENT_MISSING,
              id.toString(),
              "parent image " + parent.get() + " is gone");
        }
      }
    }
    return ids.size();
  }

  private int references(Run run) throws IOException {
    int n = 0;
    List<Transaction.TagSet> dangling = new ArrayList<>();
    for (TreeMap<String, ImageId> repo : refs.read().values()) {
      for (Map.Entry<String, ImageId> e : repo.entrySet()) {
        n++;
        if (!imageDb.exists(e.getValue())) {
          dangling.add(
              new Transaction.TagSet(
                  io.layerstore.Reference.parse(e.getKey()), e.getValue(), e.getValue()));
        }
      }
    }
    if (!dangling.isEmpty() && run.repair) {
      refs.apply(List.of(), dangling);
    }
    for (Transaction.TagSet t : dangling) {
      String detail = "points at " + t.id() + ", which is not in the store";
      if (run.repair) {
        run.fixed(Kind.REFERENCE_TO_MISSING_IMAGE, t.ref().familiarString(), detail + "; removed");
      } else {
        run.found(Kind.REFERENCE_TO_MISSING_IMAGE, t.ref().familiarString(), detail);
      }
    }
    return n;
  }

  /**
   * Driver directories nothing records: not a layer, not a container's, not claimed by a live
   * stager. Removed on repair — unless the data-root has Docker's BuildKit cache, whose snapshots
   * are driver directories recorded only in BuildKit's own database.
   */
  private void driverDirs(Run run, Set<String> recorded) throws IOException {
    Set<String> claimed = new HashSet<>();
    for (Path ws : layerDb.writeSets()) {
      String id = LayerDb.cacheIdOf(ws);
      if (id != null) {
        claimed.add(id);
      }
    }
    boolean buildkit = Files.isDirectory(layout.buildkitDir(), LinkOption.NOFOLLOW_LINKS);
    for (String id : driver.list()) {
      if (recorded.contains(id) || claimed.contains(id)) {
        continue;
      }
      if (run.repair && !buildkit && !gc.isMounted(id)) {
        driver.remove(id);
        run.fixed(
            Kind.DRIVER_DIR_ORPHAN, id, "driver layer that no layer or container records; removed");
      } else {
        run.found(
            Kind.DRIVER_DIR_ORPHAN,
            id,
            "driver layer that no layer or container records"
                + (buildkit
                    ? " (kept: this data-root has a BuildKit cache, which may own it)"
                    : ""));
      }
    }
  }

  private void unused(Run run) throws IOException {
    Usage usage = gc.usage();
    List<LayerRecord> unused = usage.unreferenced(List.of());
    if (unused.isEmpty()) {
      return;
    }
    List<ChainId> deleted = List.of();
    if (run.repair) {
      List<Transaction.Release> candidates = new ArrayList<>();
      for (LayerRecord r : unused) {
        candidates.add(new Transaction.Release(r.chainId(), r.cacheId()));
      }
      Transaction.Builder b = Transaction.builder("fsck");
      candidates.forEach(c -> b.release(c.chainId(), c.cacheId()));
      deleted = transactions.run(b.build()).deletedLayers();
    }
    for (LayerRecord r : unused) {
      if (deleted.contains(r.chainId())) {
        run.fixed(
            Kind.LAYER_UNUSED, r.chainId().toString(), "no image or container uses it; removed");
      } else {
        run.found(Kind.LAYER_UNUSED, r.chainId().toString(), "no image or container uses it");
      }
    }
  }

  private void deep(Run run) throws IOException {
    LayerRebuilder rebuilder = new LayerRebuilder(layerDb, driver);
    for (LayerRecord r : layerDb.list()) {
      if (!driver.exists(r.cacheId())
          || !Files.exists(
              layerDb.layerDir(r.chainId()).resolve(LayerDb.TAR_SPLIT),
              LinkOption.NOFOLLOW_LINKS)) {
        continue; // reported already
      }
      try {
        rebuilder.rebuild(r, OutputStream.nullOutputStream());
      } catch (io.layerstore.LayerStoreException e) {
        run.found(
            Kind.LAYER_CONTENT_MISMATCH,
            r.chainId().toString(),
            "driver layer " + r.cacheId() + ": " + e.getMessage());
      }
    }
  }
}
