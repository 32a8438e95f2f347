package io.layerstore.reliability;

import io.layerstore.Digest;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a {@code docker save} archive around raw layer bytes, with every part replaceable: the
 * manifest text, the config text, the diffIDs, extra members (symlinks, files). What it writes by
 * default is what Docker writes, so each test changes exactly the one thing it is about.
 */
final class SaveArchive {

  private final List<byte[]> layers = new ArrayList<>();
  private final List<String> diffIds = new ArrayList<>();
  private final List<String[]> symlinks = new ArrayList<>();
  private String tag = null;
  private String manifest;
  private String config;
  private List<String> layerNames;

  /** A layer; its diffID is the sha256 of {@code tar} (give it uncompressed, or override). */
  SaveArchive layer(byte[] tar) {
    layers.add(tar);
    diffIds.add("sha256:" + Digest.of(tar).hex());
    return this;
  }

  /** Replaces the diffID the config gives layer {@code i}. */
  SaveArchive diffId(int i, String diffId) {
    diffIds.set(i, diffId);
    return this;
  }

  SaveArchive tag(String t) {
    this.tag = t;
    return this;
  }

  /** Manifest text instead of the one made from the layers. */
  SaveArchive manifest(String text) {
    this.manifest = text;
    return this;
  }

  /** Config text instead of the one made from the layers; %s is replaced by the diff_ids array. */
  SaveArchive config(String text) {
    this.config = text;
    return this;
  }

  /** Layer paths the manifest names instead of the real ones. */
  SaveArchive layerNames(List<String> names) {
    this.layerNames = names;
    return this;
  }

  /** An extra symlink member. */
  SaveArchive symlink(String name, String target) {
    symlinks.add(new String[] {name, target});
    return this;
  }

  String diffIdsJson() {
    return "[" + String.join(",", diffIds.stream().map(d -> "\"" + d + "\"").toList()) + "]";
  }

  byte[] configBytes() {
    String c =
        config != null
            ? config
            : "{\"architecture\":\"amd64\",\"config\":{},\"created\":\"2024-01-01T00:00:00Z\","
                + "\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":%s}}";
    return String.format(c, diffIdsJson()).getBytes(StandardCharsets.UTF_8);
  }

  String configName() {
    return Digest.of(configBytes()).hex() + ".json";
  }

  /** The member name of layer {@code i}. */
  static String layerName(int i) {
    return String.format("%064x/layer.tar", i + 1);
  }

  Path write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    try (OutputStream out = Files.newOutputStream(file)) {
      TarWriter w = new TarWriter(out);
      Instant t = Instant.parse("2024-01-01T00:00:00Z");
      List<String> names = new ArrayList<>();
      for (int i = 0; i < layers.size(); i++) {
        String name = layerName(i);
        w.putNextEntry(
            TarHeader.builder(name.substring(0, 65), TarHeader.DIRECTORY)
                .mode(040755)
                .mtime(t)
                .build());
        w.putNextEntry(
            TarHeader.builder(name, TarHeader.REGULAR)
                .mode(0100644)
                .size(layers.get(i).length)
                .mtime(t)
                .build());
        w.write(layers.get(i), 0, layers.get(i).length);
        names.add(name);
      }
      for (String[] s : symlinks) {
        w.putNextEntry(
            TarHeader.builder(s[0], TarHeader.SYMLINK)
                .mode(0120777)
                .linkName(s[1])
                .mtime(t)
                .build());
      }
      byte[] c = configBytes();
      w.putNextEntry(
          TarHeader.builder(configName(), TarHeader.REGULAR)
              .mode(0100644)
              .size(c.length)
              .mtime(t)
              .build());
      w.write(c, 0, c.length);
      List<String> shown = layerNames != null ? layerNames : names;
      String m =
          manifest != null
              ? manifest
              : "[{\"Config\":\""
                  + configName()
                  + "\",\"RepoTags\":"
                  + (tag == null ? "null" : "[\"" + tag + "\"]")
                  + ",\"Layers\":["
                  + String.join(",", shown.stream().map(n -> "\"" + n + "\"").toList())
                  + "]}]\n";
      byte[] mb = m.getBytes(StandardCharsets.UTF_8);
      w.putNextEntry(
          TarHeader.builder("manifest.json", TarHeader.REGULAR)
              .mode(0100644)
              .size(mb.length)
              .mtime(t)
              .build());
      w.write(mb, 0, mb.length);
      w.finish();
    }
    return file;
  }
}
