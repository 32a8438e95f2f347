package io.layerstore.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.DigestMismatchException;
import io.layerstore.ImageId;
import io.layerstore.InvalidArchiveException;
import io.layerstore.InvalidReferenceException;
import io.layerstore.LoadedImage;
import io.layerstore.Reference;
import io.layerstore.format.ArchiveIndex;
import io.layerstore.format.ImageConfig;
import io.layerstore.format.LegacyV1;
import io.layerstore.gocompat.GoJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a {@code docker save} archive (docs/overlay2-layout.md §8.2): {@code manifest.json} with
 * one item per image, or, without it, the legacy {@code repositories} file with v1 layer
 * directories.
 *
 * <p>All or nothing: every manifest item, config and tag is validated, every missing layer is
 * staged (one pass each: decompress, hash, tar-split, extract) and checked against the config's
 * diff_ids, and only then, under the store lock, are layers, images and tags published. Any error
 * discards what was staged and leaves the store as it was.
 */
public final class DockerArchiveLoader {
  private static final Logger LOG = LoggerFactory.getLogger(DockerArchiveLoader.class);

  static final String MANIFEST = "manifest.json";
  static final String LEGACY_REPOSITORIES = "repositories";
  static final int MAX_JSON = 16 * 1024 * 1024;

  /** Most images one archive may hold. */
  static final int MAX_IMAGES = 10_000;

  /**
   * One image to load: its config (from {@code configName}, or made for a legacy v1 directory, then
   * null), its layers by the names {@link LayerBlobs} knows them by, its tags and parent.
   */
  record Item(
      String configName,
      ImageConfig config,
      List<String> layers,
      List<Reference> tags,
      ImageId parent) {}

  private final StoreContext store;
  private final ObjectMapper json;

  public DockerArchiveLoader(StoreContext store) {
    this.store = store;
    this.json = store.json();
  }

  /** The images of the archive, in manifest order, with the tags each got. */
  public List<LoadedImage> load(Path archive) throws IOException {
    try (ArchiveIndex index = ArchiveIndex.open(archive)) {
      return load(index);
    }
  }

  /** The images of an archive already indexed (the caller closes it). */
  public List<LoadedImage> load(ArchiveIndex index) throws IOException {
    List<Item> items = index.contains(MANIFEST) ? readManifest(index) : readLegacy(index);
    return loadItems(LayerBlobs.of(index), items);
  }

  // ---- manifest ---------------------------------------------------------------------------------

  private List<Item> readManifest(ArchiveIndex index) throws IOException {
    String src = index.source();
    JsonNode root = parseJson(index.readSmall(MANIFEST, MAX_JSON), src, MANIFEST);
    if (root == null || root.isNull()) {
      throw new InvalidArchiveException(
          src, MANIFEST, "invalid manifest, manifest cannot be null (but can be [])");
    }
    if (!root.isArray()) {
      throw new InvalidArchiveException(src, MANIFEST, "manifest is not a JSON array");
    }
    if (root.size() > MAX_IMAGES) {
      throw new InvalidArchiveException(
          src, MANIFEST, "manifest lists " + root.size() + " images, more than " + MAX_IMAGES);
    }
    List<Item> items = new ArrayList<>();
    Map<String, ImageConfig> configs = new HashMap<>();
    for (JsonNode m : root) {
      if (!m.isObject()) {
        throw new InvalidArchiveException(src, MANIFEST, "manifest item is not an object");
      }
      String configName = text(m, "Config", src);
      if (configName == null || configName.isEmpty()) {
        throw new InvalidArchiveException(src, MANIFEST, "manifest item without Config");
      }
      ImageConfig config = configs.get(configName);
      if (config == null) {
        config =
            ImageConfig.parse(
                index.readSmall(configName, ImageConfig.MAX_BYTES), src + ": " + configName, json);
        configs.put(configName, config);
      }
      checkOs(config, src, configName);
      List<String> layers = new ArrayList<>();
      JsonNode ls = m.get("Layers");
      if (ls != null && !ls.isNull()) {
        if (!ls.isArray()) {
          throw new InvalidArchiveException(
              src, MANIFEST, "Layers of " + configName + " is not an array");
        }
        for (JsonNode l : ls) {
          if (!l.isTextual()) {
            throw new InvalidArchiveException(src, MANIFEST, "layer path is not a string: " + l);
          }
          index.require(l.asText()); // exists, inside the archive, a regular file
          layers.add(l.asText());
        }
      }
      if (layers.size() != config.diffIds().size()) {
        throw new InvalidArchiveException(
            src,
            MANIFEST,
            "invalid manifest, layers length mismatch: expected "
                + layers.size()
                + ", got "
                + config.diffIds().size());
      }
      List<Reference> tags = new ArrayList<>();
      JsonNode rt = m.get("RepoTags");
      if (rt != null && !rt.isNull()) {
        if (!rt.isArray()) {
          throw new InvalidArchiveException(src, MANIFEST, "RepoTags is not an array");
        }
        for (JsonNode t : rt) {
          tags.add(parseTag(t.asText(), src));
        }
      }
      ImageId parent = null;
      String p = text(m, "Parent", src);
      if (p != null && !p.isEmpty()) {
        try {
          parent = ImageId.parse(p);
        } catch (IllegalArgumentException e) {
          throw new InvalidArchiveException(src, MANIFEST, "invalid Parent \"" + p + "\"");
        }
      }
      items.add(new Item(configName, config, layers, tags, parent));
    }
    return items;
  }

