package io.layerstore.store;

import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.ImageId;
import io.layerstore.format.ImageConfig;
import io.layerstore.format.LegacyV1;
import io.layerstore.gocompat.GoJson;
import io.layerstore.spi.GraphDriver;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
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

  private final LayerDb layerDb;
  private final LayerRebuilder rebuilder;

  public DockerArchiveWriter(LayerDb layerDb, GraphDriver driver) {
    this.layerDb = layerDb;
    this.rebuilder = new LayerRebuilder(layerDb, driver);
  }

  public void write(List<SaveRequest> requests, OutputStream out) throws IOException {
    TreeMap<String, ArchiveMember> members = new TreeMap<>();
    Map<DiffId, String> written = new HashMap<>();
    StringBuilder manifest = new StringBuilder("[");
    TreeMap<String, TreeMap<String, String>> repositories = new TreeMap<>();
    boolean first = true;
    for (SaveRequest.Image image : SaveRequest.merge(requests)) {
      ImageId id = image.id();
      ImageConfig config = image.config();
      Instant created = config.created() == null ? Instant.EPOCH : config.created();
      List<LegacyV1.Layer> v1 = LegacyV1.layers(config);
      List<ChainId> chain = ChainId.chain(config.diffIds());
      List<String> layerNames = new ArrayList<>();
      for (int i = 0; i < v1.size(); i++) {
        String dir = v1.get(i).v1Id();
        DiffId diffId = config.diffIds().get(i);
        LayerRecord rec = layerDb.require(chain.get(i));
        members.put(dir + "/", ArchiveMember.directory(dir + "/", created));
        members.put(
            dir + "/VERSION",
            ArchiveMember.file(
                dir + "/VERSION", created, "1.0".getBytes(StandardCharsets.US_ASCII)));
        members.put(
            dir + "/json",
            ArchiveMember.file(
                dir + "/json", created, v1.get(i).json().getBytes(StandardCharsets.UTF_8)));
        String firstDir = written.get(diffId);
        if (firstDir == null || firstDir.equals(dir)) {
          written.put(diffId, dir);
          members.put(
              dir + "/layer.tar",
              ArchiveMember.file(dir + "/layer.tar", created, rebuilder.content(rec)));
        } else {
          members.put(
              dir + "/layer.tar",
              ArchiveMember.symlink(
                  dir + "/layer.tar", Instant.now(), "../" + firstDir + "/layer.tar"));
        }
        layerNames.add(dir + "/layer.tar");
      }
      String configName = id.digest().hex() + ".json";
      members.put(configName, ArchiveMember.file(configName, created, config.raw()));
      if (!first) {
        manifest.append(',');
      }
      first = false;
      manifest.append("{\"Config\":").append(GoJson.quote(configName)).append(",\"RepoTags\":");
      String top = v1.isEmpty() ? "" : v1.get(v1.size() - 1).v1Id();
      appendRepoTags(manifest, image.tags(), top, repositories);
      manifest.append(",\"Layers\":");
      appendStrings(manifest, layerNames);
      manifest.append('}');
    }
    manifest.append("]\n");
    members.put(
        "manifest.json",
        ArchiveMember.file(
            "manifest.json", Instant.EPOCH, manifest.toString().getBytes(StandardCharsets.UTF_8)));
    if (!repositories.isEmpty()) {
      members.put(
          "repositories", ArchiveMember.file("repositories", Instant.EPOCH, json(repositories)));
    }
    ArchiveMember.writeTar(members.values(), out);
  }

  /**
   * Appends an image's {@code RepoTags} to a {@code manifest.json} entry ({@code null} without
   * tags, as Go marshals a nil slice) and records each tag in {@code repositories}, pointing to
   * {@code top}: what the format puts there (the top v1 id in a docker save archive, the top
   * diffID's hex in an OCI layout, as Docker ≥ 25 writes it).
   */
  static void appendRepoTags(
      StringBuilder manifest,
      List<String> tags,
      String top,
      TreeMap<String, TreeMap<String, String>> repositories) {
    if (tags.isEmpty()) {
      manifest.append("null");
      return;
    }
    appendStrings(manifest, tags);
    for (String tag : tags) {
      int colon = tag.lastIndexOf(':');
      repositories
          .computeIfAbsent(tag.substring(0, colon), x -> new TreeMap<>())
          .put(tag.substring(colon + 1), top);
    }
  }

  /** Appends a JSON array of strings. */
  static void appendStrings(StringBuilder sb, List<String> values) {
    sb.append('[');
    for (int k = 0; k < values.size(); k++) {
      sb.append(k > 0 ? "," : "").append(GoJson.quote(values.get(k)));
    }
    sb.append(']');
  }

  /**
   * The {@code repositories} file: {@code {"name":{"tag":"top"}}}, keys sorted and a final newline,
   * as Go's JSON encoder writes the map.
   */
  static byte[] json(TreeMap<String, TreeMap<String, String>> repositories) {
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
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }
}
