package io.layerstore.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.InvalidArchiveException;
import io.layerstore.InvalidReferenceException;
import io.layerstore.LoadedImage;
import io.layerstore.Reference;
import io.layerstore.archive.Compression;
import io.layerstore.format.Descriptor;
import io.layerstore.format.ImageConfig;
import io.layerstore.format.MediaTypes;
import io.layerstore.format.OciIndex;
import io.layerstore.format.OciLayout;
import io.layerstore.format.OciManifest;
import io.layerstore.format.OciPlatform;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads the images of an OCI image layout (a directory or a tar of one): {@code index.json}, its
 * manifests and nested indexes (OCI and Docker schema 2 media types), configs and layers, every
 * blob checked against its descriptor's size and digest and every layer against the config's diffID
 * as well. From a multi-platform index it takes the platform asked for (the host's by default) the
 * way containerd ranks them, or, keeping all platforms, every image of the index, and then records
 * which index the reference stands for.
 *
 * <p>Everything is read and checked before anything is staged, and the staging and publishing are
 * those of a {@code docker save} load ({@link DockerArchiveLoader#loadItems}): all or nothing, the
 * store unchanged by a refused layout. What the wire form needs later is written once the images
 * are published: Docker's distribution metadata for each compressed layer read, and the manifest
 * and index bytes ({@link ImageBigData}).
 */
public final class OciLayoutLoader {
  private static final Logger LOG = LoggerFactory.getLogger(OciLayoutLoader.class);

  /** How deep indexes may nest below {@code index.json}. */
  static final int MAX_DEPTH = 8;

  /**
   * Which images to take from a multi-platform index; {@code asked} when the caller named the
   * platform ({@code --platform}), which a single-platform image must then be for, as Docker's
   * {@code load --platform} requires. Without it a single image of any platform loads, as {@code
   * docker load} takes one.
   */
  public record Selection(OciPlatform platform, boolean allPlatforms, boolean asked) {
    /** The host's platform only. */
    public static Selection host() {
      return new Selection(OciPlatform.host(), false, false);
    }
  }

  /** One image found: its manifest, config, reference, and the indexes that led to it. */
  private record Found(
      Descriptor manifest,
      byte[] manifestRaw,
      OciManifest parsed,
      ImageConfig config,
      Reference reference,
      List<Descriptor> indexes,
      String where) {}

  /** An index descriptor and bytes met on the way, kept with the images below it. */
  private record Met(Descriptor descriptor, byte[] raw, OciIndex index) {}

  private final StoreContext store;
  private final ObjectMapper json;
  private final Selection selection;

  public OciLayoutLoader(StoreContext store, Selection selection) {
    this.store = store;
    this.json = store.json();
    this.selection = selection;
  }

  /** Loads every image {@code layout} holds (as {@link #selection} picks them). */
  public List<LoadedImage> load(OciLayout layout) throws IOException {
    ImageSource src = source(layout);
    OciIndex top = OciIndex.parse(layout.indexJson(), null, src.source() + ": index.json", json);
    List<Found> found = new ArrayList<>();
    Map<Digest, Met> indexes = new LinkedHashMap<>();
    Map<Reference, Descriptor> referencedIndexes = new LinkedHashMap<>();
    Set<Descriptor> chosen = chosenPlatformManifests(top);
    for (int i = 0; i < top.manifests().size(); i++) {
      Descriptor d = top.manifests().get(i);
      String where = "index.json manifests[" + i + "] (" + d.digest() + ")";
      Reference ref = reference(d, src.source(), where);
      if (isPlatformManifest(d) && !selection.allPlatforms() && !chosen.contains(d)) {
        continue; // another platform of an image that index.json lists platform by platform
      }
      int before = found.size();
      resolve(src, d, where, ref, List.of(), 1, indexes, found);
      if (MediaTypes.isIndex(d.mediaType()) && selection.allPlatforms() && ref != null) {
        referencedIndexes.put(ref, d);
      }
      LOG.debug("{}: {} gave {} image(s)", src.source(), where, found.size() - before);
    }
    if (found.isEmpty()) {
      throw new InvalidArchiveException(
          src.source(),
          "index.json",
          "no image for platform " + selection.platform() + " in the layout");
    }
    return publish(src, checkAsked(src, found), indexes, referencedIndexes);
  }

  /**
   * Loads what {@code top} describes, tagged {@code ref}: a pull. A manifest is one image; from an
   * index, the images {@link #selection} picks (the reference then stands for the index when every
   * platform is kept).
   */
  List<LoadedImage> load(ImageSource src, Descriptor top, Reference ref) throws IOException {
    List<Found> found = new ArrayList<>();
    Map<Digest, Met> indexes = new LinkedHashMap<>();
    Map<Reference, Descriptor> referencedIndexes = new LinkedHashMap<>();
    resolve(src, top, top.digest().toString(), ref, List.of(), 1, indexes, found);
    if (MediaTypes.isIndex(top.mediaType()) && selection.allPlatforms()) {
      referencedIndexes.put(ref, top);
    }
    return publish(src, checkAsked(src, found), indexes, referencedIndexes);
  }

  /** With a platform asked for, every image found must be for it (docker's --platform rule). */
  private List<Found> checkAsked(ImageSource src, List<Found> found)
      throws InvalidArchiveException {
    if (selection.asked() && !selection.allPlatforms()) {
      for (Found f : found) {
        if (selection.platform().acceptable().stream().noneMatch(p -> runsOn(f, p))) {
          throw new InvalidArchiveException(
              src.source(),
              f.where(),
              "the image is for "
                  + platformOf(f)
                  + ", not for the platform asked for, "
                  + selection.platform());
        }
      }
    }
    return found;
  }

  /** A layout as a source of blobs, each checked against its descriptor as it is read. */
  private static ImageSource source(OciLayout layout) {
    return new ImageSource() {
      @Override
      public String source() {
        return layout.source();
      }

      @Override
      public byte[] read(Descriptor d, String where, int limit) throws IOException {
        return layout.readBlob(d, where, limit);
      }

      @Override
      public void checkLayer(Descriptor d, String where) throws IOException {
        layout.checkBlob(d, where); // there, no link, the size declared: before any lock
      }

      @Override
      public InputStream openLayer(Descriptor d, String where) throws IOException {
        return layout.openBlob(d, where);
      }
    };
  }

  private static boolean isPlatformManifest(Descriptor d) {
    return MediaTypes.isManifest(d.mediaType()) && d.platform().isPresent();
  }

  /**
   * Some tools list an image's platforms in {@code index.json} itself, one manifest entry each,
   * under one reference name: of each such group, the entry an index would give ({@link
   * OciIndex#select}, containerd's ranking), so that an amd64 host takes amd64 and not also 386.
   */
  private Set<Descriptor> chosenPlatformManifests(OciIndex top) {
    Map<Optional<String>, List<Descriptor>> groups = new LinkedHashMap<>();
    for (Descriptor d : top.manifests()) {
      if (isPlatformManifest(d)) {
        groups.computeIfAbsent(d.referenceName(), k -> new ArrayList<>()).add(d);
      }
    }
    Set<Descriptor> out = new HashSet<>();
    for (List<Descriptor> group : groups.values()) {
      new OciIndex(top.mediaType(), group).select(selection.platform()).ifPresent(out::add);
    }
    return out;
  }

  /**
   * Follows one descriptor: a manifest is an image; an index is read, and its entries for the
   * wanted platform (or all of them) followed in turn, at most {@value #MAX_DEPTH} deep.
   */
  private void resolve(
      ImageSource images,
      Descriptor d,
      String where,
      Reference ref,
      List<Descriptor> path,
      int depth,
      Map<Digest, Met> indexes,
      List<Found> found)
      throws IOException {
    String src = images.source();
    if (MediaTypes.isManifest(d.mediaType())) {
      found.add(image(images, d, where, ref, path));
      return;
    }
    if (!MediaTypes.isIndex(d.mediaType())) {
      throw unknownType(src, where, d, "an image manifest or index");
    }
    for (Descriptor p : path) {
      if (p.digest().equals(d.digest())) {
        throw new InvalidArchiveException(
            src, where, "index " + d.digest() + " refers to itself (directly or through others)");
      }
    }
    if (depth > MAX_DEPTH) {
      throw new InvalidArchiveException(
          src, where, "indexes nest deeper than " + MAX_DEPTH + " levels at " + d.digest());
    }
    byte[] raw = images.read(d, where, OciManifest.MAX_BYTES);
    OciIndex index = OciIndex.parse(raw, d.mediaType(), src + ": index " + d.digest(), json);
    indexes.putIfAbsent(d.digest(), new Met(d, raw, index));
    List<Descriptor> below = new ArrayList<>(path);
    below.add(d);
    List<Descriptor> take = new ArrayList<>();
    if (selection.allPlatforms()) {
      for (Descriptor e : index.manifests()) {
        if (!isAttachment(e)) {
          take.add(e);
        }
      }
    } else {
      Optional<Descriptor> chosen = index.select(selection.platform());
      if (chosen.isEmpty()) {
        throw new InvalidArchiveException(
            src,
            where,
            "index "
                + d.digest()
                + " has no image for platform "
                + selection.platform()
                + " (it has: "
                + platforms(index)
                + ")");
      }
      take.add(chosen.get());
    }
    for (Descriptor e : take) {
      int k = index.manifests().indexOf(e);
      resolve(
          images,
          e,
          where + " > manifests[" + k + "] (" + e.digest() + ")",
          ref,
          below,
          depth + 1,
          indexes,
          found);
    }
  }

  /**
   * Whether an index entry is not an image but something attached to one: buildkit's attestation
   * manifests ({@code vnd.docker.reference.type}, platform {@code unknown/unknown}), which no
   * platform selects and which have no file system to load.
   */
  private static boolean isAttachment(Descriptor e) {
    return e.annotations().containsKey("vnd.docker.reference.type")
        || e.platform().map(p -> p.os().equals("unknown")).orElse(false);
  }

  /** The platforms of an index's entries, for messages and {@code inspect}. */
  public static List<String> platforms(OciIndex index) {
    List<String> out = new ArrayList<>();
    for (Descriptor d : index.manifests()) {
      out.add(d.platform().map(OciPlatform::toString).orElse("unknown"));
    }
    return out;
  }

  /** Reads and checks one image: manifest, config, layer descriptors. */
  private Found image(
      ImageSource images, Descriptor d, String where, Reference ref, List<Descriptor> path)
      throws IOException {
    String src = images.source();
    byte[] raw = images.read(d, where, OciManifest.MAX_BYTES);
    OciManifest m = OciManifest.parse(raw, d.mediaType(), src + ": manifest " + d.digest(), json);
    String configWhere = where + " > config (" + m.config().digest() + ")";
    if (!MediaTypes.isConfig(m.config().mediaType())) {
      throw unknownType(src, configWhere, m.config(), "an image config");
    }
    byte[] configRaw = images.read(m.config(), configWhere, ImageConfig.MAX_BYTES);
    ImageConfig config = ImageConfig.parse(configRaw, src + ": " + configWhere, json);
    String os = config.os();
    if (os != null && !os.isEmpty() && !os.equals("linux")) {
      throw new InvalidArchiveException(src, configWhere, "cannot load " + os + " image on linux");
    }
    for (int i = 0; i < m.layers().size(); i++) {
      Descriptor l = m.layers().get(i);
      String layerWhere = where + " > layers[" + i + "] (" + l.digest() + ")";
      if (MediaTypes.layerCompression(l.mediaType()).isEmpty()) {
        throw unknownType(src, layerWhere, l, "a tar layer (plain, gzip or zstd)");
      }
      images.checkLayer(l, layerWhere);
    }
    if (m.layers().size() != config.diffIds().size()) {
      throw new InvalidArchiveException(
          src,
          where,
          "manifest "
              + d.digest()
              + " has "
              + m.layers().size()
              + " layers, but its config lists "
              + config.diffIds().size()
              + " diffIDs");
    }
    return new Found(d, raw, m, config, ref, path, where);
  }

  private static InvalidArchiveException unknownType(
      String src, String where, Descriptor d, String expected) {
    return new InvalidArchiveException(
        src,
        where,
        "unknown media type \""
            + InvalidArchiveException.printable(d.mediaType())
            + "\"; expected "
            + expected);
  }

  /**
   * The reference an entry of {@code index.json} names, if any: containerd's full name first, else
   * {@code org.opencontainers.image.ref.name}, which skopeo and umoci write as a bare tag ({@code
   * multi}) and others as a full reference; without a tag it gets {@code latest}, as {@code docker
   * tag} gives.
   */
  private static Reference reference(Descriptor d, String src, String where)
      throws InvalidArchiveException {
    Optional<String> name = d.referenceName();
    if (name.isEmpty()) {
      return null;
    }
    Reference r;
    try {
      r = Reference.parse(name.get()).withDefaultTag();
    } catch (InvalidReferenceException e) {
      throw invalidReference(src, where, name.get(), e.getMessage(), e);
    }
    if (r.digest() != null) {
      throw invalidReference(
          src, where, name.get(), "a digest reference cannot name a loaded image", null);
    }
    return r;
  }

  private static InvalidArchiveException invalidReference(
      String src, String where, String name, String why, Throwable cause) {
    return new InvalidArchiveException(
        src,
        where,
        "invalid reference \""
            + InvalidArchiveException.printable(name)
            + "\" in its annotations: "
            + why,
        cause);
  }

  // ---- staging, publishing, the wire metadata ------------------------------------------------

  private List<LoadedImage> publish(
      ImageSource images,
      List<Found> found,
      Map<Digest, Met> indexes,
      Map<Reference, Descriptor> referencedIndexes)
      throws IOException {
    String src = images.source();
    OciPlatform tagged = selection.platform();
    // Each layer blob by the name staging asks for it; the first descriptor that names it wins
    // (another one of a different size fails the blob's own check when read).
    Map<String, Descriptor> blobs = new HashMap<>();
    Map<String, String> wheres = new HashMap<>();
    List<DockerArchiveLoader.Item> items = new ArrayList<>();
    Set<Reference> taggedOnce = new HashSet<>();
    for (Found f : found) {
      List<String> names = new ArrayList<>();
      for (int i = 0; i < f.parsed().layers().size(); i++) {
        Descriptor l = f.parsed().layers().get(i);
        String name = "blobs/sha256/" + l.digest().hex();
        blobs.putIfAbsent(name, l);
        wheres.putIfAbsent(name, f.where() + " > layers[" + i + "] (" + l.digest() + ")");
        names.add(name);
      }
      List<Reference> tags = new ArrayList<>();
      // Keeping every platform, the reference goes to the one image that runs here (Docker's
      // layout has one image per tag); the others stay untagged, found through the index.
      if (f.reference() != null
          && (!selection.allPlatforms() || runsOn(f, tagged))
          && taggedOnce.add(f.reference())) {
        tags.add(f.reference());
      }
      items.add(new DockerArchiveLoader.Item(f.where(), f.config(), names, tags, null));
    }
    Set<String> read = ConcurrentHashMap.newKeySet();
    LayerBlobs source =
        new LayerBlobs() {
          @Override
          public String source() {
            return src;
          }

          @Override
          public long size(String name) {
            return blobs.get(name).size();
          }

          @Override
          public InputStream open(String name) throws IOException {
            read.add(name);
            return images.openLayer(blobs.get(name), wheres.get(name));
          }

          @Override
          public int parallelism() {
            return images.parallelism();
          }

          @Override
          public boolean keepsCompletedLayers() {
            return images.keepsCompletedLayers();
          }

          @Override
          public void present(String name) {
            images.layerPresent(blobs.get(name));
          }

          @Override
          public void staged(String name) {
            images.layerStaged(blobs.get(name));
          }
        };
    List<LoadedImage> loaded = new DockerArchiveLoader(store).loadItems(source, items);
    recordWire(found, indexes, referencedIndexes, blobs, read);
    return loaded;
  }

  /** Whether the image is for {@code platform} (its index entry or, failing that, its config). */
  private static boolean runsOn(Found f, OciPlatform platform) {
    return platform.matches(platformOf(f));
  }

  /** The image's platform: its index entry's, or failing that, its config's. */
  private static OciPlatform platformOf(Found f) {
    return f.manifest()
        .platform()
        .orElse(
            new OciPlatform(
                f.config().os() == null ? "linux" : f.config().os(),
                f.config().architecture() == null ? "" : f.config().architecture(),
                ""));
  }

  /**
   * Writes, after the images are published, what a push or a byte-exact serve needs: each layer
   * blob that was read (so its digest was checked) and is compressed, in Docker's distribution
   * metadata; each manifest and index as it came.
   */
  private void recordWire(
      List<Found> found,
      Map<Digest, Met> indexes,
      Map<Reference, Descriptor> referencedIndexes,
      Map<String, Descriptor> blobs,
      Set<String> read)
      throws IOException {
    DistributionMetadata dist = store.distribution();
    ImageBigData big = store.bigData();
    for (Found f : found) {
      for (int i = 0; i < f.parsed().layers().size(); i++) {
        Descriptor l = f.parsed().layers().get(i);
        String name = "blobs/sha256/" + l.digest().hex();
        Compression c = MediaTypes.layerCompression(l.mediaType()).orElse(Compression.NONE);
        if (!read.contains(name) || c == Compression.NONE) {
          continue;
        }
        DiffId diffId = f.config().diffIds().get(i);
        if (f.reference() != null) {
          dist.add(
              diffId, new DistributionMetadata.Entry(l.digest(), repository(f.reference()), ""));
        } else {
          dist.addDiffId(l.digest(), diffId);
        }
      }
      big.putBlob(f.manifest(), f.manifestRaw());
      for (Descriptor d : f.indexes()) {
        big.putBlob(d, indexes.get(d.digest()).raw());
      }
      big.putImage(f.config().id(), new ImageBigData.ImageWire(f.manifest(), f.indexes()));
    }
    for (Map.Entry<Reference, Descriptor> e : referencedIndexes.entrySet()) {
      big.putIndex(e.getKey().familiarString(), e.getValue());
    }
  }

  /** The repository as Docker's distribution metadata names it: registry host included. */
  static String repository(Reference r) {
    return r.domain() + "/" + r.path();
  }
}
