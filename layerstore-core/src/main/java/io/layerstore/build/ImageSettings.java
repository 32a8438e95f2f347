package io.layerstore.build;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The config of a built image: what it runs, with which environment, as whom; immutable, made with
 * {@link #builder()}.
 *
 * <p>On a base image, what is not set here is the base's: {@code env} and {@code labels} are merged
 * into the base's (a key set here wins), exposed ports and volumes are added to the base's, and the
 * other fields replace the base's when set. Setting the entrypoint without the cmd clears the
 * base's cmd, as a Dockerfile's {@code ENTRYPOINT} does.
 *
 * <p>The created time is fixed ({@link Instant#EPOCH} unless set, e.g. to {@code
 * SOURCE_DATE_EPOCH}), so the image id depends on the inputs alone.
 */
public final class ImageSettings {

  /**
   * One history entry added after the layers' own (which the builder adds, one per layer). It
   * describes a config change, so it is always marked {@code empty_layer}.
   *
   * @param createdBy what made the change, e.g. {@code ENV MODE=prod}; may be null
   * @param comment a comment; may be null
   */
  public record History(String createdBy, String comment) {}

  private final List<String> entrypoint;
  private final List<String> cmd;
  private final Map<String, String> env;
  private final Map<String, String> labels;
  private final String user;
  private final String workdir;
  private final Set<String> exposedPorts;
  private final Set<String> volumes;
  private final List<History> history;
  private final Instant created;
  private final String author;

  private ImageSettings(Builder b) {
    this.entrypoint = b.entrypoint == null ? null : List.copyOf(b.entrypoint);
    this.cmd = b.cmd == null ? null : List.copyOf(b.cmd);
    this.env = Collections.unmodifiableMap(new LinkedHashMap<>(b.env));
    this.labels = Collections.unmodifiableMap(new LinkedHashMap<>(b.labels));
    this.user = b.user;
    this.workdir = b.workdir;
    this.exposedPorts = Collections.unmodifiableSet(new TreeSet<>(b.exposedPorts));
    this.volumes = Collections.unmodifiableSet(new TreeSet<>(b.volumes));
    this.history = List.copyOf(b.history);
    this.created = b.created;
    this.author = b.author;
  }

  /**
   * A new builder: nothing set, created at the epoch.
   *
   * @return the builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The settings that change nothing of the base image's config.
   *
   * @return empty settings
   */
  public static ImageSettings defaults() {
    return builder().build();
  }

  /**
   * The entrypoint.
   *
   * @return the exec form, or empty to keep the base's
   */
  public Optional<List<String>> entrypoint() {
    return Optional.ofNullable(entrypoint);
  }

  /**
   * The command (the entrypoint's arguments, or the program when there is no entrypoint).
   *
   * @return the exec form, or empty to keep the base's (cleared when only the entrypoint is set)
   */
  public Optional<List<String>> cmd() {
    return Optional.ofNullable(cmd);
  }

  /**
   * Environment variables to set, in the order given.
   *
   * @return an unmodifiable map of names to values
   */
  public Map<String, String> env() {
    return env;
  }

  /**
   * Labels to set.
   *
   * @return an unmodifiable map
   */
  public Map<String, String> labels() {
    return labels;
  }

  /**
   * The user the image runs as.
   *
   * @return {@code user[:group]} (names or ids), or empty to keep the base's
   */
  public Optional<String> user() {
    return Optional.ofNullable(user);
  }

  /**
   * The working directory.
   *
   * @return an absolute path, or empty to keep the base's
   */
  public Optional<String> workdir() {
    return Optional.ofNullable(workdir);
  }

  /**
   * Ports to expose, as {@code port/protocol}.
   *
   * @return an unmodifiable sorted set
   */
  public Set<String> exposedPorts() {
    return exposedPorts;
  }

  /**
   * Volumes to declare.
   *
   * @return an unmodifiable sorted set of absolute paths
   */
  public Set<String> volumes() {
    return volumes;
  }

  /**
   * History entries added after the layers' own.
   *
   * @return an unmodifiable list
   */
  public List<History> history() {
    return history;
  }

  /**
   * The image's created time, which its history entries share.
   *
   * @return the time; {@link Instant#EPOCH} unless set
   */
  public Instant created() {
    return created;
  }

  /**
   * The image's author.
   *
   * @return the author, or empty for none
   */
  public Optional<String> author() {
    return Optional.ofNullable(author);
  }

  /** Collects settings; {@link #build()} makes the immutable value. */
  public static final class Builder {
    private List<String> entrypoint;
    private List<String> cmd;
    private final Map<String, String> env = new LinkedHashMap<>();
    private final Map<String, String> labels = new LinkedHashMap<>();
    private String user;
    private String workdir;
    private final Set<String> exposedPorts = new TreeSet<>();
    private final Set<String> volumes = new TreeSet<>();
    private final List<History> history = new ArrayList<>();
    private Instant created = Instant.EPOCH;
    private String author;

    private Builder() {}

    /**
     * Sets the entrypoint (exec form).
     *
     * @param argv the program and its first arguments
     * @return this builder
     */
    public Builder entrypoint(List<String> argv) {
      this.entrypoint = List.copyOf(argv);
      return this;
    }

    /**
     * Sets the command (exec form).
     *
     * @param argv the arguments (or the program, without an entrypoint)
     * @return this builder
     */
    public Builder cmd(List<String> argv) {
      this.cmd = List.copyOf(argv);
      return this;
    }

    /**
     * Sets one environment variable.
     *
     * @param name the name; not empty, no {@code =}
     * @param value the value
     * @return this builder
     * @throws IllegalArgumentException if the name is empty or holds {@code =}
     */
    public Builder env(String name, String value) {
      if (name.isEmpty() || name.indexOf('=') >= 0) {
        throw new IllegalArgumentException("invalid environment variable name: \"" + name + "\"");
      }
      env.put(name, Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Sets one label.
     *
     * @param key the key; not empty
     * @param value the value
     * @return this builder
     * @throws IllegalArgumentException if the key is empty
     */
    public Builder label(String key, String value) {
      if (key.isEmpty()) {
        throw new IllegalArgumentException("empty label key");
      }
      labels.put(key, Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Sets the user.
     *
     * @param user {@code user[:group]}
     * @return this builder
     */
    public Builder user(String user) {
      this.user = Objects.requireNonNull(user, "user");
      return this;
    }

    /**
     * Sets the working directory.
     *
     * @param dir an absolute path
     * @return this builder
     * @throws IllegalArgumentException if {@code dir} is not absolute
     */
    public Builder workdir(String dir) {
      if (!dir.startsWith("/")) {
        throw new IllegalArgumentException("the working directory must be absolute: " + dir);
      }
      this.workdir = dir;
      return this;
    }

    /**
     * Exposes a port.
     *
     * @param port {@code 8080}, {@code 8080/tcp} or {@code 53/udp}; the protocol defaults to tcp
     * @return this builder
     * @throws IllegalArgumentException if the port is not 1..65535 or the protocol not tcp, udp or
     *     sctp
     */
    public Builder exposePort(String port) {
      String[] parts = port.split("/", -1);
      String proto = parts.length > 1 ? parts[1] : "tcp";
      int n;
      try {
        n = Integer.parseInt(parts[0]);
      } catch (NumberFormatException e) {
        n = -1;
      }
      if (parts.length > 2 || n < 1 || n > 65535 || !Set.of("tcp", "udp", "sctp").contains(proto)) {
        throw new IllegalArgumentException("invalid port to expose: \"" + port + "\"");
      }
      exposedPorts.add(n + "/" + proto);
      return this;
    }

    /**
     * Declares a volume.
     *
     * @param path an absolute path
     * @return this builder
     * @throws IllegalArgumentException if {@code path} is not absolute
     */
    public Builder volume(String path) {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("a volume must be an absolute path: " + path);
      }
      volumes.add(path);
      return this;
    }

    /**
     * Adds a history entry after the layers' own.
     *
     * @param entry the entry
     * @return this builder
     */
    public Builder history(History entry) {
      history.add(Objects.requireNonNull(entry, "entry"));
      return this;
    }

    /**
     * Sets the created time (e.g. {@code SOURCE_DATE_EPOCH}); {@link Instant#EPOCH} by default.
     *
     * @param time the time
     * @return this builder
     */
    public Builder created(Instant time) {
      this.created = Objects.requireNonNull(time, "time");
      return this;
    }

    /**
     * Sets the created time from {@code SOURCE_DATE_EPOCH}'s value.
     *
     * @param sourceDateEpoch decimal seconds since the epoch
     * @return this builder
     * @throws IllegalArgumentException if the value is not a non-negative decimal number
     */
    public Builder createdFromSourceDateEpoch(String sourceDateEpoch) {
      return created(LayerSpec.parseSourceDateEpoch(sourceDateEpoch));
    }

    /**
     * Sets the author.
     *
     * @param author who made the image
     * @return this builder
     */
    public Builder author(String author) {
      this.author = Objects.requireNonNull(author, "author");
      return this;
    }

    /**
     * Makes the settings.
     *
     * @return the immutable value
     */
    public ImageSettings build() {
      return new ImageSettings(this);
    }
  }
}
