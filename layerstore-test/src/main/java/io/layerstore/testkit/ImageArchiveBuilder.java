package io.layerstore.testkit;

import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.Reference;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarWriter;
import io.layerstore.format.ConfigWriter;
import io.layerstore.format.LegacyV1;
import io.layerstore.gocompat.GoJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds small {@code docker save} archives from scratch — layers entry by entry, whiteouts and
 * opaque directories included — for demos, tests and tools that need an image without a Docker
 * daemon. Layers are held in memory: this is for small images.
 *
 * <pre>{@code
 * ImageArchiveBuilder b = new ImageArchiveBuilder();
 * b.layer().dir("etc", 0755).file("etc/os-release", "demo\n", 0644);
 * b.layer().whiteout("etc/os-release").opaque("usr/share/doc");
 * ImageId id = b.tag("demo:latest").write(Path.of("demo.tar"));
 * }</pre>
 */
public final class ImageArchiveBuilder {

  private final List<LayerBuilder> layers = new ArrayList<>();
  private final List<String> tags = new ArrayList<>();
  private Instant created = Instant.parse("2024-01-01T00:00:00Z");
  private List<String> cmd = List.of("/bin/sh");

  /** Starts a new layer on top of the previous ones. */
  public LayerBuilder layer() {
    LayerBuilder l = new LayerBuilder(created);
    layers.add(l);
    return l;
  }

  public ImageArchiveBuilder tag(String reference) {
    Reference r = Reference.parse(reference).withDefaultTag();
    tags.add(r.familiarString());
    return this;
  }

  public ImageArchiveBuilder created(Instant t) {
    this.created = t;
    return this;
  }

  public ImageArchiveBuilder cmd(List<String> c) {
    this.cmd = List.copyOf(c);
    return this;
  }

  /** The layers' tar bytes, base first. */
  public List<byte[]> layerTars() throws IOException {
    List<byte[]> out = new ArrayList<>();
    for (LayerBuilder l : layers) {
      out.add(l.tar());
    }
    return out;
  }

  /** The image config this archive will hold. */
  public byte[] config() throws IOException {
    String when = LegacyV1.goTime(created.toString());
    StringBuilder diffIds = new StringBuilder();
    StringBuilder history = new StringBuilder();
    int i = 0;
    for (byte[] t : layerTars()) {
      diffIds.append(i > 0 ? "," : "").append(GoJson.quote(new DiffId(Digest.of(t)).toString()));
      history
          .append(i > 0 ? "," : "")
          .append("{\"created\":")
          .append(GoJson.quote(when))
          .append(",\"created_by\":")
          .append(GoJson.quote("layerstore ImageArchiveBuilder layer " + (i + 1)))
          .append('}');
      i++;
    }
    StringBuilder cmdJson = new StringBuilder("[");
    for (int k = 0; k < cmd.size(); k++) {
      cmdJson.append(k > 0 ? "," : "").append(GoJson.quote(cmd.get(k)));
    }
    cmdJson.append(']');
    String config =
        "{\"architecture\":"
            + GoJson.quote(ConfigWriter.goArch())
            + ",\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":"
            + cmdJson
            + "}"
            + ",\"created\":"
            + GoJson.quote(when)
            + ",\"history\":["
            + history
            + "]"
            + ",\"os\":\"linux\""
            + ",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
            + diffIds
            + "]}}";
    return config.getBytes(StandardCharsets.UTF_8);
  }

  /** Writes the archive; returns the image id. */
  public ImageId write(Path archive) throws IOException {
    try (OutputStream out = Files.newOutputStream(archive)) {
      return write(out);
    }
  }

  /** Writes the archive to a stream (left open); returns the image id. */
  public ImageId write(OutputStream out) throws IOException {
    byte[] config = config();
    ImageId id = ImageId.ofConfig(config);
    List<byte[]> tars = layerTars();
    TarWriter w = new TarWriter(out);
    StringBuilder layerNames = new StringBuilder();
    Instant t = Instant.ofEpochSecond(created.getEpochSecond());
    for (int i = 0; i < tars.size(); i++) {
      String dir =
          Digest.of(("layer " + i + " " + Digest.of(tars.get(i))).getBytes(StandardCharsets.UTF_8))
              .hex();
      w.putNextEntry(
          TarHeader.builder(dir + "/", TarHeader.DIRECTORY).mode(040755).mtime(t).build());
      w.putNextEntry(
          TarHeader.builder(dir + "/layer.tar", TarHeader.REGULAR)
              .mode(0100644)
              .size(tars.get(i).length)
              .mtime(t)
              .build());
      w.write(tars.get(i), 0, tars.get(i).length);
      layerNames.append(i > 0 ? "," : "").append(GoJson.quote(dir + "/layer.tar"));
    }
    String configName = id.digest().hex() + ".json";
    w.putNextEntry(
        TarHeader.builder(configName, TarHeader.REGULAR)
            .mode(0100644)
            .size(config.length)
            .mtime(t)
            .build());
    w.write(config, 0, config.length);
    StringBuilder repoTags = new StringBuilder();
    for (int k = 0; k < tags.size(); k++) {
      repoTags.append(k > 0 ? "," : "").append(GoJson.quote(tags.get(k)));
    }
    byte[] manifest =
        ("[{\"Config\":"
                + GoJson.quote(configName)
                + ",\"RepoTags\":"
                + (tags.isEmpty() ? "null" : "[" + repoTags + "]")
                + ",\"Layers\":["
                + layerNames
                + "]}]\n")
            .getBytes(StandardCharsets.UTF_8);
    w.putNextEntry(
        TarHeader.builder("manifest.json", TarHeader.REGULAR)
            .mode(0100644)
            .size(manifest.length)
            .mtime(Instant.EPOCH)
            .build());
    w.write(manifest, 0, manifest.length);
    w.finish();
    return id;
  }

