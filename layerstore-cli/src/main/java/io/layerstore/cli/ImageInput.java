package io.layerstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.CompressorException;
import org.apache.commons.compress.compressors.CompressorStreamFactory;

/**
 * The image a benchmark is given, opened for the floor and the peers (untimed): a {@code docker
 * save} archive or an OCI image layout, each as a directory or a tar. A tar is unpacked into a
 * preparation directory so that its layer files can be read one by one.
 */
final class ImageInput {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One layer blob: its file and how it is compressed ("", "gzip" or "zstd"). */
  record Layer(Path file, String compression, long bytes) {}

  final Path source;
  final Path dir;
  final boolean oci;
  final String ociRef;
  final List<Layer> layers;

  private ImageInput(Path source, Path dir, boolean oci, String ociRef, List<Layer> layers) {
    this.source = source;
    this.dir = dir;
    this.oci = oci;
    this.ociRef = ociRef;
    this.layers = layers;
  }

  /**
   * Reads {@code source}: a docker save archive when it has a {@code manifest.json} (Docker 25 and
   * later write both indexes; docker's wins), else an OCI layout ({@code index.json}).
   */
  static ImageInput open(Path source, Path prep) throws IOException {
    Path dir = source;
    if (!Files.isDirectory(source)) {
      dir = Files.createDirectories(prep);
      Shell.check(List.of("tar", "-xf", source.toString(), "-C", dir.toString()));
    }
    List<Path> files = new ArrayList<>();
    String ref = null;
    boolean oci = !Files.exists(dir.resolve("manifest.json"));
    if (!oci) {
      for (JsonNode l : read(dir.resolve("manifest.json")).get(0).get("Layers")) {
        files.add(dir.resolve(l.asText()));
      }
    } else if (Files.exists(dir.resolve("index.json"))) {
      JsonNode entry = read(dir.resolve("index.json")).get("manifests").get(0);
      JsonNode name = entry.path("annotations").path("org.opencontainers.image.ref.name");
      ref = name.isMissingNode() ? null : name.asText();
      for (JsonNode l : read(blob(dir, entry.get("digest").asText())).get("layers")) {
        files.add(blob(dir, l.get("digest").asText()));
      }
    } else {
      throw new IOException(source + ": neither a docker save archive nor an OCI image layout");
    }
    List<Layer> layers = new ArrayList<>();
    for (Path f : files) {
      layers.add(new Layer(f, compression(f), Files.size(f)));
    }
    return new ImageInput(source, dir, oci, ref, List.copyOf(layers));
  }

  private static Path blob(Path dir, String digest) {
    return dir.resolve("blobs").resolve(digest.replace(':', '/'));
  }

  private static JsonNode read(Path json) throws IOException {
    return JSON.readTree(json.toFile());
  }

  /** "gzip", "zstd" or "" by the file's magic number. */
  static String compression(Path file) throws IOException {
    byte[] m = new byte[4];
    try (InputStream in = Files.newInputStream(file)) {
      int n = in.readNBytes(m, 0, 4);
      if (n >= 2 && (m[0] & 0xff) == 0x1f && (m[1] & 0xff) == 0x8b) {
        return "gzip";
      }
      if (n == 4
          && m[0] == 0x28
          && (m[1] & 0xff) == 0xb5
          && m[2] == 0x2f
          && (m[3] & 0xff) == 0xfd) {
        return "zstd";
      }
    }
    return "";
  }

  long bytes() {
    return layers.stream().mapToLong(Layer::bytes).sum();
  }

  /** The layers, largest first: the order in which parallel work finishes soonest. */
  List<Layer> largestFirst() {
    return layers.stream().sorted(Comparator.comparingLong(Layer::bytes).reversed()).toList();
  }

  /** The number of tar members of all layers (for figures per file). */
  long members() throws IOException {
    long n = 0;
    for (Layer l : layers) {
      try (InputStream raw = new BufferedInputStream(Files.newInputStream(l.file()));
          InputStream in =
              l.compression().isEmpty()
                  ? raw
                  : new CompressorStreamFactory().createCompressorInputStream(raw);
          TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
        while (tar.getNextEntry() != null) {
          n++;
        }
      } catch (CompressorException e) {
        throw new IOException(l.file() + ": " + e.getMessage(), e);
      }
    }
    return n;
  }
}
