package io.layerstore.store;

import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.DigestMismatchException;
import io.layerstore.ImageId;
import io.layerstore.InvalidArchiveException;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarWriter;
import io.layerstore.format.ImageConfig;
import io.layerstore.format.LegacyV1;
import io.layerstore.gocompat.GoJson;
import io.layerstore.spi.GraphDriver;
import io.layerstore.tarsplit.TarSplitAssembler;
import io.layerstore.tarsplit.TarSplitReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes {@code docker save} archives (docs/overlay2-layout.md §8.1): per layer a v1 directory with
 * {@code VERSION}, {@code json} and {@code layer.tar} rebuilt byte for byte from tar-split plus the
 * layer's diff directory (and checked against the diffID while it streams out), the config as
 * {@code <id>.json}, {@code manifest.json} and, when there are tags, {@code repositories}. Members
 * are in lexical order with the times Docker gives them; a layer already in the archive is written
 * once and linked from later directories.
 */
public final class DockerArchiveWriter {

  /** One image to save: by tag (its tag lands in RepoTags) or by id (tag null). */
  public record Request(ImageId id, ImageConfig config, String tag) {}

  private final LayerDb layerDb;
  private final GraphDriver driver;

  public DockerArchiveWriter(LayerDb layerDb, GraphDriver driver) {
    this.layerDb = layerDb;
    this.driver = driver;
  }

  /** A member to write: either bytes, or a layer rebuilt from tar-split, or a symlink. */
  private record Member(
      String name, byte typeflag, Instant mtime, byte[] data, LayerRecord layer, String link) {}

  public void write(List<Request> requests, OutputStream out) throws IOException {
    // Merge requests for the same image (several tags), keeping the first's position.
    Map<ImageId, List<String>> tags = new LinkedHashMap<>();
    Map<ImageId, ImageConfig> configs = new HashMap<>();
    for (Request r : requests) {
      List<String> t = tags.computeIfAbsent(r.id(), k -> new ArrayList<>());
      configs.put(r.id(), r.config());
      if (r.tag() != null && !t.contains(r.tag())) {
        t.add(r.tag());
      }
    }
    TreeMap<String, Member> members = new TreeMap<>();
    Map<DiffId, String> written = new HashMap<>();
    StringBuilder manifest = new StringBuilder("[");
    TreeMap<String, TreeMap<String, String>> repositories = new TreeMap<>();
    boolean first = true;
    for (Map.Entry<ImageId, List<String>> e : tags.entrySet()) {
      ImageId id = e.getKey();
      ImageConfig config = configs.get(id);
      Instant created = config.created() == null ? Instant.EPOCH : config.created();
      List<LegacyV1.Layer> v1 = LegacyV1.layers(config);
      List<ChainId> chain = ChainId.chain(config.diffIds());
      List<String> layerNames = new ArrayList<>();
      for (int i = 0; i < v1.size(); i++) {
        String dir = v1.get(i).v1Id();
        DiffId diffId = config.diffIds().get(i);
        LayerRecord rec = layerDb.require(chain.get(i));
        members.put(
            dir + "/", new Member(dir + "/", TarHeader.DIRECTORY, created, null, null, null));
        members.put(
            dir + "/VERSION",
            new Member(
                dir + "/VERSION",
                TarHeader.REGULAR,
                created,
                "1.0".getBytes(StandardCharsets.US_ASCII),
                null,
                null));
        members.put(
            dir + "/json",
            new Member(
                dir + "/json",
                TarHeader.REGULAR,
                created,
                v1.get(i).json().getBytes(StandardCharsets.UTF_8),
                null,
                null));
        String firstDir = written.get(diffId);
        if (firstDir == null || firstDir.equals(dir)) {
          written.put(diffId, dir);
          members.put(
              dir + "/layer.tar",
              new Member(dir + "/layer.tar", TarHeader.REGULAR, created, null, rec, null));
        } else {
          members.put(
              dir + "/layer.tar",
              new Member(
                  dir + "/layer.tar",
                  TarHeader.SYMLINK,
                  Instant.now(),
                  null,
                  null,
                  "../" + firstDir + "/layer.tar"));
        }
        layerNames.add(dir + "/layer.tar");
      }
      String configName = id.digest().hex() + ".json";
      members.put(
          configName, new Member(configName, TarHeader.REGULAR, created, config.raw(), null, null));
      if (!first) {
        manifest.append(',');
      }
      first = false;
      manifest.append("{\"Config\":").append(GoJson.quote(configName)).append(",\"RepoTags\":");
      if (e.getValue().isEmpty()) {
        manifest.append("null");
      } else {
        manifest.append('[');
        for (int k = 0; k < e.getValue().size(); k++) {
          manifest.append(k > 0 ? "," : "").append(GoJson.quote(e.getValue().get(k)));
          String tag = e.getValue().get(k);
          int colon = tag.lastIndexOf(':');
          String top = v1.isEmpty() ? "" : v1.get(v1.size() - 1).v1Id();
          repositories
              .computeIfAbsent(tag.substring(0, colon), x -> new TreeMap<>())
              .put(tag.substring(colon + 1), top);
        }
        manifest.append(']');
      }
      manifest.append(",\"Layers\":[");
      for (int k = 0; k < layerNames.size(); k++) {
        manifest.append(k > 0 ? "," : "").append(GoJson.quote(layerNames.get(k)));
      }
      manifest.append("]}");
    }
    manifest.append("]\n");
    members.put(
        "manifest.json",
        new Member(
            "manifest.json",
            TarHeader.REGULAR,
            Instant.EPOCH,
            manifest.toString().getBytes(StandardCharsets.UTF_8),
            null,
            null));
    if (!repositories.isEmpty()) {
      StringBuilder sb = new StringBuilder("{");
      boolean f1 = true;
      for (Map.Entry<String, TreeMap<String, String>> r : repositories.entrySet()) {
        sb.append(f1 ? "" : ",").append(GoJson.quote(r.getKey())).append(":{");
        f1 = false;
        boolean f2 = true;
        for (Map.Entry<String, String> t : r.getValue().entrySet()) {
          sb.append(f2 ? "" : ",")
              .append(GoJson.quote(t.getKey()))
              .append(':')
              .append(GoJson.quote(t.getValue()));
          f2 = false;
        }
        sb.append('}');
      }
      sb.append("}\n");
      members.put(
          "repositories",
          new Member(
              "repositories",
              TarHeader.REGULAR,
              Instant.EPOCH,
              sb.toString().getBytes(StandardCharsets.UTF_8),
              null,
              null));
    }
    TarWriter tar = new TarWriter(out);
    for (Member m : members.values()) {
      TarHeader.Builder h =
          TarHeader.builder(m.name(), m.typeflag())
              .mtime(Instant.ofEpochSecond(m.mtime().getEpochSecond()))
              .userName("root")
              .groupName("root");
      if (m.typeflag() == TarHeader.DIRECTORY) {
        tar.putNextEntry(h.mode(040755).build());
      } else if (m.typeflag() == TarHeader.SYMLINK) {
        tar.putNextEntry(h.mode(0120777).linkName(m.link()).build());
      } else if (m.layer() != null) {
        long size = layerSize(m.layer());
        tar.putNextEntry(h.mode(0100644).size(size).build());
        writeLayer(m.layer(), tar);
      } else {
        tar.putNextEntry(h.mode(0100644).size(m.data().length).build());
        tar.write(m.data(), 0, m.data().length);
      }
    }
    tar.finish();
    out.flush();
  }

