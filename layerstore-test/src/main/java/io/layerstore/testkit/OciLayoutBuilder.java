package io.layerstore.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.Digest;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

/**
 * Writes OCI image layouts for tests, as a directory or a tar, from parts a test may spoil: any
 * file (blobs by digest, {@code index.json}, {@code oci-layout}) and symlinks.
 */
public final class OciLayoutBuilder {
  /** The mapper the builder reads and writes JSON with. */
  public static final ObjectMapper JSON = new ObjectMapper();

  /** OCI image manifest media type. */
  public static final String MANIFEST = "application/vnd.oci.image.manifest.v1+json";

  /** OCI image index media type. */
  public static final String INDEX = "application/vnd.oci.image.index.v1+json";

  /** OCI image config media type. */
  public static final String CONFIG = "application/vnd.oci.image.config.v1+json";

  /** OCI gzip layer media type. */
  public static final String GZIP_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip";

  /** Name (relative, '/'-separated) to bytes. */
  private final Map<String, byte[]> files = new TreeMap<>();

  private final Map<String, String> symlinks = new TreeMap<>();

  /** A layout with its {@code oci-layout} file and nothing else. */
  public OciLayoutBuilder() {
    files.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
  }

  /**
   * A copy of a layout directory (a fixture).
   *
   * @param dir the directory
   * @return a builder holding its regular files
   * @throws IOException if it cannot be read
   */
  public static OciLayoutBuilder copyOf(Path dir) throws IOException {
    OciLayoutBuilder b = new OciLayoutBuilder();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isRegularFile(p)) {
          b.files.put(dir.relativize(p).toString(), Files.readAllBytes(p));
        }
      }
    }
    return b;
  }

  /**
   * Adds a blob.
   *
   * @param data its bytes
   * @return its digest
   */
  public Digest blob(byte[] data) {
    Digest d = Digest.of(data);
    files.put("blobs/sha256/" + d.hex(), data);
    return d;
  }

  /**
   * A file of the layout.
   *
   * @param name its name in the layout, such as {@code index.json}
   * @return its bytes, or null
   */
  public byte[] file(String name) {
    return files.get(name);
  }

  /**
   * Sets a file.
   *
   * @param name its name in the layout
   * @param data its bytes
   * @return this builder
   */
  public OciLayoutBuilder put(String name, byte[] data) {
    files.put(name, data);
    return this;
  }

  /**
   * Replaces a file with a symlink.
   *
   * @param name its name in the layout
   * @param target the link's target
   * @return this builder
   */
  public OciLayoutBuilder symlink(String name, String target) {
    files.remove(name);
    symlinks.put(name, target);
    return this;
  }

  /**
   * Adds a blob and describes it.
   *
   * @param mediaType its media type
   * @param data its bytes
   * @return a new descriptor object (a test may add to it or spoil it)
   */
  public ObjectNode descriptor(String mediaType, byte[] data) {
    ObjectNode d = JSON.createObjectNode();
    d.put("mediaType", mediaType);
    d.put("digest", blob(data).toString());
    d.put("size", data.length);
    return d;
  }

  /**
   * Sets {@code index.json}.
   *
   * @param manifests its entries
   * @return this builder
   */
  public OciLayoutBuilder index(ObjectNode... manifests) {
    ObjectNode idx = JSON.createObjectNode();
    idx.put("schemaVersion", 2);
    idx.put("mediaType", INDEX);
    ArrayNode a = idx.putArray("manifests");
    for (ObjectNode m : manifests) {
      a.add(m);
    }
    files.put("index.json", bytes(idx));
    return this;
  }

  /**
   * The layout's {@code index.json}.
   *
   * @return it, parsed
   * @throws IOException if it is not JSON
   */
  public ObjectNode indexJson() throws IOException {
    return (ObjectNode) JSON.readTree(files.get("index.json"));
  }

  /**
   * A blob, by its descriptor.
   *
   * @param descriptor a descriptor object
   * @return the blob's bytes, or null
   */
  public byte[] blobOf(JsonNode descriptor) {
    return files.get("blobs/sha256/" + Digest.parse(descriptor.get("digest").asText()).hex());
  }

  /**
   * Compact JSON.
   *
   * @param n a JSON value
   * @return its bytes
   */
  public static byte[] bytes(JsonNode n) {
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Gzips bytes.
   *
   * @param data plain bytes
   * @return them, gzipped
   * @throws IOException never, in memory
   */
  public static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  /**
   * An OCI image manifest.
   *
   * @param config the config's descriptor
   * @param layers the layers' descriptors, bottom first
   * @return a new manifest object
   */
  public static ObjectNode manifest(ObjectNode config, ObjectNode... layers) {
    ObjectNode m = JSON.createObjectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", MANIFEST);
    m.set("config", config);
    ArrayNode a = m.putArray("layers");
    for (ObjectNode l : layers) {
      a.add(l);
    }
    return m;
  }

  /**
   * A minimal linux image config.
   *
   * @param arch its architecture
   * @param diffIds its layers' diffIDs
   * @return its bytes
   */
  public static byte[] config(String arch, Digest... diffIds) {
    ObjectNode c = JSON.createObjectNode();
    c.put("architecture", arch);
    c.put("os", "linux");
    ObjectNode rootfs = c.putObject("rootfs");
    rootfs.put("type", "layers");
    ArrayNode ids = rootfs.putArray("diff_ids");
    for (Digest d : diffIds) {
      ids.add(d.toString());
    }
    return bytes(c);
  }

  /**
   * Writes the layout as a directory.
   *
   * @param dir the directory to make
   * @throws IOException if writing fails
   */
  public void writeDir(Path dir) throws IOException {
    Files.createDirectories(dir);
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      Path p = dir.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.write(p, e.getValue());
    }
    for (Map.Entry<String, String> e : symlinks.entrySet()) {
      Path p = dir.resolve(e.getKey());
      Files.createDirectories(p.getParent());
      Files.createSymbolicLink(p, p.getFileSystem().getPath(e.getValue()));
    }
  }

  /**
   * Writes the layout as a tar.
   *
   * @param tar the file to write
   * @throws IOException if writing fails
   */
  public void writeTar(Path tar) throws IOException {
    try (OutputStream os = Files.newOutputStream(tar);
        TarWriter w = new TarWriter(os)) {
      Instant t = Instant.ofEpochSecond(1_600_000_000L);
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        byte[] data = e.getValue();
        w.putNextEntry(
            TarHeader.builder(e.getKey(), TarHeader.REGULAR)
                .mode(0644)
                .size(data.length)
                .mtime(t)
                .build());
        w.write(data, 0, data.length);
      }
      for (Map.Entry<String, String> e : symlinks.entrySet()) {
        w.putNextEntry(
            TarHeader.builder(e.getKey(), TarHeader.SYMLINK)
                .linkName(e.getValue())
                .mode(0777)
                .mtime(t)
                .build());
      }
    }
  }

  /**
   * A layout image as a two-platform index: an amd64 and an arm64/v8 config (they differ in
   * architecture only) over the layers of the single image {@code layout} holds, the index named
   * {@code refName}.
   *
   * @param layout a one-image layout directory (a fixture)
   * @param refName the index entry's {@code org.opencontainers.image.ref.name}
   * @return a builder holding the layout
   * @throws IOException if the layout cannot be read
   */
  public static OciLayoutBuilder twoPlatforms(Path layout, String refName) throws IOException {
    OciLayoutBuilder b = copyOf(layout);
    JsonNode single = b.indexJson().get("manifests").get(0);
    ObjectNode manifest = (ObjectNode) JSON.readTree(b.blobOf(single));
    ObjectNode config = (ObjectNode) JSON.readTree(b.blobOf(manifest.get("config")));
    ObjectNode index = JSON.createObjectNode();
    index.put("schemaVersion", 2);
    index.put("mediaType", INDEX);
    for (String arch : new String[] {"amd64", "arm64"}) {
      config.put("architecture", arch);
      ObjectNode m = manifest.deepCopy();
      m.set("config", b.descriptor(CONFIG, bytes(config)));
      ObjectNode d = b.descriptor(MANIFEST, bytes(m));
      ObjectNode platform = d.putObject("platform");
      platform.put("architecture", arch);
      platform.put("os", "linux");
      if (arch.equals("arm64")) {
        platform.put("variant", "v8");
      }
      index.withArray("manifests").add(d);
    }
    ObjectNode top = b.descriptor(INDEX, bytes(index));
    top.putObject("annotations").put("org.opencontainers.image.ref.name", refName);
    return b.index(top);
  }
}