  private static Reference parseTag(String text, String src) throws InvalidArchiveException {
    Reference ref;
    try {
      ref = Reference.parse(text);
    } catch (InvalidReferenceException e) {
      throw new InvalidArchiveException(src, MANIFEST, "invalid RepoTag: " + e.getMessage());
    }
    if (ref.tag() == null || ref.digest() != null) {
      throw new InvalidArchiveException(src, MANIFEST, "invalid tag \"" + text + "\"");
    }
    return ref;
  }

  private static void checkOs(ImageConfig config, String src, String name)
      throws InvalidArchiveException {
    String os = config.os();
    if (os != null && !os.isEmpty() && !os.equals("linux")) {
      throw new InvalidArchiveException(src, name, "cannot load " + os + " image on linux");
    }
  }

  private JsonNode parseJson(byte[] data, String src, String name) throws InvalidArchiveException {
    try {
      return json.readTree(data);
    } catch (IOException e) {
      String msg = e.getMessage() == null ? "" : e.getMessage().split("\n", 2)[0];
      throw new InvalidArchiveException(src, name, "not valid JSON: " + msg, e);
    }
  }

  private static String text(JsonNode m, String field, String src) throws InvalidArchiveException {
    JsonNode v = m.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new InvalidArchiveException(src, MANIFEST, field + " is not a string");
    }
    return v.asText();
  }

  // ---- legacy (no manifest.json) ------------------------------------------------------------

  /**
   * Docker's legacy loader: every v1 directory is an image whose config is made from its {@code
   * json} (minus id/parent/Size/...) plus rootfs and history built along the parent chain; images
   * are tagged from the {@code repositories} file.
   */
  private List<Item> readLegacy(ArchiveIndex index) throws IOException {
    String src = index.source();
    Map<String, String> parentOf = new LinkedHashMap<>();
    Map<String, ObjectNode> v1 = new LinkedHashMap<>();
    for (ArchiveIndex.Member m : index.members()) {
      String name = m.name();
      if (name.endsWith("/json") && name.indexOf('/') == name.length() - 5) {
        String id = name.substring(0, name.length() - 5);
        JsonNode node = parseJson(index.readSmall(name, MAX_JSON), src, name);
        if (!node.isObject()) {
          throw new InvalidArchiveException(src, name, "not a JSON object");
        }
        v1.put(id, (ObjectNode) node);
        JsonNode p = LegacyV1.get(node, "parent");
        parentOf.put(id, p == null || p.isNull() ? "" : p.asText());
      }
    }
    if (v1.isEmpty()) {
      throw new InvalidArchiveException(
          src,
          null,
          "neither manifest.json nor legacy image directories found: not a docker save archive");
    }
    Map<String, Item> made = new LinkedHashMap<>();
    for (String id : v1.keySet()) {
      legacyItem(index, id, v1, parentOf, made, new ArrayList<>());
    }
    Map<String, List<Reference>> tags = new HashMap<>();
    if (index.contains(LEGACY_REPOSITORIES)) {
      JsonNode repos =
          parseJson(index.readSmall(LEGACY_REPOSITORIES, MAX_JSON), src, LEGACY_REPOSITORIES);
      if (!repos.isObject()) {
        throw new InvalidArchiveException(src, LEGACY_REPOSITORIES, "not a JSON object");
      }
      Iterator<Map.Entry<String, JsonNode>> it = repos.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> repo = it.next();
        Iterator<Map.Entry<String, JsonNode>> tt = repo.getValue().fields();
        while (tt.hasNext()) {
          Map.Entry<String, JsonNode> t = tt.next();
          String v1id = t.getValue().asText();
          if (!made.containsKey(v1id)) {
            throw new InvalidArchiveException(
                src, LEGACY_REPOSITORIES, "invalid target ID: " + v1id);
          }
          tags.computeIfAbsent(v1id, k -> new ArrayList<>())
              .add(parseTag(repo.getKey() + ":" + t.getKey(), src));
        }
      }
    }
    List<Item> out = new ArrayList<>();
    for (Map.Entry<String, Item> e : made.entrySet()) {
      Item i = e.getValue();
      out.add(
          new Item(
              i.configName(),
              i.config(),
              i.layers(),
              tags.getOrDefault(e.getKey(), List.of()),
              i.parent()));
    }
    return out;
  }

  private Item legacyItem(
      ArchiveIndex index,
      String id,
      Map<String, ObjectNode> v1,
      Map<String, String> parentOf,
      Map<String, Item> made,
      List<String> visiting)
      throws IOException {
    Item done = made.get(id);
    if (done != null) {
      return done;
    }
    String src = index.source();
    if (visiting.contains(id) || visiting.size() > ImageConfig.MAX_LAYERS) {
      throw new InvalidArchiveException(
          src, id + "/json", "parent chain loops or is deeper than " + ImageConfig.MAX_LAYERS);
    }
    ObjectNode node = v1.get(id);
    if (node == null) {
      throw new InvalidArchiveException(src, id + "/json", "missing legacy image");
    }
    JsonNode os = LegacyV1.get(node, "os");
    if (os != null && !os.asText().isEmpty() && !os.asText().equals("linux")) {
      throw new InvalidArchiveException(
          src, id + "/json", "cannot load " + os.asText() + " image on linux");
    }
    visiting.add(id);
    String parentV1 = parentOf.get(id);
    List<String> layers = new ArrayList<>();
    List<String> diffHints = new ArrayList<>();
    ArrayNode history = json.createArrayNode();
    ImageId parentImage = null;
    if (!parentV1.isEmpty()) {
      Item parent = legacyItem(index, parentV1, v1, parentOf, made, visiting);
      layers.addAll(parent.layers());
      for (DiffId d : parent.config().diffIds()) {
        diffHints.add(d.toString());
      }
      for (JsonNode h : parent.config().json().withArray("history")) {
        history.add(h);
      }
      parentImage = parent.config().id();
    }
    String layerName = id + "/layer.tar";
    index.require(layerName);
    layers.add(layerName);
    // The layer's diffID is known only after reading it; the config is finished in loadItems.
    ObjectNode h = json.createObjectNode();
    h.put("created", LegacyV1.goTime(textOrNull(LegacyV1.get(node, "created"))));
    putIfNotEmpty(h, "author", LegacyV1.get(node, "author"));
    JsonNode cmd = LegacyV1.get(LegacyV1.get(node, "container_config"), "Cmd");
    if (cmd != null && cmd.isArray() && cmd.size() > 0) {
      List<String> parts = new ArrayList<>();
      cmd.forEach(c -> parts.add(c.asText()));
      h.put("created_by", String.join(" ", parts));
    }
    putIfNotEmpty(h, "comment", LegacyV1.get(node, "comment"));
    history.add(h);
    ObjectNode c = node.deepCopy();
    for (String k : new String[] {"id", "parent", "Size", "parent_id", "layer_id", "throwaway"}) {
      c.remove(k);
    }
    ObjectNode rootfs = c.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    diffHints.forEach(ids::add);
    ids.add(PENDING);
    c.set("history", history);
    ImageConfig pending = ImageConfig.parse(placeholder(c), src + ": " + id + "/json", json);
    Item item = new Item(null, pending, layers, List.of(), parentImage);
    made.put(id, item);
    visiting.remove(id);
    return item;
  }

  private static final String PENDING = "sha256:" + "0".repeat(64);

  private static byte[] placeholder(ObjectNode c) {
    return GoJson.writeSorted(c).getBytes(StandardCharsets.UTF_8);
  }

  private static String textOrNull(JsonNode n) {
    return n == null || n.isNull() ? null : n.asText();
  }

  private static void putIfNotEmpty(ObjectNode o, String k, JsonNode v) {
    if (v != null && !v.isNull() && !v.asText().isEmpty()) {
      o.put(k, v.asText());
    }
  }

  // ---- staging and publishing -----------------------------------------------------------------

  /**
   * Stages what the store lacks and publishes everything as one change. Every layer's chain lock is
   * taken first, in one global order (so concurrent loads never deadlock), and held to the end: a
   * layer being staged is staged once, whoever else loads it waits and then reuses it; a layer
   * already there is pinned, so a concurrent remove leaves it alone while new layers are staged on
   * it.
   *
   * <p>A source that {@linkplain LayerBlobs#keepsCompletedLayers() keeps completed layers} (a pull)
   * has each new layer published, alone, as soon as it and every new layer before it are complete;
   * the image and tags follow at the end. A failure then leaves those layers, unreferenced, unless
   * it shows the content is bad ({@link #contentIsBad}): those are removed again.
   */
  List<LoadedImage> loadItems(LayerBlobs index, List<Item> items) throws IOException {
    LayerStaging staging = store.staging();
    List<LayerStaging.Staged> staged = new ArrayList<>();
    List<LayerStaging.Staged> publishedEarly = new ArrayList<>();
    Throwable failure = null;
    Map<ChainId, LayerStaging.Parent> known = new HashMap<>();
    List<StoreLocks.Held> chainLocks = new ArrayList<>();
    Set<ChainId> locked = new HashSet<>();
    List<ImageConfig> finalConfigs = new ArrayList<>();
    Map<List<String>, List<DiffId>> resolved = new HashMap<>();
    List<Job> jobs = new ArrayList<>();
    try {
      TreeSet<ChainId> needed = new TreeSet<>((a, b) -> a.digest().compareTo(b.digest()));
      for (Item item : items) {
        if (item.configName() != null) {
          needed.addAll(ChainId.chain(item.config().diffIds()));
        }
      }
      for (ChainId c : needed) {
        chainLocks.add(store.locks().lock(GarbageCollector.chainLock(c)));
        locked.add(c);
      }
      for (Item item : items) {
        ImageConfig config = item.config();
        boolean legacy = item.configName() == null;
        List<DiffId> diffIds = new ArrayList<>(config.diffIds());
        if (legacy && item.layers().size() > 1) {
          // The parent's layers were resolved when the parent item was (it comes first).
          List<DiffId> parentIds = resolved.get(item.layers().subList(0, item.layers().size() - 1));
          if (parentIds == null) {
            throw new InvalidArchiveException(
                index.source(),
                item.layers().get(item.layers().size() - 1),
                "legacy image whose parent was not loaded first");
          }
          for (int k = 0; k < parentIds.size(); k++) {
            diffIds.set(k, parentIds.get(k));
          }
        }
        LayerStaging.Parent parent = LayerStaging.Parent.NONE;
        LayerStaging.ImageBudget budget = staging.newImageBudget();
        for (int i = 0; i < item.layers().size(); i++) {
          boolean pendingLayer = legacy && i == item.layers().size() - 1;
          DiffId expected = pendingLayer ? null : diffIds.get(i);
          ChainId chain = expected == null ? null : ChainId.of(parent.chainId(), expected);
          LayerStaging.Parent next = chain == null ? null : known.get(chain);
          if (next == null && chain != null) {
            if (locked.add(chain)) {
              chainLocks.add(store.locks().lock(GarbageCollector.chainLock(chain)));
            }
            Optional<LayerRecord> existing = layer(chain);
            if (existing.isPresent()) {
              next = new LayerStaging.Parent(chain, existing.get().cacheId());
              index.present(item.layers().get(i));
            }
          }
          if (next == null && !legacy) {
            // Known diffID: make the layer's directories now (in chain order) and fill them
            // later, in parallel with the image's other new layers.
            String name = item.layers().get(i);
            LayerStaging.Staged s = staging.prepare(parent);
            staged.add(s);
            jobs.add(
                new Job(
                    s, index.size(name), index.source() + ": " + name, name, i, expected, budget));
            next = new LayerStaging.Parent(chain, s.cacheId());
          }
          if (next == null) {
            String name = item.layers().get(i);
            LayerStaging.Staged s;
            try (InputStream in = index.open(name)) {
              s = staging.stage(in, index.source() + ": " + name, parent, expected, budget);
            } catch (DigestMismatchException e) {
              throw new DigestMismatchException(
                  e.expected(),
                  e.actual(),
                  index.source() + ": invalid diffID for layer " + i + " (" + name + ")");
            }
            staged.add(s);
            if (pendingLayer) {
              diffIds.set(i, s.diffId());
              ChainId c = s.chainId();
              if (locked.add(c)) {
                chainLocks.add(store.locks().lock(GarbageCollector.chainLock(c)));
              }
              Optional<LayerRecord> existing = known.containsKey(c) ? Optional.empty() : layer(c);
              if (known.containsKey(c) || existing.isPresent()) {
                // Same content as a layer we already have: keep that one.
                staging.discard(s);
                staged.remove(s);
                next =
                    known.containsKey(c)
                        ? known.get(c)
                        : new LayerStaging.Parent(c, existing.get().cacheId());
              }
            }
            if (next == null) {
              next = new LayerStaging.Parent(s.chainId(), s.cacheId());
            }
          }
          known.put(next.chainId(), next);
          parent = next;
        }
        if (legacy) {
          config = finishLegacyConfig(config, diffIds, index.source());
        }
        resolved.put(item.layers(), diffIds);
        finalConfigs.add(config);
      }
      extractAll(
          index,
          staging,
          jobs,
          !index.keepsCompletedLayers()
              ? null
              : j -> {
                // From here on the change owns it (published, or finished after a crash).
                staged.remove(j.staged());
                publishLayer(j.staged());
                publishedEarly.add(j.staged());
              });
      List<LoadedImage> out = new ArrayList<>();
      Map<ImageId, ImageId> parents = new LinkedHashMap<>();
      List<Map.Entry<Reference, ImageId>> tags = new ArrayList<>();
      for (int k = 0; k < items.size(); k++) {
        ImageId id = finalConfigs.get(k).id();
        List<String> tagNames = new ArrayList<>();
        for (Reference ref : items.get(k).tags()) {
          tags.add(Map.entry(ref, id));
          tagNames.add(ref.familiarString());
        }
        out.add(new LoadedImage(id, tagNames));
      }
      for (int k = 0; k < items.size(); k++) {
        ImageId id = out.get(k).id();
        ImageId parentId = items.get(k).parent();
        if (parentId == null) {
          continue;
        }
        boolean inArchive =
            out.stream().anyMatch(l -> l.id().equals(parentId) && !l.id().equals(id));
        if (inArchive && validParent(finalConfigs.get(k), configOf(out, finalConfigs, parentId))) {
          parents.put(id, parentId);
        }
      }
      List<LayerStaging.Staged> publishing = new ArrayList<>(staged);
      staged.clear(); // from here on the change owns them (published, or finished after a crash)
      publish(publishing, finalConfigs, parents, tags);
      return out;
    } catch (IOException | RuntimeException | Error e) {
      failure = e;
      staging.discardAll(staged, e);
      throw e;
    } finally {
      for (StoreLocks.Held l : chainLocks) {
        l.close();
      }
      if (failure != null && !publishedEarly.isEmpty() && contentIsBad(failure)) {
        removeEarly(publishedEarly, failure);
      }
    }
  }

  /** Publishes one completed layer, no image referencing it yet. */
  private void publishLayer(LayerStaging.Staged s) throws IOException {
    store.publisher().publish(Transaction.builder("pull-layer"), List.of(s), List.of());
  }

  /**
   * Whether {@code failure} says the source's content is bad (a layer that does not hash to its
   * digest or diffID, an invalid archive), so that what came from it must not stay; a network
   * failure or an interrupt says nothing of the content.
   */
  static boolean contentIsBad(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof DigestMismatchException || t instanceof InvalidArchiveException) {
        return true;
      }
    }
    return false;
  }

  /**
   * Removes the layers published early (children first) that nothing uses, now that the chain locks
   * are released: a layer another load has meanwhile locked, or an image uses, is kept, as prune
   * would keep it. A failure here is added to {@code failure}; the layers then stay for prune.
   */
  private void removeEarly(List<LayerStaging.Staged> early, Throwable failure) {
    Transaction.Builder b = Transaction.builder("pull-failed");
    for (int i = early.size() - 1; i >= 0; i--) {
      b.release(early.get(i).chainId(), early.get(i).cacheId());
    }
    try (StoreLocks.Held l = store.transactions().lockStore()) {
      List<ChainId> deleted = store.transactions().run(b.build()).deletedLayers();
      LOG.debug("{} layer(s) of a failed pull removed: {}", deleted.size(), deleted);
    } catch (IOException | RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  /** The registered layer {@code chainId}, after finishing changes dead processes left. */
  private Optional<LayerRecord> layer(ChainId chainId) throws IOException {
    store.transactions().settle();
    return store.layerDb().get(chainId);
  }

  /**
   * Publishes, as one change: the staged layers (base first), the image configs, their parents and
   * the tags. Atomic: after a crash the store shows all of it or none of it.
   */
  private void publish(
      List<LayerStaging.Staged> layers,
      List<ImageConfig> images,
      Map<ImageId, ImageId> parents,
      List<Map.Entry<Reference, ImageId>> tags)
      throws IOException {
    Transaction.Builder b = Transaction.builder("load");
    for (ImageConfig c : images) {
      b.image(c.raw());
    }
    parents.forEach(b::parent);
    store.publisher().publish(b, layers, tags);
  }

  /** One prepared layer waiting for its content. */
  private record Job(
      LayerStaging.Staged staged,
      long size,
      String source,
      String name,
      int index,
      DiffId expected,
      LayerStaging.ImageBudget budget) {}

  /** Told, in chain order, of each job complete and checked, as are all the jobs before it. */
  private interface Completed {
    void accept(Job job) throws IOException;
  }

  /**
   * Fills every prepared layer, several at a time (each layer is one independent stream: its own
   * decompression, hashing, tar-split and files), then checks what the unpackers could not look at
   * while their lower layers were still being written. The first failure in chain order is thrown,
   * the others added to it as suppressed.
   *
   * <p>With {@code completed}, each job is checked and handed to it as soon as it and every job
   * before it (its lower layers among them) have finished, while later ones still run; a failure
   * then stops the handing over, so no layer is handed over whose lower layers failed.
   */
  private void extractAll(
      LayerBlobs index, LayerStaging staging, List<Job> jobs, Completed completed)
      throws IOException {
    if (jobs.isEmpty()) {
      return;
    }
    int threads = Math.max(1, Math.min(jobs.size(), index.parallelism()));
    long t0 = System.nanoTime();
    List<LayerStaging.DeferredLowers> deferred = new ArrayList<>();
    for (Job j : jobs) {
      deferred.add(new LayerStaging.DeferredLowers(j.source()));
    }
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "layerstore-load");
              t.setDaemon(true);
              return t;
            });
    List<Future<?>> futures = new ArrayList<>();
    AtomicBoolean failed = new AtomicBoolean();
    int checked = 0; // jobs whose deferred checks were made already
    try {
      // Largest first, so a big layer does not start last and run alone.
      List<Integer> order = new ArrayList<>();
      for (int k = 0; k < jobs.size(); k++) {
        order.add(k);
      }
      order.sort((a, b) -> Long.compare(jobs.get(b).size(), jobs.get(a).size()));
      Map<Integer, Future<?>> byJob = new HashMap<>();
      for (int k : order) {
        Job j = jobs.get(k);
        LayerStaging.DeferredLowers d = deferred.get(k);
        byJob.put(
            k,
            pool.submit(
                () -> {
                  if (failed.get()) {
                    return null; // another layer already failed; the load is over
                  }
                  try (InputStream in = index.open(j.name())) {
                    staging.extract(j.staged(), in, j.source(), j.expected(), j.budget(), d);
                  } catch (DigestMismatchException e) {
                    failed.set(true);
                    throw new DigestMismatchException(
                        e.expected(),
                        e.actual(),
                        index.source()
                            + ": invalid diffID for layer "
                            + j.index()
                            + " ("
                            + j.name()
                            + ")");
                  } catch (IOException | RuntimeException | Error e) {
                    failed.set(true);
                    throw e;
                  }
                  index.staged(j.name()); // after close, which checks the blob's last bytes
                  return null;
                }));
      }
      for (int k = 0; k < jobs.size(); k++) {
        futures.add(byJob.get(k));
      }
      Throwable first = null;
      for (int k = 0; k < futures.size(); k++) {
        try {
          futures.get(k).get();
          if (completed != null && first == null) {
            staging.checkDeferredLowers(jobs.get(k).staged(), deferred.get(k));
            checked = k + 1;
            completed.accept(jobs.get(k));
          }
        } catch (IOException | RuntimeException | Error e) {
          failed.set(true);
          if (first == null) {
            first = e;
          } else {
            first.addSuppressed(e);
          }
        } catch (ExecutionException e) {
          if (first == null) {
            first = e.getCause();
          } else {
            first.addSuppressed(e.getCause());
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          failed.set(true);
          pool.shutdownNow();
          throw new InterruptedIOException("interrupted while loading " + index.source());
        }
      }
      if (first instanceof IOException) {
        throw (IOException) first;
      }
      if (first instanceof RuntimeException) {
        throw (RuntimeException) first;
      }
      if (first instanceof Error) {
        throw (Error) first;
      }
    } finally {
      pool.shutdown();
    }
    long t1 = System.nanoTime();
    for (int k = checked; k < jobs.size(); k++) {
      staging.checkDeferredLowers(jobs.get(k).staged(), deferred.get(k));
    }
    LOG.debug(
        "{}: extracted {} layer(s) on {} thread(s) in {} ms, lower-layer checks {} ms",
        index.source(),
        jobs.size(),
        threads,
        (t1 - t0) / 1_000_000,
        (System.nanoTime() - t1) / 1_000_000);
  }

  private static ImageConfig configOf(
      List<LoadedImage> loaded, List<ImageConfig> configs, ImageId id) {
    for (int i = 0; i < loaded.size(); i++) {
      if (loaded.get(i).id().equals(id)) {
        return configs.get(i);
      }
    }
    return null;
  }

  /** Docker's rule: the parent's history is the child's minus its last entry (or both empty). */
  private static boolean validParent(ImageConfig child, ImageConfig parent) {
    if (child == null || parent == null) {
      return false;
    }
    if (child.history().isEmpty() && parent.history().isEmpty()) {
      return true;
    }
    if (child.history().size() - parent.history().size() != 1) {
      return false;
    }
    for (int i = 0; i < parent.history().size(); i++) {
      if (!parent.history().get(i).equals(child.history().get(i))) {
        return false;
      }
    }
    return true;
  }

  private ImageConfig finishLegacyConfig(ImageConfig pending, List<DiffId> diffIds, String src)
      throws IOException {
    ObjectNode c = pending.json();
    ArrayNode ids = c.with("rootfs").putArray("diff_ids");
    diffIds.forEach(d -> ids.add(d.toString()));
    // rootfs is marshalled from Docker's RootFS struct: type, then diff_ids.
    ObjectNode rootfs = json.createObjectNode();
    rootfs.put("type", "layers");
    rootfs.set("diff_ids", ids);
    c.set("rootfs", rootfs);
    StringBuilder sb = new StringBuilder("{");
    List<String> keys = new ArrayList<>();
    c.fieldNames().forEachRemaining(keys::add);
    keys.sort(GoJson::compareUtf8);
    for (int i = 0; i < keys.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      GoJson.appendQuoted(sb, keys.get(i));
      sb.append(':').append(GoJson.write(c.get(keys.get(i))));
    }
    sb.append('}');
    return ImageConfig.parse(sb.toString().getBytes(StandardCharsets.UTF_8), src, json);
  }
}
