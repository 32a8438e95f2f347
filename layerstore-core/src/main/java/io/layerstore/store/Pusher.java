package io.layerstore.store;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.NotFoundException;
import io.layerstore.PushOptions;
import io.layerstore.Reference;
import io.layerstore.TransferEvent;
import io.layerstore.archive.Compression;
import io.layerstore.archive.ParallelGzip;
import io.layerstore.format.Descriptor;
import io.layerstore.format.ImageConfig;
import io.layerstore.format.MediaTypes;
import io.layerstore.format.OciManifest;
import io.layerstore.registry.RepositorySession;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes an image of the store to a registry ({@code LayerStore.push}), as {@code docker push}
 * does: each layer (up to {@code maxConcurrentUploads} at once) is skipped when the repository has
 * its blob, mounted when the store recorded the blob in another repository of the same registry,
 * else rebuilt from the store ({@link LayerRebuilder}), compressed and uploaded; then the config,
 * then the manifest.
 *
 * <p>The blob a layer was pulled or loaded with (its digest in the image's kept manifest, checked
 * against Docker's distribution metadata) is preferred to a new one: when every layer is pushed as
 * that blob, the kept manifest bytes are pushed unchanged, so a pull then a push elsewhere keeps
 * the manifest digest and uploads no layer. A layer compressed here goes through {@link
 * ParallelGzip}, whose bytes depend on the layer alone, so pushing it again (from any machine)
 * gives the same blob. What is pushed is recorded afterwards (distribution metadata, and a new
 * manifest as the image's wire form) for the next push.
 *
 * <p>A layer compressed here is uploaded as it is compressed ({@link
 * RepositorySession#putBlob(String, io.layerstore.registry.BlobWriter)}): the digest, which the
 * registry needs only to close the upload, is computed on the way, so compression and upload
 * overlap and nothing is spooled to disk. The layer's tar is rebuilt on the pushing thread while
 * the compressor's pool deflates the blocks it has been handed, so rebuilding and compressing run
 * in parallel too.
 */
public final class Pusher {
  private static final Logger LOG = LoggerFactory.getLogger(Pusher.class);

  private static final int ZSTD_LEVEL = 3;

  private final StoreContext store;
  private final PushOptions.LayerCompression compression;
  private final int gzipLevel;
  private final Consumer<TransferEvent> tell;
  private final LayerRebuilder rebuilder;

  /** The repositories layers of this push were mounted from. */
  private final Set<String> mountedFrom = ConcurrentHashMap.newKeySet();

  /** A layer's gzip blob kept on this machine (an image build's), uploaded as it is. */
  public record KeptBlob(Digest digest, long size, Path file) {}

  /** Where kept gzip blobs are looked up by diffID; the blob must be checked already. */
  public interface KeptBlobs {
    /** Knows no blob. */
    KeptBlobs NONE = diffId -> Optional.empty();

    Optional<KeptBlob> gzipOf(DiffId diffId);
  }

  private final KeptBlobs kept;

  /**
   * A pusher that compresses as {@code options} say, and uploads the gzip blobs {@code kept} has
   * for a layer instead of compressing the layer again (a build keeps the blob it made while it
   * stored the layer).
   */
  public Pusher(StoreContext store, PushOptions options, KeptBlobs kept) {
    this.store = store;
    this.compression = options.compression();
    this.gzipLevel = options.gzipLevel();
    this.tell = ProgressStream.safely(options.listener());
    this.rebuilder = new LayerRebuilder(store.layerDb(), store.driver());
    this.kept = kept;
  }

  /** The wire form kept for the image, and which of its layer blobs are known to be its layers. */
  private record Kept(Descriptor manifest, byte[] raw, List<Descriptor> layers) {
    /** Whether {@code pushed} are the kept layer blobs, one for one. */
    boolean same(List<Descriptor> pushed) {
      for (int i = 0; i < layers.size(); i++) {
        if (layers.get(i) == null || !layers.get(i).digest().equals(pushed.get(i).digest())) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Pushes the image whose config is {@code config} as {@code ref} (a tag).
   *
   * @return the digest of the manifest the registry acknowledged
   */
  public Digest push(Reference ref, ImageConfig config) throws IOException {
    List<LayerRecord> layers = new ArrayList<>();
    for (ChainId c : ChainId.chain(config.diffIds())) {
      layers.add(
          store
              .layerDb()
              .get(c)
              .orElseThrow(
                  () ->
                      new NotFoundException(
                          "layer " + c + " of image " + config.id() + " is gone")));
    }
    RepositorySession session = store.registry().session(ref, true);
    String here = session.registry() + "/" + session.repository();
    Kept kept = kept(config);
    List<Descriptor> pushed = pushLayers(session, here, layers, kept);

    boolean oci = compression == PushOptions.LayerCompression.ZSTD;
    Descriptor configBlob =
        Descriptor.of(
            oci ? MediaTypes.OCI_CONFIG : MediaTypes.DOCKER_CONFIG,
            config.id().digest(),
            config.raw().length);
    if (!session.hasBlob(configBlob.digest()) && !mountConfig(session, configBlob.digest())) {
      byte[] raw = config.raw();
      session.putBlob(configBlob.digest(), raw.length, () -> new ByteArrayInputStream(raw));
    }

    Descriptor manifest;
    byte[] raw;
    if (kept != null && kept.same(pushed)) {
      manifest = kept.manifest();
      raw = kept.raw();
    } else {
      String type = oci ? MediaTypes.OCI_MANIFEST : MediaTypes.DOCKER_MANIFEST;
      raw = manifestJson(type, configBlob, pushed).getBytes(StandardCharsets.UTF_8);
      manifest = Descriptor.of(type, Digest.of(raw), raw.length);
    }
    Digest acknowledged = session.putManifest(ref.tag(), manifest.mediaType(), raw);
    LOG.debug("{}:{} is {} ({} layers)", here, ref.tag(), acknowledged, pushed.size());
    tell(TransferEvent.of(TransferEvent.Kind.MANIFEST_PUSHED, acknowledged, raw.length));

    DistributionMetadata dist = store.distribution();
    for (int i = 0; i < layers.size(); i++) {
      dist.add(
          layers.get(i).diffId(), new DistributionMetadata.Entry(pushed.get(i).digest(), here, ""));
    }
    if (kept == null || !kept.same(pushed)) {
      // The next push of this image reuses these blobs and this manifest.
      store.bigData().putBlob(manifest, raw);
      store.bigData().putImage(config.id(), new ImageBigData.ImageWire(manifest, List.of()));
    }
    return acknowledged;
  }

  /**
   * Mounts the config from a repository a layer was just mounted from: the image came from there,
   * so its config most likely is there too (the store records where layers are, not configs).
   */
  private boolean mountConfig(RepositorySession session, Digest config) throws IOException {
    for (String from : mountedFrom) {
      if (session.mountBlob(config, from)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The manifest the image was pulled or loaded with, if it is kept and is this image's, with each
   * layer blob that Docker's distribution metadata confirms decompresses to the layer (a blob read
   * and checked when it came); null where it does not.
   */
  private Kept kept(ImageConfig config) throws IOException {
    Optional<ImageBigData.ImageWire> wire = store.bigData().image(config.id());
    if (wire.isEmpty()) {
      return null;
    }
    Optional<byte[]> raw = store.bigData().blob(wire.get().manifest().digest());
    if (raw.isEmpty()) {
      return null;
    }
    Descriptor m = wire.get().manifest();
    OciManifest parsed =
        OciManifest.parse(raw.get(), m.mediaType(), "kept manifest " + m.digest(), store.json());
    if (!parsed.config().digest().equals(config.id().digest())
        || parsed.layers().size() != config.diffIds().size()) {
      return null;
    }
    List<Descriptor> layers = new ArrayList<>();
    for (int i = 0; i < parsed.layers().size(); i++) {
      Descriptor l = parsed.layers().get(i);
      boolean compressed =
          MediaTypes.layerCompression(l.mediaType()).orElse(Compression.NONE) != Compression.NONE;
      Optional<DiffId> d = store.distribution().diffId(l.digest());
      layers.add(compressed && d.isPresent() && d.get().equals(config.diffIds().get(i)) ? l : null);
    }
    return new Kept(m, raw.get(), layers);
  }

  /** Pushes every layer, several at once; the descriptors of the blobs pushed, in layer order. */
  private List<Descriptor> pushLayers(
      RepositorySession session, String here, List<LayerRecord> layers, Kept kept)
      throws IOException {
    int cores = Runtime.getRuntime().availableProcessors();
    ExecutorService uploads =
        Executors.newFixedThreadPool(
            Math.max(1, Math.min(layers.size(), store.registryOptions().maxConcurrentUploads())),
            daemon("layerstore-push"));
    ExecutorService compressors = Executors.newFixedThreadPool(cores, daemon("layerstore-gzip"));
    try {
      for (LayerRecord l : layers) {
        tell(TransferEvent.of(TransferEvent.Kind.PREPARING, l.diffId().digest(), -1));
      }
      List<Future<Descriptor>> futures = new ArrayList<>();
      for (int i = 0; i < layers.size(); i++) {
        LayerRecord layer = layers.get(i);
        Descriptor known = kept == null ? null : kept.layers().get(i);
        futures.add(
            uploads.submit(() -> pushLayer(session, here, layer, known, compressors, cores)));
      }
      List<Descriptor> out = new ArrayList<>();
      IOException first = null;
      for (Future<Descriptor> f : futures) {
        try {
          out.add(f.get());
        } catch (ExecutionException e) {
          IOException io =
              e.getCause() instanceof IOException x
                  ? x
                  : new IOException("pushing a layer failed: " + e.getCause(), e.getCause());
          if (first == null) {
            first = io;
            futures.forEach(g -> g.cancel(true));
          } else if (first != io) {
            first.addSuppressed(io);
          }
        } catch (java.util.concurrent.CancellationException e) {
          // cancelled after the first failure, which is thrown below
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while pushing to " + here);
        }
      }
      if (first != null) {
        throw first;
      }
      return out;
    } finally {
      uploads.shutdownNow();
      compressors.shutdownNow();
    }
  }

  private Descriptor pushLayer(
      RepositorySession session,
      String here,
      LayerRecord layer,
      Descriptor known,
      ExecutorService compressors,
      int threads)
      throws IOException {
    Digest id = layer.diffId().digest();
    if (known != null) {
      if (session.hasBlob(known.digest())) {
        tell(TransferEvent.of(TransferEvent.Kind.LAYER_EXISTS, id, known.size()));
        return known;
      }
      Optional<String> from = mountSource(session.registry(), here, layer.diffId(), known.digest());
      if (from.isPresent() && session.mountBlob(known.digest(), from.get())) {
        mountedFrom.add(from.get());
        tell(new TransferEvent(TransferEvent.Kind.MOUNTED, id, 0, known.size(), from.get()));
        return known;
      }
    }
    Optional<KeptBlob> local =
        compression == PushOptions.LayerCompression.GZIP
            ? kept.gzipOf(layer.diffId())
            : Optional.empty();
    if (local.isPresent()) {
      KeptBlob b = local.get();
      return upload(session, id, Descriptor.of(layerType(), b.digest(), b.size()), b.file());
    }
    // One pass: the layer is rebuilt, compressed and uploaded at once, its blob's digest known
    // only at the end; a failed attempt rebuilds and compresses it again (the same bytes).
    long t0 = System.nanoTime();
    Descriptor blob =
        session.putBlob(
            layerType(),
            out -> {
              try (OutputStream compressed = compressor(out, compressors, threads)) {
                rebuilder.rebuild(
                    layer, ProgressStream.pushing(compressed, id, layer.size(), tell));
              }
            });
    LOG.debug(
        "{}: layer {} compressed and uploaded as {} ({} bytes) in {} ms",
        here,
        layer.chainId(),
        blob.digest(),
        blob.size(),
        (System.nanoTime() - t0) / 1_000_000);
    tell(TransferEvent.of(TransferEvent.Kind.PUSHED, id, blob.size()));
    return blob;
  }

  /** Uploads the compressed layer in {@code file}, unless the repository has its blob already. */
  private Descriptor upload(RepositorySession session, Digest id, Descriptor blob, Path file)
      throws IOException {
    long size = blob.size();
    if (session.hasBlob(blob.digest())) {
      // Deterministic compression: someone pushed this very layer before.
      tell(TransferEvent.of(TransferEvent.Kind.LAYER_EXISTS, id, size));
      return blob;
    }
    session.putBlob(
        blob.digest(),
        size,
        () -> ProgressStream.upload(Files.newInputStream(file), id, size, this::tell));
    tell(TransferEvent.of(TransferEvent.Kind.PUSHED, id, size));
    return blob;
  }

  /**
   * Another repository of this registry where the store recorded {@code blob} as {@code diffId}'s
   * (the newest first), to mount it from; empty if none.
   */
  private Optional<String> mountSource(String registry, String here, DiffId diffId, Digest blob)
      throws IOException {
    List<DistributionMetadata.Entry> entries = store.distribution().entries(diffId);
    for (int i = entries.size() - 1; i >= 0; i--) {
      DistributionMetadata.Entry e = entries.get(i);
      String repo = e.sourceRepository();
      if (e.digest().equals(blob) && repo.startsWith(registry + "/") && !repo.equals(here)) {
        return Optional.of(repo.substring(registry.length() + 1));
      }
    }
    return Optional.empty();
  }

  private OutputStream compressor(OutputStream out, ExecutorService pool, int threads)
      throws IOException {
    return compression == PushOptions.LayerCompression.ZSTD
        ? new ZstdOutputStreamNoFinalizer(out, ZSTD_LEVEL)
        : new ParallelGzip(out, pool, threads, gzipLevel);
  }

  private String layerType() {
    return compression == PushOptions.LayerCompression.ZSTD
        ? MediaTypes.OCI_LAYER_ZSTD
        : MediaTypes.DOCKER_LAYER_GZIP;
  }

  /**
   * A manifest as {@code docker push} writes one (Go's {@code json.MarshalIndent} with three
   * spaces, no trailing newline).
   */
  static String manifestJson(String type, Descriptor config, List<Descriptor> layers) {
    StringBuilder sb = new StringBuilder();
    sb.append("{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"").append(type).append("\",\n");
    sb.append("   \"config\": ");
    descriptor(sb, config, "   ");
    sb.append(",\n   \"layers\": [");
    for (int i = 0; i < layers.size(); i++) {
      sb.append(i == 0 ? "\n      " : ",\n      ");
      descriptor(sb, layers.get(i), "      ");
    }
    sb.append(layers.isEmpty() ? "]\n}" : "\n   ]\n}");
    return sb.toString();
  }

  private static void descriptor(StringBuilder sb, Descriptor d, String indent) {
    sb.append("{\n")
        .append(indent)
        .append("   \"mediaType\": \"")
        .append(d.mediaType())
        .append("\",\n")
        .append(indent)
        .append("   \"size\": ")
        .append(d.size())
        .append(",\n")
        .append(indent)
        .append("   \"digest\": \"")
        .append(d.digest())
        .append("\"\n")
        .append(indent)
        .append('}');
  }

  private void tell(TransferEvent e) {
    tell.accept(e);
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