  /** Entries of one layer, in the order they are added. */
  public static final class LayerBuilder {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarWriter tar = new TarWriter(bytes);
    private final Instant mtime;
    private byte[] done;

    LayerBuilder(Instant mtime) {
      this.mtime = Instant.ofEpochSecond(mtime.getEpochSecond());
    }

    private TarHeader.Builder h(String name, byte type, int typeBits, int mode) {
      return TarHeader.builder(name, type)
          .mode(typeBits | mode)
          .mtime(mtime)
          .userName("root")
          .groupName("root");
    }

    public LayerBuilder dir(String name, int mode) throws IOException {
      return add(
          h(name.endsWith("/") ? name : name + "/", TarHeader.DIRECTORY, 040000, mode).build(),
          null);
    }

    public LayerBuilder file(String name, String content, int mode) throws IOException {
      return file(name, content.getBytes(StandardCharsets.UTF_8), mode);
    }

    public LayerBuilder file(String name, byte[] content, int mode) throws IOException {
      return add(h(name, TarHeader.REGULAR, 0100000, mode).size(content.length).build(), content);
    }

    /** A regular file with an owner and extended attributes. */
    public LayerBuilder file(
        String name,
        byte[] content,
        int mode,
        long uid,
        long gid,
        java.util.Map<String, byte[]> xattrs)
        throws IOException {
      return add(
          h(name, TarHeader.REGULAR, 0100000, mode)
              .size(content.length)
              .uid(uid)
              .gid(gid)
              .xattrs(xattrs)
              .build(),
          content);
    }

    public LayerBuilder symlink(String name, String target) throws IOException {
      return add(h(name, TarHeader.SYMLINK, 0120000, 0777).linkName(target).build(), null);
    }

    public LayerBuilder hardlink(String name, String target) throws IOException {
      return add(h(name, TarHeader.HARDLINK, 0100000, 0644).linkName(target).build(), null);
    }

    public LayerBuilder fifo(String name, int mode) throws IOException {
      return add(h(name, TarHeader.FIFO, 010000, mode).build(), null);
    }

    public LayerBuilder charDevice(String name, int mode, int major, int minor) throws IOException {
      return add(h(name, TarHeader.CHAR_DEVICE, 020000, mode).device(major, minor).build(), null);
    }

    /** Deletes {@code path} of the layers below ({@code dir/.wh.NAME}). */
    public LayerBuilder whiteout(String path) throws IOException {
      int slash = path.lastIndexOf('/');
      String name =
          slash < 0
              ? ".wh." + path
              : path.substring(0, slash + 1) + ".wh." + path.substring(slash + 1);
      return add(
          TarHeader.builder(name, TarHeader.REGULAR).mode(0600).mtime(mtime).build(), new byte[0]);
    }

    /** Hides everything the layers below have in {@code dir} ({@code dir/.wh..wh..opq}). */
    public LayerBuilder opaque(String dir) throws IOException {
      String d = dir.endsWith("/") ? dir : dir + "/";
      return add(
          TarHeader.builder(d + ".wh..wh..opq", TarHeader.REGULAR)
              .mode(0755)
              .mtime(Instant.EPOCH)
              .build(),
          new byte[0]);
    }

    /** Any header; {@code content} for regular files. */
    public LayerBuilder add(TarHeader header, byte[] content) throws IOException {
      if (done != null) {
        throw new IllegalStateException("layer already written");
      }
      tar.putNextEntry(header);
      if (content != null && content.length > 0) {
        tar.write(content, 0, content.length);
      }
      return this;
    }

    /** The layer's tar bytes (finishes the layer). */
    public byte[] tar() throws IOException {
      if (done == null) {
        tar.finish();
        done = bytes.toByteArray();
      }
      return done;
    }
  }
}
