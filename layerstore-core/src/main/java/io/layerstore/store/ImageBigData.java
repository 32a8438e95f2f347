package io.layerstore.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.InvalidArchiveException;
import io.layerstore.format.Descriptor;
import io.layerstore.gocompat.GoJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The wire form each image came with ("big data", as containers/storage calls it): the exact bytes
 * of its manifest and of the indexes that led to it, so they can be served again byte for byte (a
 * digest is of those bytes; re-serializing would change it), and which index a reference stands for
 * when a load kept every platform. Docker has no such area; it is ours:
 *
 * <pre>
 * layerstore/bigdata/                    0700
 *   blobs/sha256/&lt;hex&gt;                  manifest or index bytes, as they came         0600
 *   images/sha256/&lt;image id hex&gt;         {"manifest":descriptor,"indexes":[descriptor…]}
 *   indexes.json                         {"&lt;reference&gt;":descriptor of its index, …}
 * </pre>
 *
 * Written after the load that brought them is published (a failed load leaves nothing here); a
 * crash in between loses only this record, never the image. Blobs are content-addressed, so writing
 * one twice is harmless.
 */
public final class ImageBigData {

  private static final int DIR_MODE = 0700;
  private static final int FILE_MODE = 0600;
  private static final String INDEXES_LOCK = "bigdata-indexes";

  /** What one image came with: its manifest and the indexes above it, outermost first. */
  public record ImageWire(Descriptor manifest, List<Descriptor> indexes) {
    /** Copies the list. */
    public ImageWire {
      indexes = List.copyOf(indexes);
    }
  }

  private final Path root;
  private final AtomicFiles files;
  private final ObjectMapper json;
  private final StoreLocks locks;

  ImageBigData(StoreLayout layout, AtomicFiles files, ObjectMapper json, StoreLocks locks) {
    this.root = layout.stateDir().resolve("bigdata");
    this.files = files;
    this.json = json;
    this.locks = locks;
  }

  private Path blobFile(Digest d) {
    return root.resolve("blobs").resolve(Digest.ALGORITHM).resolve(d.hex());
  }

  private Path imageFile(ImageId id) {
    return root.resolve("images").resolve(Digest.ALGORITHM).resolve(id.digest().hex());
  }

  private Path indexes() {
    return root.resolve("indexes.json");
  }

  /** Keeps {@code raw}, which must be the bytes {@code d} describes. */
  void putBlob(Descriptor d, byte[] raw) throws IOException {
    if (!Digest.of(raw).equals(d.digest()) || raw.length != d.size()) {
      throw new IllegalArgumentException("bytes are not the blob " + d.digest());
    }
    Path p = blobFile(d.digest());
    if (!Files.exists(p)) {
      write(p, raw);
    }
  }

  /**
   * The bytes of a kept manifest or index.
   *
   * @param d its digest
   * @return the bytes, checked against the digest; empty if not kept
   * @throws IOException if the kept file no longer matches its digest, or cannot be read
   */
  public Optional<byte[]> blob(Digest d) throws IOException {
    byte[] raw;
    try {
      raw = Files.readAllBytes(blobFile(d));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    if (!Digest.of(raw).equals(d)) {
      throw new IOException(blobFile(d) + " no longer hashes to " + d);
    }
    return Optional.of(raw);
  }

  /** Records what image {@code id} came with; its blobs must be kept already. */
  void putImage(ImageId id, ImageWire wire) throws IOException {
    ObjectNode o = json.createObjectNode();
    o.set("manifest", wire.manifest().toJson());
    ArrayNode a = o.putArray("indexes");
    wire.indexes().forEach(d -> a.add(d.toJson()));
    write(imageFile(id), GoJson.write(o).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * What image {@code id} came with.
   *
   * @param id the image
   * @return its manifest and indexes, or empty if it came without (a docker save archive)
   * @throws IOException if the record cannot be read
   */
  public Optional<ImageWire> image(ImageId id) throws IOException {
    Path p = imageFile(id);
    byte[] raw;
    try {
      raw = Files.readAllBytes(p);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    JsonNode o = json.readTree(raw);
    String src = p.toString();
    List<Descriptor> indexes = new ArrayList<>();
    int i = 0;
    for (JsonNode d : o.path("indexes")) {
      indexes.add(Descriptor.parse(d, src, "indexes[" + i++ + "]"));
    }
    return Optional.of(
        new ImageWire(Descriptor.parse(o.get("manifest"), src, "manifest"), indexes));
  }

  /** Records that {@code reference} stands for the index {@code index} (kept already). */
  void putIndex(String reference, Descriptor index) throws IOException {
    try (StoreLocks.Held l = locks.lock(INDEXES_LOCK)) {
      Map<String, Descriptor> all = readIndexes();
      all.put(reference, index);
      ObjectNode o = json.createObjectNode();
      all.keySet().stream().sorted(GoJson::compareUtf8).forEach(k -> o.set(k, all.get(k).toJson()));
      write(indexes(), GoJson.write(o).getBytes(StandardCharsets.UTF_8));
    }
  }

  /**
   * The index a reference stands for, when a load kept all its platforms.
   *
   * @param reference a reference in familiar form ({@code name:tag})
   * @return the index's descriptor, or empty
   * @throws IOException if the record cannot be read
   */
  public Optional<Descriptor> index(String reference) throws IOException {
    return Optional.ofNullable(readIndexes().get(reference));
  }

  private Map<String, Descriptor> readIndexes() throws IOException {
    Map<String, Descriptor> out = new LinkedHashMap<>();
    byte[] raw;
    try {
      raw = Files.readAllBytes(indexes());
    } catch (NoSuchFileException e) {
      return out;
    }
    JsonNode o = json.readTree(raw);
    if (o == null || !o.isObject()) {
      throw new InvalidArchiveException(indexes().toString(), null, "not a JSON object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      out.put(e.getKey(), Descriptor.parse(e.getValue(), indexes().toString(), e.getKey()));
    }
    return out;
  }

  private void write(Path file, byte[] data) throws IOException {
    AtomicFiles.ensureDirectory(file.getParent(), DIR_MODE);
    files.write(file, data, FILE_MODE);
  }
}
