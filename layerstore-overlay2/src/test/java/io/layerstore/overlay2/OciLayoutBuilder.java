package io.layerstore.overlay2;

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
final class OciLayoutBuilder {
  static final ObjectMapper JSON = new ObjectMapper();

  /** Name (relative, '/'-separated) to bytes. */
  private final Map<String, byte[]> files = new TreeMap<>();

  private final Map<String, String> symlinks = new TreeMap<>();

  OciLayoutBuilder() {
    files.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes(StandardCharsets.UTF_8));
  }

  /** A copy of the layout directory {@code dir} (a fixture). */
  static OciLayoutBuilder copyOf(Path dir) throws IOException {
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

  /** Adds a blob; returns its digest. */
  Digest blob(byte[] data) {
    Digest d = Digest.of(data);
    files.put("blobs/sha256/" + d.hex(), data);
    return d;
  }

  byte[] file(String name) {
    return files.get(name);
  }

  OciLayoutBuilder put(String name, byte[] data) {
    files.put(name, data);
    return this;
  }

  OciLayoutBuilder remove(String name) {
    files.remove(name);
    return this;
  }

  OciLayoutBuilder symlink(String name, String target) {
    files.remove(name);
    symlinks.put(name, target);
    return this;
  }

  /** Adds {@code data} as a blob and returns a descriptor of it. */
  ObjectNode descriptor(String mediaType, byte[] data) {
    ObjectNode d = JSON.createObjectNode();
    d.put("mediaType", mediaType);
    d.put("digest", blob(data).toString());
    d.put("size", data.length);
    return d;
  }

  /** Sets {@code index.json} to an index of {@code manifests}. */
  OciLayoutBuilder index(ObjectNode... manifests) {
    ObjectNode idx = JSON.createObjectNode();
    idx.put("schemaVersion", 2);
    idx.put("mediaType", "application/vnd.oci.image.index.v1+json");
    ArrayNode a = idx.putArray("manifests");
    for (ObjectNode m : manifests) {
      a.add(m);
    }
    files.put("index.json", bytes(idx));
    return this;
  }

  /** The parsed {@code index.json}. */
  ObjectNode indexJson() throws IOException {
    return (ObjectNode) JSON.readTree(files.get("index.json"));
  }

  /** The bytes of a blob named by a descriptor. */
  byte[] blobOf(JsonNode descriptor) {
    return files.get("blobs/sha256/" + Digest.parse(descriptor.get("digest").asText()).hex());
  }

  static byte[] bytes(JsonNode n) {
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  /** An image manifest over a config and layers (each a descriptor). */
  static ObjectNode manifest(ObjectNode config, ObjectNode... layers) {
    ObjectNode m = JSON.createObjectNode();
    m.put("schemaVersion", 2);
    m.put("mediaType", "application/vnd.oci.image.manifest.v1+json");
    m.set("config", config);
    ArrayNode a = m.putArray("layers");
    for (ObjectNode l : layers) {
      a.add(l);
    }
    return m;
  }

  /** A minimal image config with these diffIDs. */
  static byte[] config(String arch, Digest... diffIds) {
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

  void writeDir(Path dir) throws IOException {
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

  void writeTar(Path tar) throws IOException {
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
}
