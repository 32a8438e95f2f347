package io.layerstore.store;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.InvalidReferenceException;
import io.layerstore.Reference;
import io.layerstore.archive.Compression;
import io.layerstore.format.Descriptor;
import io.layerstore.format.ImageConfig;
import io.layerstore.format.MediaTypes;
import io.layerstore.format.OciPlatform;
import io.layerstore.gocompat.GoJson;
import io.layerstore.spi.GraphDriver;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes an OCI image layout of saved images, as a tar or as a directory, laid out as Docker ≥ 25's
 * {@code docker save} lays it out so that OCI tools and older Docker daemons both read it: {@code
 * oci-layout}, {@code index.json} (one entry per tag, named by {@code io.containerd.image.name} and
 * {@code org.opencontainers.image.ref.name}; one without names for an image saved by id), and
 * beside them a {@code manifest.json} and {@code repositories} that point into {@code
 * blobs/sha256/}, where configs, manifests and layers are stored by digest.
 *
 * <p>An uncompressed layer blob is the layer's tar rebuilt from tar-split, byte for byte what
 * {@code docker save} writes, so its digest is the diffID. A compressed one is compressed here with
 * fixed settings (gzip: Java's default level, header without time or name; zstd: level 3, with
 * checksum) into a scratch file first, since its digest and size must be known before the manifest,
 * and the tar's members are in name order. Every member has time zero and owner root, so the same
 * images saved twice give the same bytes.
 */
public final class OciLayoutWriter {

  /** The {@code oci-layout} file, as Docker writes it. */
  static final String OCI_LAYOUT =
      "{\"imageLayoutVersion\": \"" + MediaTypes.LAYOUT_VERSION + "\"}";

  private static final Logger LOG = LoggerFactory.getLogger(OciLayoutWriter.class);
  private static final String BLOBS = "blobs/sha256/";
  private static final int BUFFER = 256 << 10;
  private static final int ZSTD_LEVEL = 3;

  private final LayerDb layerDb;
  private final LayerRebuilder rebuilder;
  private final Compression compression;

  /**
   * @param compression how layer blobs are compressed: {@link Compression#NONE}, {@link
   *     Compression#GZIP} or {@link Compression#ZSTD}
   * @throws IllegalArgumentException for another compression
   */
  public OciLayoutWriter(LayerDb layerDb, GraphDriver driver, Compression compression) {
    MediaTypes.ociLayer(compression); // refuses what OCI has no layer type for
    this.layerDb = layerDb;
    this.rebuilder = new LayerRebuilder(layerDb, driver);
    this.compression = compression;
  }

  /** A blob: its descriptor, and its bytes as archive content. */
  private record Blob(Descriptor descriptor, ArchiveMember.Content content) {}

  /** Content already written to a file of the scratch directory: moved, not copied, into a dir. */
  private record ScratchFile(Path file) implements ArchiveMember.Content {
    @Override
    public long size() throws IOException {
      return Files.size(file);
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
      ArchiveMember.Content.of(file).writeTo(out);
    }
  }

  /**
   * Writes the layout as a tar to {@code out}, which is not closed.
   *
   * @param scratch an empty directory for compressed layers while the tar is written; the caller
   *     deletes it (unused without compression)
   */
  public void writeTar(List<SaveRequest> requests, Path scratch, OutputStream out)
      throws IOException {
    TreeMap<String, ArchiveMember> members = members(requests, scratch);
    members.put("blobs/", ArchiveMember.directory("blobs/", Instant.EPOCH));
    members.put(BLOBS, ArchiveMember.directory(BLOBS, Instant.EPOCH));
    ArchiveMember.writeTar(members.values(), out);
  }

