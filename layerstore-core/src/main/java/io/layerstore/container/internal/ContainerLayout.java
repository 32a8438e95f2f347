package io.layerstore.container.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.ImageId;
import io.layerstore.LayerStoreException;
import io.layerstore.container.Container;
import io.layerstore.container.ContainerId;
import io.layerstore.container.InitFiles;
import io.layerstore.store.AtomicFiles;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Owner of {@code <root>/layerstore/containers/}: our own record of each container, beside the
 * parts Docker's layout has.
 *
 * <h2>Where a container lives</h2>
 *
 * <pre>
 * &lt;root&gt;/
 *   image/&lt;driver&gt;/layerdb/mounts/&lt;containerID&gt;/   0755  Docker's record (owned by LayerDb):
 *       mount-id   &lt;mountID&gt;                       the read-write layer's driver id
 *       init-id    &lt;mountID&gt;-init                  absent for a container without init layer
 *       parent     sha256:&lt;chainID of the image's top layer&gt;
 *   &lt;driver&gt;/&lt;mountID&gt;-init/                          init layer (driver dir, on the image's top layer)
 *   &lt;driver&gt;/&lt;mountID&gt;/                               read-write layer (on the init layer)
 *   layerstore/containers/                  0700  ours (this class)
 *     &lt;containerID&gt;.json                   0600  the record below, replaced atomically
 *     .tmp-*                                      temporaries of an interrupted write
 *     names/                              0700  one file per name in use, so a name is found
 *       &lt;name&gt;                            0600  (and reserved) without reading every record:
 *                                                 the owner's container id, no NL
 * </pre>
 *
 * <p>A name file whose container has no live record under that name is stale (a crash between the
 * steps below) and is taken over by the next container wanting the name.
 *
 * <p>The record ({@code version} 1) is a JSON object: {@code state}, {@code id}, {@code name},
 * {@code image} (image id), {@code imageReference} (as the caller named the image), {@code created}
 * (ISO-8601), {@code mountId}, {@code initLayer} (boolean), {@code init} ({@code hostname}, {@code
 * hosts} [{@code ip}, {@code name}], {@code resolvConf}) and {@code config} (the container's config
 * in Docker's {@code container.Config} shape).
 *
 * <h2>States, and what a collector must keep</h2>
 *
 * <ul>
 *   <li>{@code creating}: written first, under the store lock, before any driver dir exists (not
 *       fsynced: it only helps cleaning up); the driver dirs follow, then the record becomes {@code
 *       created} (fsynced), then {@code layerdb/mounts/<id>} is written (not fsynced). A {@code
 *       creating} record seen while holding the store lock is the leftover of a crash: its driver
 *       dirs are to be removed with it.
 *   <li>{@code created}: a live container. This record is the durable truth; a missing {@code
 *       layerdb/mounts/<id>} entry is rewritten from it (by the next create or remove).
 *   <li>{@code removing}: written first by a removal, which then deletes the mounts entry, the
 *       driver dirs and last this record; a leftover is finished the same way.
 * </ul>
 *
 * <p>A collector must keep: every layer on the chain below the {@code parent} of any {@code
 * layerdb/mounts} entry (ours or one Docker made, whose record lives in Docker's own {@code
 * containers/} dir instead of here), the driver dirs {@code <mount-id>} and {@code <init-id>} of
 * every mounts entry, and the image a {@code created} record names. Driver dirs of a {@code
 * creating} record that has no mounts entry yet belong to a create in progress while the store lock
 * is held by someone else, and to a crashed one otherwise.
 */
public final class ContainerLayout {

  static final String SUFFIX = ".json";
  static final int DIR_MODE = 0700;
  static final int FILE_MODE = 0600;
  private static final int VERSION = 1;

  private final Path dir;
  private final AtomicFiles files;
  private final ObjectMapper json;

  ContainerLayout(Path dir, AtomicFiles files, ObjectMapper json) {
    this.dir = dir;
    this.files = files;
    this.json = json;
  }

  /**
   * {@code layerstore/containers/}: the directory this class owns.
   *
   * @return the directory; it may not exist yet in a store that never had a container
   */
  public Path dir() {
    return dir;
  }

  /**
   * {@code layerstore/containers/<id>.json}: where a container's record is (or would be).
   *
   * @param id the container
   * @return the record's path; the file may not exist
   */
  public Path record(ContainerId id) {
    return dir.resolve(id.hex() + SUFFIX);
  }

  /** {@code layerstore/containers/names/} */
  Path namesDir() {
    return dir.resolve("names");
  }

  /** {@code layerstore/containers/names/<name>} */
  Path nameFile(String name) {
    if (!ContainerNames.isValid(name)) {
      throw new IllegalArgumentException("invalid container name \"" + name + "\"");
    }
    return namesDir().resolve(name);
  }

  /** The container a name file points at, or null if there is none (or it is unreadable). */
  ContainerId nameOwner(String name) throws IOException {
    try {
      String text =
          new String(
              Files.readAllBytes(nameFile(name)), java.nio.charset.StandardCharsets.US_ASCII);
      return ContainerId.isValid(text) ? new ContainerId(text) : null;
    } catch (NoSuchFileException e) {
      return null;
    }
  }

  /**
   * Points {@code name} at {@code id}; returns false if the name file exists already (the caller
   * decides whether it is stale and then {@link #forceName}s it). Not fsynced: the name files are
   * rebuilt from the records after a crash.
   */
  boolean reserveName(String name, ContainerId id) throws IOException {
    AtomicFiles.ensureDirectory(namesDir(), DIR_MODE);
    try {
      Files.write(
          nameFile(name),
          id.hex().getBytes(java.nio.charset.StandardCharsets.US_ASCII),
          StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
    } catch (java.nio.file.FileAlreadyExistsException e) {
      return false;
    }
    AtomicFiles.setMode(nameFile(name), FILE_MODE);
    return true;
  }

  /** Points {@code name} at {@code id}, replacing a stale name file. */
  void forceName(String name, ContainerId id) throws IOException {
    AtomicFiles.ensureDirectory(namesDir(), DIR_MODE);
    Path tmp = namesDir().resolve(".tmp-" + name + files.randomHex(8));
    try {
      Files.write(
          tmp,
          id.hex().getBytes(java.nio.charset.StandardCharsets.US_ASCII),
          StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
      AtomicFiles.setMode(tmp, FILE_MODE);
      files.move(tmp, nameFile(name));
    } catch (IOException | RuntimeException x) {
      Files.deleteIfExists(tmp);
      throw x;
    }
  }

  /** Removes the name file of {@code name} if it points at {@code id}. */
  void releaseName(String name, ContainerId id) throws IOException {
    if (ContainerNames.isValid(name) && id.equals(nameOwner(name))) {
      Files.deleteIfExists(nameFile(name));
    }
  }

  /**
   * The ids that have a record, in any state ({@code creating}, {@code created}, {@code removing}).
   *
   * @return the ids in ascending order; empty when the directory does not exist
   * @throws IOException if the directory cannot be listed
   */
  public List<ContainerId> ids() throws IOException {
    List<ContainerId> out = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        if (n.endsWith(SUFFIX)
            && ContainerId.isValid(n.substring(0, n.length() - SUFFIX.length()))) {
          out.add(new ContainerId(n.substring(0, n.length() - SUFFIX.length())));
        }
      }
    }
    out.sort(null);
    return out;
  }

  /**
   * Temporaries left by an interrupted write ({@code .tmp-*} in the records and names directories),
   * which {@link io.layerstore.LayerStore#check} reports and a repair removes.
   *
   * @return their paths, in no particular order
   * @throws IOException if a directory cannot be listed
   */
  public List<Path> tempLeftovers() throws IOException {
    List<Path> out = new ArrayList<>();
    for (Path d : List.of(dir, namesDir())) {
      if (Files.isDirectory(d)) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d, ".tmp-*")) {
          ds.forEach(out::add);
        }
      }
    }
    return out;
  }

  /** The names that have a name file (stale ones included). */
  List<String> names() throws IOException {
    List<String> out = new ArrayList<>();
    if (Files.isDirectory(namesDir())) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(namesDir())) {
        for (Path p : ds) {
          String n = p.getFileName().toString();
          if (ContainerNames.isValid(n)) {
            out.add(n);
          }
        }
      }
    }
    return out;
  }

  /** The lifecycle state of a record. */
  enum State {
    CREATING("creating"),
    CREATED("created"),
    REMOVING("removing");

    final String text;

    State(String text) {
      this.text = text;
    }

    static State of(String text) {
      for (State s : values()) {
        if (s.text.equals(text)) {
          return s;
        }
      }
      throw new IllegalArgumentException("unknown state \"" + text + "\"");
    }
  }

  /** One record: the container and its state. */
  record Entry(Container container, State state, ObjectNode config) {
    Entry withState(State s) {
      return new Entry(container, s, config);
    }
  }

  /**
   * Writes (replaces) a record atomically.
   *
   * @param durable whether it must survive a power loss once this returns (when the store is
   *     durable); a {@code creating} record is only a hint for cleaning up and need not
   */
  void write(Entry e, boolean durable) throws IOException {
    AtomicFiles.ensureDirectory(dir, DIR_MODE);
    Container c = e.container();
    ObjectNode o = json.createObjectNode();
    o.put("version", VERSION);
    o.put("state", e.state().text);
    o.put("id", c.id().hex());
    o.put("name", c.name());
    o.put("image", c.image().toString());
    o.put("imageReference", c.imageReference());
    o.put("created", c.created().toString());
    o.put("mountId", c.mountId());
    o.put("initLayer", c.initId() != null);
    ObjectNode init = o.putObject("init");
    init.put("hostname", c.init().hostname());
    ArrayNode hosts = init.putArray("hosts");
    for (InitFiles.HostEntry h : c.init().hosts()) {
      hosts.addObject().put("ip", h.ip()).put("name", h.name());
    }
    init.put("resolvConf", c.init().resolvConf());
    o.set("config", e.config());
    byte[] bytes = json.writeValueAsBytes(o);
    if (durable) {
      files.write(record(c.id()), bytes, FILE_MODE);
      return;
    }
    Path target = record(c.id());
    Path tmp = dir.resolve(".tmp-" + target.getFileName() + files.randomHex(8));
    try {
      Files.write(tmp, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      AtomicFiles.setMode(tmp, FILE_MODE);
      files.move(tmp, target);
    } catch (IOException | RuntimeException x) {
      Files.deleteIfExists(tmp);
      throw x;
    }
  }

  /** Reads a record; a missing one is null, a corrupt one an error naming the file. */
  Entry read(ContainerId id) throws IOException {
    Path p = record(id);
    byte[] data;
    try {
      data = Files.readAllBytes(p);
    } catch (NoSuchFileException e) {
      return null;
    }
    try {
      JsonNode o = json.readTree(data);
      if (o == null || !o.isObject() || o.path("version").asInt() != VERSION) {
        throw new IllegalArgumentException("not a version " + VERSION + " container record");
      }
      ContainerId recorded = ContainerId.parse(o.path("id").asText());
      if (!recorded.equals(id)) {
        throw new IllegalArgumentException("record names container " + recorded);
      }
      String mountId = o.path("mountId").asText();
      boolean hasInit = o.path("initLayer").asBoolean();
      InitFiles init = hasInit ? InitFiles.docker() : InitFiles.none();
      JsonNode i = o.path("init");
      if (i.hasNonNull("hostname")) {
        init = init.hostname(i.get("hostname").asText());
      }
      for (JsonNode h : i.path("hosts")) {
        init = init.addHost(h.path("name").asText(), h.path("ip").asText());
      }
      if (i.hasNonNull("resolvConf")) {
        init = init.resolvConf(i.get("resolvConf").asText());
      }
      JsonNode stored = o.get("config");
      ObjectNode config =
          stored != null && stored.isObject() ? (ObjectNode) stored : json.createObjectNode();
      Container c =
          new Container(
              id,
              o.path("name").asText(),
              ImageId.parse(o.path("image").asText()),
              o.path("imageReference").asText(),
              Instant.parse(o.path("created").asText()),
              mountId,
              hasInit ? mountId + "-init" : null,
              init,
              ContainerConfig.command(config));
      return new Entry(c, State.of(o.path("state").asText()), config);
    } catch (IOException | IllegalArgumentException | DateTimeParseException e) {
      throw new LayerStoreException(p + ": unreadable container record: " + e.getMessage(), e);
    }
  }

  /** Deletes a record; absent is fine. */
  void delete(ContainerId id) throws IOException {
    Files.deleteIfExists(record(id));
    files.syncDir(dir);
  }
}
