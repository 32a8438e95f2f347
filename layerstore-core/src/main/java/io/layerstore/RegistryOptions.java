package io.layerstore;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * How this store reaches registries: where docker's credentials and certificates are, which
 * registries may be spoken to in plain HTTP, the mirrors of Docker Hub, concurrency, retries and
 * timeouts. Immutable; built like jimfs's {@code Configuration}:
 *
 * <pre>{@code
 * RegistryOptions o = RegistryOptions.defaults().toBuilder()
 *     .insecureRegistries(Set.of("registry.lan:5000"))
 *     .mirrors(List.of(URI.create("https://mirror.gcr.io")))
 *     .build();
 * }</pre>
 *
 * <p>Equal options are {@link #equals equal}.
 */
public final class RegistryOptions {

  /** The proxy variables {@link #defaults()} takes from the environment, in both cases. */
  private static final List<String> PROXY_VARIABLES =
      List.of("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY");

  /** An address range of {@code insecure-registries}, as docker's daemon.json allows. */
  private static final java.util.regex.Pattern CIDR =
      java.util.regex.Pattern.compile("[0-9a-fA-F:.]+/[0-9]{1,3}");

  private final Path dockerConfigDir;
  private final List<Path> certsDirs;
  private final Set<String> insecureRegistries;
  private final List<URI> mirrors;
  private final int maxConcurrentDownloads;
  private final int maxConcurrentUploads;
  private final int maxAttempts;
  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final long maxManifestBytes;
  private final List<Path> credentialHelperPath;
  private final Map<String, String> proxyEnvironment;

  private RegistryOptions(Builder b) {
    this.dockerConfigDir = b.dockerConfigDir;
    this.certsDirs = List.copyOf(b.certsDirs);
    this.insecureRegistries = Set.copyOf(b.insecureRegistries);
    this.mirrors = List.copyOf(b.mirrors);
    this.maxConcurrentDownloads = b.maxConcurrentDownloads;
    this.maxConcurrentUploads = b.maxConcurrentUploads;
    this.maxAttempts = b.maxAttempts;
    this.connectTimeout = b.connectTimeout;
    this.readTimeout = b.readTimeout;
    this.maxManifestBytes = b.maxManifestBytes;
    this.credentialHelperPath = List.copyOf(b.credentialHelperPath);
    this.proxyEnvironment = Map.copyOf(b.proxyEnvironment);
  }

  /**
   * Options as docker would take them from this environment: the configuration directory {@code
   * $DOCKER_CONFIG} or {@code ~/.docker}; certificates in {@code /etc/docker/certs.d} and {@code
   * ~/.docker/certs.d}; credential helpers looked up on {@code $PATH}; proxies from {@code
   * HTTPS_PROXY}, {@code HTTP_PROXY}, {@code NO_PROXY} (either case); no mirrors, no insecure
   * registries.
   *
   * @return the options
   */
  public static RegistryOptions defaults() {
    Map<String, String> env = System.getenv();
    Path home = Path.of(System.getProperty("user.home", "/"));
    String configEnv = env.get("DOCKER_CONFIG");
    Path config =
        configEnv != null && !configEnv.isEmpty() ? Path.of(configEnv) : home.resolve(".docker");
    List<Path> helperPath = new ArrayList<>();
    for (String dir : env.getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (!dir.isEmpty()) {
        helperPath.add(Path.of(dir));
      }
    }
    Map<String, String> proxies = new LinkedHashMap<>();
    for (String name : PROXY_VARIABLES) {
      // curl's convention, which docker follows: the lower-case name wins over the upper-case one.
      String value = env.getOrDefault(name.toLowerCase(Locale.ROOT), env.get(name));
      if (value != null && !value.isEmpty()) {
        proxies.put(name, value);
      }
    }
    return builder()
        .dockerConfigDir(config)
        .certsDirs(List.of(Path.of("/etc/docker/certs.d"), home.resolve(".docker/certs.d")))
        .credentialHelperPath(helperPath)
        .proxyEnvironment(proxies)
        .build();
  }

  /**
   * {@link #defaults()}, then what docker's {@code /etc/docker/daemon.json} says about registries,
   * if that file exists ({@link Builder#daemonConfig(Path)}): the options a docker user on this
   * machine already set, so a pull goes through the same mirrors and treats the same registries as
   * insecure as {@code docker pull} does.
   *
   * @return the options
   * @throws RegistryException if daemon.json is not valid JSON or a field of it has the wrong form
   * @throws IOException if daemon.json cannot be read
   */
  public static RegistryOptions fromEnvironment() throws IOException {
    Builder b = defaults().toBuilder();
    Path daemon = Path.of("/etc/docker/daemon.json");
    if (Files.isRegularFile(daemon)) {
      b.daemonConfig(daemon);
    }
    return b.build();
  }

  /**
   * A builder with the built-in defaults: the configuration directory {@code ~/.docker}, no
   * certificate directories, no helper path, no proxies; 3 concurrent downloads, 5 uploads, 5
   * attempts, 30 s connect and read timeouts, 4 MiB manifests.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder that starts from these options.
   *
   * @return a new builder holding every value of these options
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.dockerConfigDir = dockerConfigDir;
    b.certsDirs = certsDirs;
    b.insecureRegistries = insecureRegistries;
    b.mirrors = mirrors;
    b.maxConcurrentDownloads = maxConcurrentDownloads;
    b.maxConcurrentUploads = maxConcurrentUploads;
    b.maxAttempts = maxAttempts;
    b.connectTimeout = connectTimeout;
    b.readTimeout = readTimeout;
    b.maxManifestBytes = maxManifestBytes;
    b.credentialHelperPath = credentialHelperPath;
    b.proxyEnvironment = proxyEnvironment;
    return b;
  }

  /**
   * Docker's configuration directory, holding {@code config.json} (logins, credential helpers).
   *
   * @return the directory
   */
  public Path dockerConfigDir() {
    return dockerConfigDir;
  }

  /**
   * Directories laid out as docker's {@code certs.d}: {@code <dir>/<host[:port]>/ca.crt} (or any
   * {@code *.crt}) to trust, {@code client.cert} and {@code client.key} to present.
   *
   * @return the directories, searched in order
   */
  public List<Path> certsDirs() {
    return certsDirs;
  }

  /**
   * Registries that may be spoken to in plain HTTP: {@code host[:port]} names, or address ranges
   * ({@code 10.0.0.0/8}) matching registries named by IP address, as docker's {@code
   * insecure-registries}. Loopback registries always may.
   *
   * @return the registries and ranges
   */
  public Set<String> insecureRegistries() {
    return insecureRegistries;
  }

  /**
   * Mirrors of Docker Hub, as {@code registry-mirrors} in docker's {@code daemon.json}: pulls from
   * {@code docker.io} try them in order, then Docker Hub itself.
   *
   * @return the mirrors' base addresses
   */
  public List<URI> mirrors() {
    return mirrors;
  }

  /**
   * How many layers a pull downloads at once.
   *
   * @return the number, 3 by default as dockerd
   */
  public int maxConcurrentDownloads() {
    return maxConcurrentDownloads;
  }

  /**
   * How many blobs a push uploads at once.
   *
   * @return the number, 5 by default as dockerd
   */
  public int maxConcurrentUploads() {
    return maxConcurrentUploads;
  }

  /**
   * How many times one request is tried before its failure is reported (server errors, broken
   * connections, interrupted downloads).
   *
   * @return the number of attempts, at least 1
   */
  public int maxAttempts() {
    return maxAttempts;
  }

  /**
   * How long a connection may take to open.
   *
   * @return the timeout
   */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /**
   * How long a registry may take to answer, and how long a body may go without progress before the
   * read fails.
   *
   * @return the timeout
   */
  public Duration readTimeout() {
    return readTimeout;
  }

  /**
   * The largest manifest or index accepted, as distribution's own limit.
   *
   * @return the size in bytes, 4 MiB by default
   */
  public long maxManifestBytes() {
    return maxManifestBytes;
  }

  /**
   * Where {@code docker-credential-<name>} programs are looked for.
   *
   * @return the directories, searched in order
   */
  public List<Path> credentialHelperPath() {
    return credentialHelperPath;
  }

  /**
   * The proxy variables ({@code HTTPS_PROXY}, {@code HTTP_PROXY}, {@code NO_PROXY}, {@code
   * ALL_PROXY}, upper-case names) used when the Java system properties name no proxy.
   *
   * @return the variables, by upper-case name
   */
  public Map<String, String> proxyEnvironment() {
    return proxyEnvironment;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RegistryOptions r
        && dockerConfigDir.equals(r.dockerConfigDir)
        && certsDirs.equals(r.certsDirs)
        && insecureRegistries.equals(r.insecureRegistries)
        && mirrors.equals(r.mirrors)
        && maxConcurrentDownloads == r.maxConcurrentDownloads
        && maxConcurrentUploads == r.maxConcurrentUploads
        && maxAttempts == r.maxAttempts
        && connectTimeout.equals(r.connectTimeout)
        && readTimeout.equals(r.readTimeout)
        && maxManifestBytes == r.maxManifestBytes
        && credentialHelperPath.equals(r.credentialHelperPath)
        && proxyEnvironment.equals(r.proxyEnvironment);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        dockerConfigDir,
        certsDirs,
        insecureRegistries,
        mirrors,
        maxConcurrentDownloads,
        maxConcurrentUploads,
        maxAttempts,
        connectTimeout,
        readTimeout,
        maxManifestBytes,
        credentialHelperPath,
        proxyEnvironment);
  }

  @Override
  public String toString() {
    return "RegistryOptions[config="
        + dockerConfigDir
        + ", certs="
        + certsDirs
        + ", insecure="
        + insecureRegistries
        + ", mirrors="
        + mirrors
        + ", downloads="
        + maxConcurrentDownloads
        + ", uploads="
        + maxConcurrentUploads
        + ", attempts="
        + maxAttempts
        + ", connect="
        + connectTimeout
        + ", read="
        + readTimeout
        + ", maxManifest="
        + maxManifestBytes
        + "]";
  }

  /** Builds {@link RegistryOptions}; every setter checks its value at once. */
  public static final class Builder {
    private Path dockerConfigDir = Path.of(System.getProperty("user.home", "/"), ".docker");
    private List<Path> certsDirs = List.of();
    private Set<String> insecureRegistries = Set.of();
    private List<URI> mirrors = List.of();
    private int maxConcurrentDownloads = 3;
    private int maxConcurrentUploads = 5;
    private int maxAttempts = 5;
    private Duration connectTimeout = Duration.ofSeconds(30);
    private Duration readTimeout = Duration.ofSeconds(30);
    private long maxManifestBytes = 4L << 20;
    private List<Path> credentialHelperPath = List.of();
    private Map<String, String> proxyEnvironment = Map.of();

    private Builder() {}

    /**
     * Sets docker's configuration directory.
     *
     * @param dir the directory holding {@code config.json}
     * @return this builder
     * @throws NullPointerException if {@code dir} is null
     */
    public Builder dockerConfigDir(Path dir) {
      this.dockerConfigDir = Objects.requireNonNull(dir, "dockerConfigDir");
      return this;
    }

    /**
     * Sets the {@code certs.d} directories.
     *
     * @param dirs the directories, searched in order
     * @return this builder
     * @throws NullPointerException if {@code dirs} or one of them is null
     */
    public Builder certsDirs(List<Path> dirs) {
      this.certsDirs = List.copyOf(dirs);
      return this;
    }

    /**
     * Sets the registries that may be spoken to in plain HTTP.
     *
     * @param registries {@code host[:port]} names, or address ranges such as {@code 10.0.0.0/8}
     * @return this builder
     * @throws NullPointerException if {@code registries} or one of them is null
     * @throws IllegalArgumentException if a name is blank or holds a scheme or a path
     */
    public Builder insecureRegistries(Set<String> registries) {
      for (String r : registries) {
        if (r.isBlank() || (r.contains("/") && !CIDR.matcher(r).matches())) {
          throw new IllegalArgumentException(
              "insecure registry \""
                  + r
                  + "\" must be host[:port] without scheme or path, or an address range such as"
                  + " 10.0.0.0/8");
        }
      }
      this.insecureRegistries = new LinkedHashSet<>(registries);
      return this;
    }

    /**
     * Takes the registry settings of a docker {@code daemon.json}: {@code registry-mirrors}, {@code
     * insecure-registries}, {@code max-concurrent-downloads} and {@code max-concurrent-uploads}, as
     * dockerd reads them; its other settings are the daemon's own and are ignored.
     *
     * @param daemonJson the file
     * @return this builder
     * @throws RegistryException if the file is not a JSON object or one of those fields has the
     *     wrong form (the message names the file and the field)
     * @throws IOException if the file cannot be read
     */
    public Builder daemonConfig(Path daemonJson) throws IOException {
      JsonNode root;
      try {
        root = new ObjectMapper().readTree(Files.readAllBytes(daemonJson));
      } catch (JsonProcessingException e) {
        throw new RegistryException(
            daemonJson + " is not valid JSON: " + e.getOriginalMessage(), e);
      }
      if (root == null || !root.isObject()) {
        throw new RegistryException(daemonJson + " is not a JSON object");
      }
      try {
        JsonNode m = root.get("registry-mirrors");
        if (m != null) {
          List<URI> list = new ArrayList<>();
          for (String u : strings(m, daemonJson, "registry-mirrors")) {
            list.add(URI.create(u.endsWith("/") ? u.substring(0, u.length() - 1) : u));
          }
          mirrors(list);
        }
        JsonNode i = root.get("insecure-registries");
        if (i != null) {
          insecureRegistries(new LinkedHashSet<>(strings(i, daemonJson, "insecure-registries")));
        }
        JsonNode d = root.get("max-concurrent-downloads");
        if (d != null) {
          maxConcurrentDownloads(number(d, daemonJson, "max-concurrent-downloads"));
        }
        JsonNode u = root.get("max-concurrent-uploads");
        if (u != null) {
          maxConcurrentUploads(number(u, daemonJson, "max-concurrent-uploads"));
        }
      } catch (IllegalArgumentException e) {
        throw new RegistryException(daemonJson + ": " + e.getMessage(), e);
      }
      return this;
    }

    private static List<String> strings(JsonNode n, Path file, String field)
        throws RegistryException {
      if (!n.isArray()) {
        throw new RegistryException(file + ": \"" + field + "\" must be an array of strings");
      }
      List<String> out = new ArrayList<>();
      for (JsonNode e : n) {
        if (!e.isTextual()) {
          throw new RegistryException(file + ": \"" + field + "\" must be an array of strings");
        }
        out.add(e.asText());
      }
      return out;
    }

    private static int number(JsonNode n, Path file, String field) throws RegistryException {
      if (!n.isInt()) {
        throw new RegistryException(file + ": \"" + field + "\" must be a whole number");
      }
      return n.asInt();
    }

    /**
     * Sets the mirrors of Docker Hub.
     *
     * @param mirrors base addresses such as {@code https://mirror.example}, tried in order
     * @return this builder
     * @throws NullPointerException if {@code mirrors} or one of them is null
     * @throws IllegalArgumentException if one is not an absolute http or https address
     */
    public Builder mirrors(List<URI> mirrors) {
      for (URI m : mirrors) {
        if (m.getHost() == null
            || !("https".equals(m.getScheme()) || "http".equals(m.getScheme()))) {
          throw new IllegalArgumentException(
              "mirror \"" + m + "\" must be an absolute http:// or https:// address");
        }
      }
      this.mirrors = List.copyOf(mirrors);
      return this;
    }

    /**
     * Sets how many layers a pull downloads at once.
     *
     * @param n the number, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code n} is less than 1
     */
    public Builder maxConcurrentDownloads(int n) {
      this.maxConcurrentDownloads = positive(n, "maxConcurrentDownloads");
      return this;
    }

    /**
     * Sets how many blobs a push uploads at once.
     *
     * @param n the number, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code n} is less than 1
     */
    public Builder maxConcurrentUploads(int n) {
      this.maxConcurrentUploads = positive(n, "maxConcurrentUploads");
      return this;
    }

    /**
     * Sets how many times one request is tried.
     *
     * @param n the number of attempts, at least 1
     * @return this builder
     * @throws IllegalArgumentException if {@code n} is less than 1
     */
    public Builder maxAttempts(int n) {
      this.maxAttempts = positive(n, "maxAttempts");
      return this;
    }

    /**
     * Sets how long a connection may take to open.
     *
     * @param timeout a positive duration
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * Sets how long a registry may take to answer and a body may go without progress.
     *
     * @param timeout a positive duration
     * @return this builder
     * @throws IllegalArgumentException if {@code timeout} is zero or negative
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = positive(timeout, "readTimeout");
      return this;
    }

    /**
     * Sets the largest manifest accepted.
     *
     * @param bytes the size, at least 1 KiB
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is below 1 KiB or above 2 GiB
     */
    public Builder maxManifestBytes(long bytes) {
      if (bytes < 1024 || bytes > Integer.MAX_VALUE - 8) {
        throw new IllegalArgumentException(
            "maxManifestBytes " + bytes + " must be between 1 KiB and 2 GiB");
      }
      this.maxManifestBytes = bytes;
      return this;
    }

    /**
     * Sets where {@code docker-credential-<name>} programs are looked for.
     *
     * @param dirs the directories, searched in order
     * @return this builder
     * @throws NullPointerException if {@code dirs} or one of them is null
     */
    public Builder credentialHelperPath(List<Path> dirs) {
      this.credentialHelperPath = List.copyOf(dirs);
      return this;
    }

    /**
     * Sets the proxy variables.
     *
     * @param variables {@code HTTPS_PROXY}, {@code HTTP_PROXY}, {@code NO_PROXY}, {@code ALL_PROXY}
     *     by name (other names are refused)
     * @return this builder
     * @throws NullPointerException if {@code variables} holds a null
     * @throws IllegalArgumentException if a name is not one of those
     */
    public Builder proxyEnvironment(Map<String, String> variables) {
      for (String name : variables.keySet()) {
        if (!PROXY_VARIABLES.contains(name)) {
          throw new IllegalArgumentException(
              "proxy variable \"" + name + "\" is not one of " + PROXY_VARIABLES);
        }
      }
      this.proxyEnvironment = Map.copyOf(variables);
      return this;
    }

    /**
     * Builds the options.
     *
     * @return the immutable options
     */
    public RegistryOptions build() {
      return new RegistryOptions(this);
    }

    private static int positive(int n, String what) {
      if (n < 1) {
        throw new IllegalArgumentException(what + " must be at least 1, not " + n);
      }
      return n;
    }

    private static Duration positive(Duration d, String what) {
      if (d.isZero() || d.isNegative()) {
        throw new IllegalArgumentException(what + " must be positive, not " + d);
      }
      return d;
    }
  }
}