  /**
   * Writes the layout's files into {@code dir}, which must be an empty directory.
   *
   * @param dir where {@code oci-layout}, {@code index.json} and {@code blobs/} go
   */
  public void writeDirectory(List<SaveRequest> requests, Path dir) throws IOException {
    Path blobs = Files.createDirectories(dir.resolve(BLOBS));
    for (ArchiveMember m : members(requests, blobs).values()) {
      Path target = dir.resolve(m.name());
      if (m.content() instanceof ScratchFile f) {
        Files.move(f.file(), target);
      } else {
        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(target), BUFFER)) {
          m.content().writeTo(o);
        }
      }
    }
  }

  /** Every file of the layout, by name: blobs, {@code index.json}, {@code manifest.json}... */
  private TreeMap<String, ArchiveMember> members(List<SaveRequest> requests, Path scratch)
      throws IOException {
    TreeMap<String, ArchiveMember> members = new TreeMap<>();
    List<Descriptor> index = new ArrayList<>();
    StringBuilder manifestJson = new StringBuilder("[");
    TreeMap<String, TreeMap<String, String>> repositories = new TreeMap<>();
    List<SaveRequest.Image> images = SaveRequest.merge(requests);
    Map<DiffId, LayerRecord> distinct = new LinkedHashMap<>();
    for (SaveRequest.Image image : images) {
      List<ChainId> chain = ChainId.chain(image.config().diffIds());
      for (ChainId c : chain) {
        LayerRecord rec = layerDb.require(c);
        distinct.putIfAbsent(rec.diffId(), rec);
      }
    }
    Map<DiffId, Blob> layers = layerBlobs(List.copyOf(distinct.values()), scratch);
    layers.values().forEach(b -> put(members, b));
    for (SaveRequest.Image image : images) {
      ImageConfig config = image.config();
      List<DiffId> diffIds = config.diffIds();
      List<Descriptor> layerDescriptors = new ArrayList<>();
      for (DiffId d : diffIds) {
        layerDescriptors.add(layers.get(d).descriptor());
      }
      Blob configBlob = blob(MediaTypes.OCI_CONFIG, config.raw());
      put(members, configBlob);
      Blob manifest =
          blob(
              MediaTypes.OCI_MANIFEST,
              manifest(configBlob.descriptor(), layerDescriptors).getBytes(StandardCharsets.UTF_8));
      put(members, manifest);
      index.addAll(indexEntries(manifest.descriptor(), image, platform(config)));
      String top = diffIds.isEmpty() ? "" : diffIds.get(diffIds.size() - 1).digest().hex();
      appendManifestEntry(manifestJson, image, diffIds, layerDescriptors, top, repositories);
    }
    manifestJson.append("]\n");
    put(members, "oci-layout", OCI_LAYOUT.getBytes(StandardCharsets.UTF_8));
    put(members, "index.json", index(index).getBytes(StandardCharsets.UTF_8));
    put(members, "manifest.json", manifestJson.toString().getBytes(StandardCharsets.UTF_8));
    if (!repositories.isEmpty()) {
      put(members, "repositories", DockerArchiveWriter.json(repositories));
    }
    return members;
  }

  private static void put(TreeMap<String, ArchiveMember> members, Blob blob) {
    String name = BLOBS + blob.descriptor().digest().hex();
    members.put(name, ArchiveMember.file(name, Instant.EPOCH, blob.content()));
  }

  private static void put(TreeMap<String, ArchiveMember> members, String name, byte[] data) {
    members.put(name, ArchiveMember.file(name, Instant.EPOCH, data));
  }

  private static Blob blob(String mediaType, byte[] data) {
    return new Blob(
        Descriptor.of(mediaType, Digest.of(data), data.length), ArchiveMember.Content.of(data));
  }

  /**
   * The blobs of the layers, by diffID. Compressing is the slow part of a save, and each layer is
   * an independent stream, so compressed layers are made several at a time (largest first, so a big
   * one does not start last and run alone); the first failure is thrown once all have stopped, and
   * the caller deletes the scratch files.
   */
  private Map<DiffId, Blob> layerBlobs(List<LayerRecord> records, Path scratch) throws IOException {
    Map<DiffId, Blob> out = new HashMap<>();
    if (compression == Compression.NONE || records.size() < 2) {
      for (LayerRecord r : records) {
        out.put(r.diffId(), layerBlob(r, scratch));
      }
      return out;
    }
    List<LayerRecord> largestFirst = new ArrayList<>(records);
    largestFirst.sort(Comparator.comparingLong(LayerRecord::size).reversed());
    int threads = Math.min(records.size(), Runtime.getRuntime().availableProcessors());
    ExecutorService pool =
        Executors.newFixedThreadPool(
            Math.max(1, threads),
            r -> {
              Thread t = new Thread(r, "layerstore-save");
              t.setDaemon(true);
              return t;
            });
    try {
      Map<DiffId, Future<Blob>> futures = new LinkedHashMap<>();
      for (LayerRecord r : largestFirst) {
        futures.put(r.diffId(), pool.submit(() -> layerBlob(r, scratch)));
      }
      IOException first = null;
      for (Map.Entry<DiffId, Future<Blob>> e : futures.entrySet()) {
        try {
          out.put(e.getKey(), e.getValue().get());
        } catch (ExecutionException x) {
          IOException cause =
              x.getCause() instanceof IOException io ? io : new IOException(x.getCause());
          if (first == null) {
            first = cause;
            futures.values().forEach(f -> f.cancel(true)); // the save has failed
          } else {
            first.addSuppressed(cause);
          }
        } catch (CancellationException x) {
          // cancelled after another layer failed: that failure is the one to report
        } catch (InterruptedException x) {
          Thread.currentThread().interrupt();
          throw new java.io.InterruptedIOException("interrupted while compressing layers");
        }
      }
      if (first != null) {
        throw first;
      }
      return out;
    } finally {
      pool.shutdownNow();
      try {
        // the scratch files must be closed before the caller deletes them
        pool.awaitTermination(1, java.util.concurrent.TimeUnit.MINUTES);
      } catch (InterruptedException x) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * A layer's blob. Uncompressed, it streams from tar-split when written, and its digest is the
   * diffID (checked as it streams). Compressed, it is compressed now into {@code scratch}, hashing
   * as it goes.
   */
  private Blob layerBlob(LayerRecord rec, Path scratch) throws IOException {
    String type = MediaTypes.ociLayer(compression);
    if (compression == Compression.NONE) {
      ArchiveMember.Content content = rebuilder.content(rec);
      return new Blob(Descriptor.of(type, rec.diffId().digest(), content.size()), content);
    }
    Path file = scratch.resolve(".layer-" + rec.diffId().digest().hex());
    MessageDigest sha = Digest.newSha256();
    try (OutputStream raw = Files.newOutputStream(file);
        DigestOutputStream hashed =
            new DigestOutputStream(new BufferedOutputStream(raw, BUFFER), sha);
        OutputStream compressed = compress(hashed)) {
      rebuilder.rebuild(rec, compressed);
    }
    Digest digest = Digest.fromBytes(sha.digest());
    long size = Files.size(file);
    LOG.debug("layer {}: {} bytes as {} {}", rec.diffId(), rec.size(), type, size);
    return new Blob(Descriptor.of(type, digest, size), new ScratchFile(file));
  }

  /** A compressing stream with fixed settings: the same input always gives the same bytes. */
  private OutputStream compress(OutputStream out) throws IOException {
    if (compression == Compression.GZIP) {
      // Java's header has no name and time zero: nothing of the moment leaks into the blob.
      return new GZIPOutputStream(out, BUFFER);
    }
    ZstdOutputStreamNoFinalizer z = new ZstdOutputStreamNoFinalizer(out, ZSTD_LEVEL);
    z.setChecksum(true);
    return z;
  }

  /** The image's platform from its config, if the config names os and architecture. */
  private static Optional<OciPlatform> platform(ImageConfig config) {
    String os = config.os();
    String arch = config.architecture();
    if (os == null || os.isEmpty() || arch == null || arch.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new OciPlatform(os, arch, config.json().path("variant").asText("")));
  }

  /** The manifest as Go's image-spec types marshal it. */
  private static String manifest(Descriptor config, List<Descriptor> layers) {
    ObjectNode m = JsonNodeFactory.instance.objectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", MediaTypes.OCI_MANIFEST);
    m.set("config", config.toJson());
    ArrayNode ls = m.putArray("layers");
    layers.forEach(l -> ls.add(l.toJson()));
    return GoJson.write(m);
  }

  /**
   * The image's {@code index.json} entries: one per tag, named as Docker names it (the full
   * reference, and the tag alone as the OCI ref name), or a single unnamed one for an image saved
   * by id, so that every saved image is reachable from the index.
   */
  private static List<Descriptor> indexEntries(
      Descriptor manifest, SaveRequest.Image image, Optional<OciPlatform> platform)
      throws InvalidReferenceException {
    List<Descriptor> out = new ArrayList<>();
    if (image.tags().isEmpty()) {
      out.add(
          new Descriptor(
              manifest.mediaType(), manifest.digest(), manifest.size(), Map.of(), platform));
    }
    for (String tag : image.tags()) {
      Reference ref = Reference.parse(tag);
      Map<String, String> names = new LinkedHashMap<>();
      names.put(
          Descriptor.CONTAINERD_IMAGE_NAME, ref.domain() + "/" + ref.path() + ":" + ref.tag());
      names.put(Descriptor.REF_NAME, ref.tag());
      out.add(
          new Descriptor(
              manifest.mediaType(), manifest.digest(), manifest.size(), names, platform));
    }
    return out;
  }

  private static String index(List<Descriptor> entries) {
    ObjectNode idx = JsonNodeFactory.instance.objectNode();
    idx.put("schemaVersion", 2);
    idx.put("mediaType", MediaTypes.OCI_INDEX);
    ArrayNode ms = idx.putArray("manifests");
    entries.forEach(d -> ms.add(d.toJson()));
    return GoJson.write(idx);
  }

  /**
   * Appends the image's {@code manifest.json} entry as Docker ≥ 25 writes it: config and layers as
   * paths into {@code blobs/}, and {@code LayerSources}, by diffID, the descriptor of each layer
   * blob (in the field order of Docker's distribution descriptor), which is how a Docker daemon
   * learns that a compressed blob stands for a diffID.
   */
  private static void appendManifestEntry(
      StringBuilder sb,
      SaveRequest.Image image,
      List<DiffId> diffIds,
      List<Descriptor> layers,
      String top,
      TreeMap<String, TreeMap<String, String>> repositories) {
    ImageId id = image.id();
    if (sb.length() > 1) {
      sb.append(',');
    }
    sb.append("{\"Config\":").append(GoJson.quote(BLOBS + id.digest().hex()));
    sb.append(",\"RepoTags\":");
    DockerArchiveWriter.appendRepoTags(sb, image.tags(), top, repositories);
    List<String> paths = new ArrayList<>();
    TreeMap<String, Descriptor> sources = new TreeMap<>();
    for (int i = 0; i < layers.size(); i++) {
      paths.add(BLOBS + layers.get(i).digest().hex());
      sources.put(diffIds.get(i).toString(), layers.get(i));
    }
    sb.append(",\"Layers\":");
    DockerArchiveWriter.appendStrings(sb, paths);
    if (!sources.isEmpty()) {
      sb.append(",\"LayerSources\":{");
      boolean first = true;
      for (Map.Entry<String, Descriptor> e : sources.entrySet()) {
        Descriptor d = e.getValue();
        sb.append(first ? "" : ",").append(GoJson.quote(e.getKey()));
        sb.append(":{\"mediaType\":").append(GoJson.quote(d.mediaType()));
        sb.append(",\"size\":").append(d.size());
        sb.append(",\"digest\":").append(GoJson.quote(d.digest().toString())).append('}');
        first = false;
      }
      sb.append('}');
    }
    sb.append('}');
  }
}
