package io.layerstore.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.gocompat.GoJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Docker's record of where each layer is known in compressed form ({@code
 * image/<driver>/distribution/}, docs/registry-metadata.md; moby's {@code
 * distribution/metadata.V2MetadataService}), written byte for byte as dockerd writes it:
 *
 * <pre>
 * distribution/                                 0755
 *   diffid-by-digest/sha256/&lt;blob hex&gt;          the diffID, "sha256:…", no newline   0644
 *   v2metadata-by-diffid/sha256/&lt;diffID hex&gt;    [{"Digest":…,"SourceRepository":…,"HMAC":…}]
 * </pre>
 *
 * A later push finds a layer's compressed blob here instead of compressing it again, and a dockerd
 * on this data-root sees the same facts. The entries are facts about content, not state of an
 * image: Docker never removes them with an image, and neither does this store.
 */
final class DistributionMetadata {

  /** Docker keeps at most this many places per diffID, dropping the oldest. */
  static final int MAX_ENTRIES = 50;

  private static final int DIR_MODE = 0755;
  private static final int FILE_MODE = 0644;

  /** One place a layer's blob is known at, as Docker's {@code V2Metadata}. */
  record Entry(Digest digest, String sourceRepository, String hmac) {}

  /** Orders the read-modify-write of {@code v2metadata-by-diffid} files across loads. */
  private static final String LOCK = "distribution";

  private final Path root;
  private final AtomicFiles files;
  private final ObjectMapper json;
  private final StoreLocks locks;

  DistributionMetadata(StoreLayout layout, AtomicFiles files, ObjectMapper json, StoreLocks locks) {
    this.root = layout.imageRoot().resolve("distribution");
    this.files = files;
    this.json = json;
    this.locks = locks;
  }

  private Path byDigest(Digest blob) {
    return root.resolve("diffid-by-digest").resolve(Digest.ALGORITHM).resolve(blob.hex());
  }

  private Path byDiffId(DiffId diffId) {
    return root.resolve("v2metadata-by-diffid")
        .resolve(Digest.ALGORITHM)
        .resolve(diffId.digest().hex());
  }

  /**
   * Records that {@code entry.digest()} is the compressed blob of {@code diffId}, as Docker's
   * {@code Add}: an equal entry moves to the end, the list keeps the newest {@value #MAX_ENTRIES}.
   */
  void add(DiffId diffId, Entry entry) throws IOException {
    try (StoreLocks.Held l = locks.lock(LOCK)) {
      addLocked(diffId, entry);
    }
  }

  private void addLocked(DiffId diffId, Entry entry) throws IOException {
    List<Entry> entries = new ArrayList<>();
    for (Entry e : entries(diffId)) {
      if (!e.equals(entry)) {
        entries.add(e);
      }
    }
    entries.add(entry);
    if (entries.size() > MAX_ENTRIES) {
      entries = entries.subList(entries.size() - MAX_ENTRIES, entries.size());
    }
    ArrayNode a = json.createArrayNode();
    for (Entry e : entries) {
      ObjectNode o = a.addObject(); // V2Metadata's field order
      o.put("Digest", e.digest().toString());
      o.put("SourceRepository", e.sourceRepository());
      o.put("HMAC", e.hmac());
    }
    write(byDiffId(diffId), GoJson.write(a));
    write(byDigest(entry.digest()), diffId.toString());
  }

  /** Records only the blob's diffID (Docker's {@code diffid-by-digest} alone). */
  void addDiffId(Digest blob, DiffId diffId) throws IOException {
    write(byDigest(blob), diffId.toString());
  }

  private void write(Path file, String content) throws IOException {
    AtomicFiles.ensureDirectory(file.getParent(), DIR_MODE);
    files.write(file, content.getBytes(StandardCharsets.UTF_8), FILE_MODE);
  }

  /** The diffID the blob {@code blob} decompresses to, if recorded. */
  Optional<DiffId> diffId(Digest blob) throws IOException {
    try {
      return Optional.of(
          DiffId.parse(new String(Files.readAllBytes(byDigest(blob)), StandardCharsets.UTF_8)));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      throw new IOException(byDigest(blob) + ": not a diffID: " + e.getMessage(), e);
    }
  }

  /** The places the layer {@code diffId} is known at, oldest first; empty if none. */
  List<Entry> entries(DiffId diffId) throws IOException {
    byte[] raw;
    try {
      raw = Files.readAllBytes(byDiffId(diffId));
    } catch (NoSuchFileException e) {
      return List.of();
    }
    JsonNode a = json.readTree(raw);
    if (a == null || !a.isArray()) {
      throw new IOException(byDiffId(diffId) + ": not a JSON array");
    }
    List<Entry> out = new ArrayList<>();
    for (JsonNode o : a) {
      out.add(
          new Entry(
              Digest.parse(o.path("Digest").asText()),
              o.path("SourceRepository").asText(""),
              o.path("HMAC").asText("")));
    }
    return out;
  }
}