  /** The reassembled size of a layer, from its tar-split record alone. */
  private long layerSize(LayerRecord layer) throws IOException {
    try (TarSplitReader ts =
        TarSplitReader.open(layerDb.openTarSplit(layer.chainId()), tarSplitName(layer))) {
      return TarSplitAssembler.assembledSize(ts);
    }
  }

  private String tarSplitName(LayerRecord layer) {
    return layerDb.layerDir(layer.chainId()).resolve(LayerDb.TAR_SPLIT).toString();
  }

  /**
   * Streams a layer's tar, rebuilt from tar-split and its diff dir, checking it against its diffID.
   */
  private void writeLayer(LayerRecord layer, TarWriter out) throws IOException {
    rebuildLayer(
        layer,
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
          }
        });
  }

  /**
   * Rebuilds a layer's tar from its tar-split record and its diff directory into {@code out},
   * checking every file's CRC and the whole against the diffID: what save streams out, and what
   * {@code fsck --deep} verifies. Fails with {@link DigestMismatchException} (or {@link
   * InvalidArchiveException} for a missing or damaged file) when the layer changed since it was
   * stored.
   */
  public void rebuildLayer(LayerRecord layer, OutputStream out) throws IOException {
    Path diff = driver.diff(layer.cacheId()).dir();
    MessageDigest sha = Digest.newSha256();
    OutputStream sink =
        new OutputStream() {
          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            sha.update(b, off, len);
            out.write(b, off, len);
          }
        };
    try (TarSplitReader ts =
        TarSplitReader.open(layerDb.openTarSplit(layer.chainId()), tarSplitName(layer))) {
      TarSplitAssembler.assemble(
          ts, name -> openInLayer(diff, name, layer), sink, tarSplitName(layer));
    }
    Digest actual = Digest.fromBytes(sha.digest());
    if (!actual.equals(layer.diffId().digest())) {
      throw new DigestMismatchException(
          layer.diffId(),
          actual,
          "layer "
              + layer.chainId()
              + " rebuilt from "
              + diff
              + " (the layer's files changed since it was stored)");
    }
  }

  /** Opens a layer-relative name inside {@code diff} without following any symlink. */
  static InputStream openInLayer(Path diff, String name, LayerRecord layer) throws IOException {
    Path p = diff;
    String[] parts = name.split("/");
    for (int i = 0; i < parts.length; i++) {
      String part = parts[i];
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new InvalidArchiveException(
            layer.chainId().toString(), name, "tar-split names a path with \"..\"");
      }
      p = p.resolve(part);
      if (i < parts.length - 1 && Files.isSymbolicLink(p)) {
        throw new InvalidArchiveException(
            layer.chainId().toString(), name, "tar-split names a path through a symlink");
      }
    }
    if (!Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
      throw new InvalidArchiveException(
          layer.chainId().toString(), name, "file missing from the layer's diff dir " + diff);
    }
    return Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS);
  }
}
