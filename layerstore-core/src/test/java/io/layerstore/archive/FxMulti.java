package io.layerstore.archive;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The fx:multi fixture, read with our own {@link TarReader}: the five layer tars and diffIDs of
 * {@code fx-multi.docker.tar}, and from Docker's data-root after loading it each layer's {@code
 * tar-split.json.gz} and {@code diff/} files.
 */
final class FxMulti {

  final List<String> diffIds = new ArrayList<>();
  final List<byte[]> layers = new ArrayList<>();
  final Map<String, byte[]> dockerTarSplit = new HashMap<>();
  final Map<String, String> cacheIds = new HashMap<>();
  private final Path rootTar;

  private FxMulti(Path rootTar) {
    this.rootTar = rootTar;
  }

  static FxMulti load() throws IOException {
    Path save = TestPlatform.fixture("fx-multi.docker.tar");
    Path root = TestPlatform.fixture("fx-multi.docker-root.tar");
    FxMulti fx = new FxMulti(root);
    Map<String, byte[]> files = new HashMap<>();
    try (TarReader r = new TarReader(Files.newInputStream(save), save.toString())) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        if (h.isRegular()) {
          files.put(h.name(), r.content().readAllBytes());
        }
      }
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode manifest = json.readTree(files.get("manifest.json")).get(0);
    JsonNode config = json.readTree(files.get(manifest.get("Config").asText()));
    for (JsonNode d : config.get("rootfs").get("diff_ids")) {
      fx.diffIds.add(d.asText());
    }
    for (JsonNode l : manifest.get("Layers")) {
      fx.layers.add(files.get(l.asText()));
    }
    Map<String, Map<String, byte[]>> layerdb = new HashMap<>();
    String prefix = "image/overlay2/layerdb/sha256/";
    try (TarReader r = new TarReader(Files.newInputStream(root), root.toString())) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        if (h.isRegular() && h.name().startsWith(prefix)) {
          String[] parts = h.name().substring(prefix.length()).split("/");
          layerdb
              .computeIfAbsent(parts[0], k -> new HashMap<>())
              .put(parts[1], r.content().readAllBytes());
        }
      }
    }
    for (Map<String, byte[]> layer : layerdb.values()) {
      String diff = new String(layer.get("diff"), StandardCharsets.US_ASCII);
      fx.dockerTarSplit.put(diff, layer.get("tar-split.json.gz"));
      fx.cacheIds.put(diff, new String(layer.get("cache-id"), StandardCharsets.US_ASCII));
    }
    return fx;
  }

  /**
   * Copies the regular files of a layer's {@code overlay2/<cache-id>/diff} under {@code target}
   * (any file system); hard links become copies, other kinds are left out, since reassembly reads
   * only regular files.
   */
  void extractDiff(String diffId, Path target) throws IOException {
    String prefix = "overlay2/" + cacheIds.get(diffId) + "/diff/";
    Map<String, Path> written = new HashMap<>();
    try (TarReader r = new TarReader(Files.newInputStream(rootTar), rootTar.toString())) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        if (!h.name().startsWith(prefix) || h.name().equals(prefix)) {
          continue;
        }
        Path p = resolve(target, h.name().substring(prefix.length()));
        if (h.isDirectory()) {
          Files.createDirectories(p);
        } else if (h.isRegular()) {
          Files.createDirectories(p.getParent());
          try (InputStream in = r.content()) {
            Files.copy(in, p);
          }
          written.put(h.name(), p);
        } else if (h.isHardlink() && written.containsKey(h.linkName())) {
          Files.createDirectories(p.getParent());
          Files.copy(written.get(h.linkName()), p);
        }
      }
    }
  }

  static Path resolve(Path root, String name) {
    Path p = root;
    for (String part : name.split("/")) {
      if (!part.isEmpty() && !part.equals(".")) {
        p = p.resolve(part);
      }
    }
    return p;
  }
}
