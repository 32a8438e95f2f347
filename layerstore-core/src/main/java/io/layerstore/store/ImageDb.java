package io.layerstore.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.ChainId;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.format.ImageConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owner of {@code image/<driver>/imagedb/}.
 *
 * <pre>
 * imagedb/                            0700
 *   content/sha256/&lt;imageID hex&gt;      dirs 0700, file 0600: the config bytes exactly as loaded
 *   metadata/sha256/&lt;imageID hex&gt;/    0700, only when there is metadata
 *     parent       sha256:&lt;parent imageID&gt;   (0600, no NL)
 *     lastUpdated  RFC 3339 with nanoseconds, trailing zeros dropped (0600, no NL)
 * </pre>
 *
 * <p>Content is re-hashed on every read, as Docker does, so a corrupted file is never served. The
 * one fact kept in memory instead, an image's top chainID ({@link #topChain}), was derived from
 * bytes verified when they were read.
 */
public final class ImageDb {
  private static final Logger LOG = LoggerFactory.getLogger(ImageDb.class);
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  static final String PARENT = "parent";
  static final String LAST_UPDATED = "lastUpdated";

  /** At most this many images' top chainIDs are kept ({@link #topChain}), the least used go. */
  static final int MAX_TOPS = 1024;

  private final Path root;
  private final AtomicFiles files;

