package io.layerstore.testkit;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Debian's {@code docker-registry} (CNCF distribution 2.8) on {@code 127.0.0.1} with a port the
 * kernel picks, in a directory of its own (configuration, storage, log) that {@link #close()}
 * deletes after stopping it. Four setups, combinable as the registry allows: plain; htpasswd Basic
 * auth ({@code htpasswd -Bbn} writes the file); token auth against a {@link TokenServer}; TLS with
 * a server certificate from {@link TestCertificates}, optionally asking for client certificates. A
 * TLS server also writes a {@code certs.d} directory ({@link #certsDir()}) with its CA under {@code
 * 127.0.0.1:<port>/ca.crt}, as docker would be configured to trust it.
 *
 * <pre>{@code
 * try (RegistryServer r = RegistryServer.builder(tmp).htpasswd("alice", "secret").start()) {
 *   String host = r.hostPort(); // 127.0.0.1:41235
 * }
 * }</pre>
 */
public final class RegistryServer implements AutoCloseable {

  /** The program; {@code .ci/run} installs it with Debian's {@code docker-registry} package. */
  public static final String PROGRAM = "docker-registry";

  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
  private static final long START_TIMEOUT_MS = 30_000;

  private final Path dir;
  private final Process process;
  private final int port;
  private final boolean tls;
  private final Path certsDir;

  private RegistryServer(Path dir, Process process, int port, boolean tls, Path certsDir) {
    this.dir = dir;
    this.process = process;
    this.port = port;
    this.tls = tls;
    this.certsDir = certsDir;
  }

  /**
   * Whether the registry program is installed.
   *
   * @return whether {@value #PROGRAM} is on the {@code PATH} or in {@code /usr/bin}
   */
  public static boolean available() {
    return PlatformRequirements.executable(PROGRAM) != null;
  }

  /**
   * A builder for a registry whose directory is made under {@code parent}.
   *
   * @param parent an existing directory (a test's temporary directory)
   * @return the builder
   */
  public static Builder builder(Path parent) {
    return new Builder(parent);
  }

  /**
   * Starts a plain registry: no auth, no TLS.
   *
   * @param parent an existing directory under which the registry's own is made
   * @return the running registry
   * @throws IOException if it cannot be started
   */
  public static RegistryServer plain(Path parent) throws IOException {
    return builder(parent).start();
  }

  /**
   * The registry's address as a reference names it.
   *
   * @return {@code 127.0.0.1:<port>}
   */
  public String hostPort() {
    return "127.0.0.1:" + port;
  }

  /**
   * The registry's base address.
   *
   * @return {@code http://127.0.0.1:<port>} or {@code https://...} for TLS
   */
  public URI url() {
    return URI.create((tls ? "https://" : "http://") + hostPort());
  }

  /**
   * A {@code certs.d} directory trusting this registry's CA: {@code <dir>/127.0.0.1:<port>/ca.crt}.
   * Tests put a client certificate next to it ({@code client.cert}, {@code client.key}).
   *
   * @return the directory; empty for a registry without TLS
   */
  public Path certsDir() {
    return certsDir;
  }

  /**
   * The registry's log (its stdout and stderr).
   *
   * @return the file
   */
  public Path log() {
    return dir.resolve("registry.log");
  }

  /**
   * The directory the registry stores blobs and manifests in (distribution's filesystem driver).
   *
   * @return the storage root
   */
  public Path storage() {
    return dir.resolve("data");
  }

  /** Stops the registry and deletes its directory. */
  @Override
  public void close() throws IOException {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    deleteTree(dir);
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Chooses a registry's setup. */
  public static final class Builder {
    private final Path parent;
    private String user;
    private String password;
    private TokenServer tokens;
    private TestCertificates.Issued ca;
    private TestCertificates.Issued clientCa;

    private Builder(Path parent) {
      this.parent = parent;
    }

    /**
     * Asks for Basic auth with one user.
     *
     * @param user the user name
     * @param password the password
     * @return this builder
     */
    public Builder htpasswd(String user, String password) {
      this.user = user;
      this.password = password;
      return this;
    }

    /**
     * Asks for token auth from {@code tokens}.
     *
     * @param tokens the running token server
     * @return this builder
     */
    public Builder token(TokenServer tokens) {
      this.tokens = tokens;
      return this;
    }

    /**
     * Serves TLS with a server certificate signed by {@code ca}.
     *
     * @param ca the authority clients are to trust
     * @return this builder
     */
    public Builder tls(TestCertificates.Issued ca) {
      this.ca = ca;
      return this;
    }

    /**
     * Asks clients for a certificate signed by {@code clientCa} (needs {@link #tls}).
     *
     * @param clientCa the authority of the client certificates
     * @return this builder
     */
    public Builder clientCertificates(TestCertificates.Issued clientCa) {
      this.clientCa = clientCa;
      return this;
    }

    /**
     * Writes the configuration, starts the registry and waits until it logs its port.
     *
     * @return the running registry
     * @throws IOException if it cannot be started or does not start listening within 30 s
     * @throws IllegalStateException if client certificates are asked for without TLS, or both
     *     htpasswd and token auth
     */
    public RegistryServer start() throws IOException {
      if (clientCa != null && ca == null) {
        throw new IllegalStateException("client certificates need TLS");
      }
      if (user != null && tokens != null) {
        throw new IllegalStateException("a registry takes htpasswd or token auth, not both");
      }
      Path dir = Files.createTempDirectory(parent, "registry-");
      try {
        return start(dir);
      } catch (IOException | RuntimeException e) {
        deleteTree(dir);
        throw e;
      }
    }

    private RegistryServer start(Path dir) throws IOException {
      List<String> yaml = new ArrayList<>();
      yaml.add("version: 0.1");
      yaml.add("log:");
      yaml.add("  level: info");
      yaml.add("storage:");
      yaml.add("  filesystem:");
      yaml.add("    rootdirectory: " + dir.resolve("data"));
      yaml.add("  delete:");
      yaml.add("    enabled: true");
      yaml.add("http:");
      yaml.add("  addr: 127.0.0.1:0");
      // A fixed secret: the random one the registry makes otherwise earns a warning per start.
      yaml.add("  secret: layerstore-test-secret");
      if (ca != null) {
        TestCertificates.server(ca).write(dir.resolve("server.crt"), dir.resolve("server.key"));
        yaml.add("  tls:");
        yaml.add("    certificate: " + dir.resolve("server.crt"));
        yaml.add("    key: " + dir.resolve("server.key"));
        if (clientCa != null) {
          Files.writeString(dir.resolve("client-ca.crt"), clientCa.certificatePem());
          yaml.add("    clientcas:");
          yaml.add("      - " + dir.resolve("client-ca.crt"));
        }
      }
      if (user != null) {
        Files.write(dir.resolve("htpasswd"), htpasswdLine(user, password));
        yaml.add("auth:");
        yaml.add("  htpasswd:");
        yaml.add("    realm: layerstore-test");
        yaml.add("    path: " + dir.resolve("htpasswd"));
      } else if (tokens != null) {
        tokens.writeRootCertBundle(dir.resolve("token-root.crt"));
        yaml.add("auth:");
        yaml.add("  token:");
        yaml.add("    realm: " + tokens.realm());
        yaml.add("    service: " + TokenServer.SERVICE);
        yaml.add("    issuer: " + TokenServer.ISSUER);
        yaml.add("    rootcertbundle: " + dir.resolve("token-root.crt"));
      }
      Files.write(dir.resolve("config.yml"), yaml);
      Path program = PlatformRequirements.executable(PROGRAM);
      if (program == null) {
        throw new IOException(PROGRAM + " is not installed (Debian package docker-registry)");
      }
      Path log = dir.resolve("registry.log");
      Process p =
          new ProcessBuilder(program.toString(), "serve", dir.resolve("config.yml").toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      long deadline = System.currentTimeMillis() + START_TIMEOUT_MS;
      while (System.currentTimeMillis() < deadline) {
        String text = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        Matcher m = LISTENING.matcher(text);
        if (m.find()) {
          int port = Integer.parseInt(m.group(1));
          Path certsDir = dir.resolve("certs.d");
          Files.createDirectories(certsDir);
          if (ca != null) {
            Path hostDir = certsDir.resolve("127.0.0.1:" + port);
            Files.createDirectories(hostDir);
            Files.writeString(hostDir.resolve("ca.crt"), ca.certificatePem());
          }
          return new RegistryServer(dir, p, port, ca != null, certsDir);
        }
        if (!p.isAlive()) {
          throw new IOException(PROGRAM + " exited at start-up: " + text.strip());
        }
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          p.destroyForcibly();
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while starting " + PROGRAM, e);
        }
      }
      p.destroyForcibly();
      throw new IOException(PROGRAM + " did not log its port within 30 s; see " + log);
    }

    private static byte[] htpasswdLine(String user, String password) throws IOException {
      Path program = PlatformRequirements.executable("htpasswd");
      if (program == null) {
        throw new IOException("htpasswd is not installed (Debian package apache2-utils)");
      }
      Process p = new ProcessBuilder(program.toString(), "-Bbn", user, password).start();
      byte[] out = p.getInputStream().readAllBytes();
      byte[] err = p.getErrorStream().readAllBytes();
      try {
        if (p.waitFor() != 0) {
          throw new IOException(
              "htpasswd -Bbn failed: " + new String(err, StandardCharsets.UTF_8).strip());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while running htpasswd", e);
      }
      return out;
    }
  }
}
