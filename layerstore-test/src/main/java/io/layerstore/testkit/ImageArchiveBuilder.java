package io.layerstore.testkit;

import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.InvalidReferenceException;
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

  /**
   * Starts a new layer on top of the previous ones. Its entries get the image's creation time as
   * mtime, as it is when the layer is started: set {@link #created} first.
   *
   * @return the new layer, to add entries to
   */
  public LayerBuilder layer() {
    LayerBuilder l = new LayerBuilder(created);
    layers.add(l);
    return l;
  }

  /**
   * Adds a tag to the archive's manifest ({@code RepoTags}); {@code latest} is added when no tag is
   * written.
   *
   * @param reference {@code name[:tag]}
   * @return this builder
   * @throws IllegalArgumentException if {@code reference} is not a valid reference
   */
  public ImageArchiveBuilder tag(String reference) {
    Reference r;
    try {
      r = Reference.parse(reference).withDefaultTag();
    } catch (InvalidReferenceException e) {
      throw new IllegalArgumentException(e.getMessage(), e); // a builder call is test code
    }
    tags.add(r.familiarString());
    return this;
  }

  /**
   * The image's creation time, for the config, its history and the entries' mtimes (default
   * 2024-01-01T00:00:00Z, so that the same builder calls make the same image id).
   *
   * @param t the time; layers already started keep the time they started with
   * @return this builder
   */
  public ImageArchiveBuilder created(Instant t) {
    this.created = t;
    return this;
  }

  /**
   * The config's {@code Cmd} (default {@code ["/bin/sh"]}).
   *
   * @param c the command and its arguments, copied
   * @return this builder
   */
  public ImageArchiveBuilder cmd(List<String> c) {
    this.cmd = List.copyOf(c);
    return this;
  }

  /**
   * The layers' tar bytes, base first. Finishes every layer: adding entries afterwards fails.
   *
   * @return one uncompressed tar per layer; the arrays are the layers' own, not copies
   * @throws IOException if a layer cannot be finished
   */
  public List<byte[]> layerTars() throws IOException {
    List<byte[]> out = new ArrayList<>();
    for (LayerBuilder l : layers) {
      out.add(l.tar());
    }
    return out;
  }

  /**
   * The image config this archive will hold: architecture of this host, os {@code linux}, a {@code
   * PATH}, the command, and one history entry and diffID per layer. Finishes every layer.
   *
   * @return the config's bytes; their sha256 is the image id
   * @throws IOException if a layer cannot be finished
   */
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

  /**
   * Writes the archive; returns the image id.
   *
   * @param archive the file to write, replaced if it exists (not atomically)
   * @return the image's id
   * @throws IOException if the file cannot be written
   */
  public ImageId write(Path archive) throws IOException {
    try (OutputStream out = Files.newOutputStream(archive)) {
      return write(out);
    }
  }

  /**
   * Writes the archive to a stream (left open); returns the image id. The archive has the legacy
   * layout {@code docker save} writes: one {@code <id>/layer.tar} per layer, the config and {@code
   * manifest.json}.
   *
   * @param out where the tar goes
   * @return the image's id
   * @throws IOException if the stream cannot be written
   */
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

    /**
     * A directory owned by root.
     *
     * @param name the entry's name; a trailing {@code /} is added if missing
     * @param mode the permission bits, no type bits
     * @return this layer
     * @throws IllegalStateException if the layer is finished
     * @throws IOException if the entry cannot be written as tar
     */
    public LayerBuilder dir(String name, int mode) throws IOException {
      return add(
          h(name.endsWith("/") ? name : name + "/", TarHeader.DIRECTORY, 040000, mode).build(),
          null);
    }

    /**
     * A regular file owned by root.
     *
     * @param name the entry's name
     * @param content the content, written as UTF-8
     * @param mode the permission bits, no type bits
     * @return this layer
     * @throws IllegalStateException if the layer is finished
     * @throws IOException if the entry cannot be written as tar
     */
    public LayerBuilder file(String name, String content, int mode) throws IOException {
      return file(name, content.getBytes(StandardCharsets.UTF_8), mode);
    }

    /**
     * A regular file owned by root.
     *
     * @param name the entry's name
     * @param content the content
     * @param mode the permission bits, no type bits
     * @return this layer
     * @throws IllegalStateException if the layer is finished
     * @throws IOException if the entry cannot be written as tar
     */
    public LayerBuilder file(String name, byte[] content, int mode) throws IOException {
      return add(h(name, TarHeader.REGULAR, 0100000, mode).size(content.length).build(), content);
    }

    /**
     * A regular file with an owner and extended attributes.
     *
     * @param name the entry's name
     * @param content the content
     * @param mode the permission bits, no type bits
     * @param uid the owner
     * @param gid the group
     * @param xattrs extended attributes by full name (such as {@code user.x}), written as PAX
     *     records
     * @return this layer
     * @throws IllegalStateException if the layer is finished
     * @throws IOException if the entry cannot be written as tar
     */
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

    /**
     * A symlink owned by root, mode 0777.
     *
     * @param name the entry's name
     * @param target what it points at, as written (relative or absolute)
     * @return this layer
     * @throws IllegalStateException if the layer is finished
     * @throws IOException if the entry cannot be written as tar
     */
    public LayerBuilder symlink(String name, String target) throws IOException {
      return add(h(name, TarHeader.SYMLINK, 0120000, 0777).linkName(target).build(), null);
    }

    /**
     * A hard link, mode 0644 in its header whatever the target's mode.
     *
     * @param name the entry's name
     * @param target the name of an earlier entry of this layer
     * @return this layer
     * @throws IllegalStateException if the layer is finished
     * @throws IOException if the entry cannot be written as tar
     */
    public LayerBuilder hardlink(String name, String target) throws IOException {
      return add(h(name, TarHeader.HARDLINK, 0100000, 0644).linkName(target).build(), null);
    }

    /**
     * A named pipe owned by root.
     *
     * @param name the entry's name
     * @param mode the permission bits, no type bits
     * @return this layer
     * @throws IllegalStateException if the layer is finished
     * @throws IOException if the entry cannot be written as tar
     */
    public LayerBuilder fifo(String name, int mode) throws IOException {
      return add(h(name, TarHeader.FIFO, 010000, mode).build(), null);
    }

    /**
     * A character device owned by root; whether a store creates it depends on its {@link
     * io.layerstore.DevicePolicy}.
     *
     * @param name the entry's name
     * @param mode the permission bits, no type bits
     * @param major the device's major number
     * @param minor the device's minor number
     * @return this layer
     * @throws IllegalStateException if the layer is finished
     * @throws IOException if the entry cannot be written as tar
     */
    public LayerBuilder charDevice(String name, int mode, int major, int minor) throws IOException {
      return add(h(name, TarHeader.CHAR_DEVICE, 020000, mode).device(major, minor).build(), null);
    }

    /**
     * Deletes {@code path} of the layers below ({@code dir/.wh.NAME}).
     *
     * @param path the path to delete, relative, without a trailing {@code /}
     * @return this layer
     * @throws IllegalStateException if the layer is finished
     * @throws IOException if the entry cannot be written as tar
     */
    public LayerBuilder whiteout(String path) throws IOException {
      return add(LayerTar.whiteoutHeader(path, mtime), new byte[0]);
    }

    /**
     * Hides everything the layers below have in {@code dir} ({@code dir/.wh..wh..opq}).
     *
     * @param dir the directory, which this layer should also hold
     * @return this layer
     * @throws IllegalStateException if the layer is finished
     * @throws IOException if the entry cannot be written as tar
     */
    public LayerBuilder opaque(String dir) throws IOException {
      return add(LayerTar.opaqueHeader(dir, 0755), new byte[0]);
    }

    /**
     * Any header; {@code content} for regular files.
     *
     * @param header the entry's header, written as is (its size must match {@code content})
     * @param content the content of a regular file, or {@code null}
     * @return this layer
     * @throws IllegalStateException if the layer is finished
     * @throws IOException if the entry cannot be written as tar
     */
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

    /**
     * The layer's tar bytes (finishes the layer: adding entries afterwards fails).
     *
     * @return the uncompressed tar; the same array on every call, not a copy
     * @throws IOException if the end of the tar cannot be written
     */
    public byte[] tar() throws IOException {
      if (done == null) {
        tar.finish();
        done = bytes.toByteArray();
      }
      return done;
    }
  }
}