  /** Image id to the chainID of its top layer; see {@link #topChain}. */
  private final Map<ImageId, Optional<ChainId>> tops =
      Collections.synchronizedMap(
          new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<ImageId, Optional<ChainId>> eldest) {
              return size() > MAX_TOPS;
            }
          });

  public ImageDb(Path root, AtomicFiles files) {
    this.root = root;
    this.files = files;
  }

  public void initialize() throws IOException {
    AtomicFiles.ensureDirectory(root, 0700);
    AtomicFiles.ensureDirectory(contentDir(), 0700);
    AtomicFiles.ensureDirectory(metadataDir(), 0700);
  }

  private Path contentDir() {
    return root.resolve("content").resolve("sha256");
  }

  private Path metadataDir() {
    return root.resolve("metadata").resolve("sha256");
  }

  public Path contentFile(ImageId id) {
    return contentDir().resolve(id.digest().hex());
  }

  private Path metadataDir(ImageId id) {
    return metadataDir().resolve(id.digest().hex());
  }

  public boolean exists(ImageId id) {
    return Files.isRegularFile(contentFile(id), LinkOption.NOFOLLOW_LINKS);
  }

  /** The config bytes; fails if they no longer hash to {@code id}. */
  public byte[] content(ImageId id) throws IOException {
    byte[] data;
    try {
      data = Files.readAllBytes(contentFile(id));
    } catch (java.nio.file.NoSuchFileException e) {
      throw notFound(id);
    }
    ImageId actual = ImageId.ofConfig(data);
    if (!actual.equals(id)) {
      throw new io.layerstore.DigestMismatchException(id, actual, contentFile(id).toString());
    }
    return data;
  }

  /**
   * The parsed config ({@link ImageConfig#parse}); fails if the bytes no longer hash to {@code id}
   * or are not an image config, naming the file.
   */
  public ImageConfig config(ImageId id, ObjectMapper json) throws IOException {
    return ImageConfig.parse(content(id), contentFile(id).toString(), json);
  }

  /**
   * The chainID of the image's topmost layer ({@link ChainId#top} of its config's diffIDs), or
   * empty for an image without layers; what a mount of the image needs of its config. An id names
   * its config's bytes, so the answer for an id never changes: it is kept once the config has been
   * read and verified, and later asks only check that the image is still there (one stat instead of
   * a read, a hash and a parse of the config, and a hash per layer: most of a warm mount's own
   * work).
   *
   * @throws io.layerstore.NotFoundException if the image is not in the store
   */
  public Optional<ChainId> topChain(ImageId id, ObjectMapper json) throws IOException {
    Optional<ChainId> top = tops.get(id);
    if (top != null) {
      if (!exists(id)) {
        tops.remove(id);
        throw notFound(id);
      }
      return top;
    }
    top = ChainId.top(config(id, json).diffIds());
    tops.put(id, top);
    return top;
  }

  /** Every image id with a content file (not verified; {@link #content} verifies). */
  public List<ImageId> list() throws IOException {
    List<ImageId> out = new ArrayList<>();
    if (!Files.isDirectory(contentDir())) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(contentDir())) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (HEX64.matcher(name).matches() && Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          out.add(new ImageId(new Digest(name)));
        }
      }
    }
    return out;
  }

  /** Stores config bytes (no-op if present) and returns their id. */
  public ImageId put(byte[] config) throws IOException {
    ImageId id = ImageId.ofConfig(config);
    if (!exists(id)) {
      files.write(contentFile(id), config, 0600);
    }
    return id;
  }

  private static io.layerstore.NotFoundException notFound(ImageId id) {
    return new io.layerstore.NotFoundException("image " + id + " is not in the store");
  }

  /** Deletes an image's content and metadata. */
  public void delete(ImageId id) throws IOException {
    tops.remove(id);
    Files.deleteIfExists(contentFile(id));
    Path meta = metadataDir(id);
    if (Files.isDirectory(meta, LinkOption.NOFOLLOW_LINKS)) {
      LayerDb.deleteFlatDir(meta);
    }
    files.syncDir(contentDir());
  }

  /** Whether {@code id} has a metadata directory (also after its content is gone). */
  public boolean hasMetadata(ImageId id) {
    return Files.isDirectory(metadataDir(id), LinkOption.NOFOLLOW_LINKS);
  }

  public Optional<ImageId> parent(ImageId id) throws IOException {
    Path p = metadataDir(id).resolve(PARENT);
    if (!Files.exists(p)) {
      return Optional.empty();
    }
    String text = new String(Files.readAllBytes(p), StandardCharsets.US_ASCII);
    try {
      return Optional.of(ImageId.parse(text));
    } catch (IllegalArgumentException e) {
      LOG.warn("{}: ignoring invalid parent \"{}\"", p, text);
      return Optional.empty();
    }
  }

  public void setParent(ImageId id, ImageId parent) throws IOException {
    writeMetadata(id, PARENT, parent.toString());
  }

  /** Drops the parent record of {@code id}. */
  public void removeParent(ImageId id) throws IOException {
    Files.deleteIfExists(metadataDir(id).resolve(PARENT));
    files.syncDir(metadataDir(id));
  }

  public Optional<Instant> lastUpdated(ImageId id) throws IOException {
    Path p = metadataDir(id).resolve(LAST_UPDATED);
    if (!Files.exists(p)) {
      return Optional.empty();
    }
    String text = new String(Files.readAllBytes(p), StandardCharsets.US_ASCII);
    try {
      return Optional.of(
          ZonedDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
    } catch (java.time.format.DateTimeParseException e) {
      LOG.warn("{}: ignoring invalid time \"{}\"", p, text);
      return Optional.empty();
    }
  }

  /** Records a tag operation's time, as Docker does on tag, commit and import. */
  public void setLastUpdated(ImageId id, Instant when) throws IOException {
    writeMetadata(id, LAST_UPDATED, rfc3339Nano(when, ZoneId.systemDefault()));
  }

  private void writeMetadata(ImageId id, String key, String value) throws IOException {
    Path dir = metadataDir(id);
    AtomicFiles.ensureDirectory(dir, 0700);
    files.write(dir.resolve(key), value.getBytes(StandardCharsets.US_ASCII), 0600);
  }

  /** Go's RFC3339Nano in {@code zone}: fraction with trailing zeros dropped, {@code Z} for UTC. */
  public static String rfc3339Nano(Instant t, ZoneId zone) {
    return io.layerstore.format.LegacyV1.goTime(t.atZone(zone).toOffsetDateTime());
  }

  /** Metadata directories whose image content is gone (left by an interrupted removal). */
  public List<Path> orphanMetadata() throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(metadataDir())) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(metadataDir())) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (!HEX64.matcher(name).matches() || !Files.exists(contentDir().resolve(name))) {
          out.add(p);
        }
      }
    }
    return out;
  }

  /** Temp files of interrupted writes inside metadata directories. */
  public List<Path> metadataTempLeftovers() throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(metadataDir())) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(metadataDir())) {
      for (Path p : ds) {
        out.addAll(Recovery.matching(p, ".tmp-*"));
      }
    }
    return out;
  }

  /** Leftover temporary files of interrupted atomic writes. */
  public List<Path> tempLeftovers() throws IOException {
    List<Path> out = new ArrayList<>();
    if (!Files.isDirectory(contentDir())) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(contentDir(), ".tmp-*")) {
      ds.forEach(out::add);
    }
    return out;
  }
}
