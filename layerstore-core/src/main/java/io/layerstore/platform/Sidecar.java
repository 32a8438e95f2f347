package io.layerstore.platform;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.layerstore.LayerStoreException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The record file of an emulated tree: a small JSON document, one node per line.
 *
 * <pre>
 * {"format":"layerstore-tree-records","version":1,"nodes":[
 * {"names":["dev/null"],"kind":"CHAR_DEVICE","major":1,"minor":3,"mode":"666"},
 * {"names":["usr/bin/su"],"mode":"4755"},
 * {"names":["etc/a","etc/b"],"uid":1234,"gid":5678,"xattrs":{"user.x":"aGk="}}
 * ]}
 * </pre>
 *
 * <p>Names are relative to the tree root, {@code /}-separated, {@code ""} for the root; JSON string
 * escaping carries any name (spaces, newlines, backslashes, non-ASCII). A node's hardlinks are its
 * several names. Modes are octal strings, xattr values base64. Absent fields mean the default (no
 * kind: what the file system shows; uid and gid 0; mode as the file system shows it; no xattrs).
 *
 * <p>Reading is strict: an unknown format, a newer version, an unknown field or an out-of-range
 * value is reported as corrupt rather than half understood, so a newer writer's data is never
 * silently dropped by an older reader. Writing replaces the file atomically (temp file in the same
 * directory, fsync, rename, fsync of the directory where the file system allows it).
 */
final class Sidecar {
  static final String FORMAT = "layerstore-tree-records";
  static final int VERSION = 1;

  private static final Logger log = LoggerFactory.getLogger(Sidecar.class);

  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
  private static final ObjectReader READER = MAPPER.readerFor(Document.class);
  private static final ObjectWriter ENTRY_WRITER = MAPPER.writerFor(Entry.class);

  private Sidecar() {}

  /** The file as a whole. */
  record Document(String format, int version, List<Entry> nodes) {}

  /** One node. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record Entry(
      List<String> names,
      String kind,
      Integer major,
      Integer minor,
      String mode,
      Long uid,
      Long gid,
      Map<String, byte[]> xattrs) {}

  /** The records in {@code file}, with names but no keys; none if the file does not exist. */
  static List<NodeRecord> read(Path file) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return List.of();
    }
    Document doc;
    try {
      doc = READER.readValue(bytes);
    } catch (JsonProcessingException e) {
      throw corrupt(file, e.getOriginalMessage(), e);
    }
    if (doc == null || !FORMAT.equals(doc.format())) {
      throw corrupt(file, "not a " + FORMAT + " file", null);
    }
    if (doc.version() != VERSION) {
      throw corrupt(
          file,
          "version " + doc.version() + " (this layerstore reads version " + VERSION + ")",
          null);
    }
    List<NodeRecord> records = new ArrayList<>();
    if (doc.nodes() == null) {
      return records;
    }
    for (Entry e : doc.nodes()) {
      if (e == null) {
        throw corrupt(file, "null node", null);
      }
      try {
        records.add(toRecord(e));
      } catch (IllegalArgumentException ex) {
        throw corrupt(file, ex.getMessage(), ex);
      }
    }
    return records;
  }

  /** Replaces {@code file} with {@code records} (records without names are not written). */
  static void write(Path file, Collection<NodeRecord> records) throws IOException {
    List<NodeRecord> sorted = new ArrayList<>();
    for (NodeRecord r : records) {
      if (!r.names.isEmpty() && !r.isEmpty()) {
        sorted.add(r);
      }
    }
    sorted.sort(Comparator.comparing(r -> r.names.first()));

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (JsonGenerator gen = MAPPER.getFactory().createGenerator(out)) {
      gen.writeStartObject();
      gen.writeStringField("format", FORMAT);
      gen.writeNumberField("version", VERSION);
      gen.writeArrayFieldStart("nodes");
      for (NodeRecord r : sorted) {
        gen.writeRaw('\n');
        ENTRY_WRITER.writeValue(gen, toEntry(r));
      }
      gen.writeRaw('\n');
      gen.writeEndArray();
      gen.writeEndObject();
    }
    out.write('\n');
    replaceAtomically(file, out.toByteArray());
  }

  private static void replaceAtomically(Path file, byte[] bytes) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp =
        dir.resolve(
            file.getFileName()
                + ".tmp-"
                + Long.toHexString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE));
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        log.warn("{}: file system cannot rename atomically; replacing in place", file);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    syncDirectory(dir);
  }

  /** fsync of the directory so the rename itself is durable; not every file system allows it. */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      log.trace("{}: directory not synced: {}", dir, e.toString());
    }
  }

  private static Entry toEntry(NodeRecord r) {
    return new Entry(
        List.copyOf(r.names),
        r.kind == null ? null : r.kind.name(),
        r.kind != null && r.kind.isDevice() ? r.major : null,
        r.kind != null && r.kind.isDevice() ? r.minor : null,
        r.mode < 0 ? null : Integer.toOctalString(r.mode),
        r.uid == 0 ? null : r.uid,
        r.gid == 0 ? null : r.gid,
        r.xattrs.isEmpty() ? null : new TreeMap<>(r.xattrs));
  }

  private static NodeRecord toRecord(Entry e) {
    NodeRecord r = new NodeRecord();
    if (e.names() == null || e.names().isEmpty()) {
      throw new IllegalArgumentException("node without names");
    }
    for (String name : e.names()) {
      if (name == null) {
        throw new IllegalArgumentException("null name");
      }
      r.names.add(name);
    }
    if (e.kind() != null) {
      NodeKind kind;
      try {
        kind = NodeKind.valueOf(e.kind());
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("unknown kind " + e.kind());
      }
      if (!EmulatedTree.isPlaceholderKind(kind)) {
        throw new IllegalArgumentException("kind " + kind + " is never recorded");
      }
      r.kind = kind;
      if (kind.isDevice()) {
        r.major = e.major() == null ? 0 : e.major();
        r.minor = e.minor() == null ? 0 : e.minor();
        DevNumbers.check(r.major, r.minor);
      }
    }
    if (e.mode() != null) {
      int mode;
      try {
        mode = Integer.parseInt(e.mode(), 8);
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("bad mode " + e.mode());
      }
      if (mode < 0 || mode > 07777) {
        throw new IllegalArgumentException("bad mode " + e.mode());
      }
      r.mode = mode;
    }
    r.uid = id(e.uid(), "uid");
    r.gid = id(e.gid(), "gid");
    if (e.xattrs() != null) {
      for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
        if (x.getValue() == null) {
          throw new IllegalArgumentException("null value of xattr " + x.getKey());
        }
        r.xattrs.put(x.getKey(), x.getValue());
      }
    }
    return r;
  }

  private static long id(Long v, String what) {
    if (v == null) {
      return 0;
    }
    if (v < 0 || v > EmulatedTree.MAX_ID) {
      throw new IllegalArgumentException("bad " + what + " " + v);
    }
    return v;
  }

  private static LayerStoreException corrupt(Path file, String why, Throwable cause) {
    return new LayerStoreException("tree record file " + file + " is unreadable: " + why, cause);
  }
}
