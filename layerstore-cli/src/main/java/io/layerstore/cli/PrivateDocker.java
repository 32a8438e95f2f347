package io.layerstore.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A dockerd of its own, on a private data-root, exec-root and socket, started the way {@code
 * fixtures/README.md} describes, so that benchmarks compare with a real daemon without touching any
 * other one. Needs root and Debian's {@code docker.io}.
 *
 * <p>Besides its unix socket the daemon listens on a free loopback TCP port (never another
 * interface), so that benchmarks can call the Engine API directly with {@link EngineApi}: Java's
 * HTTP client cannot speak over a unix socket. Without TLS the daemon wants {@code --tls=false}
 * said explicitly, and then waits a moment at start-up to warn.
 */
final class PrivateDocker implements AutoCloseable {

  private final Path dir;
  private final Path dataRoot;
  private final Process daemon;
  private final EngineApi engine;

  private PrivateDocker(Path dir, Path dataRoot, Process daemon, int port) {
    this.dir = dir;
    this.dataRoot = dataRoot;
    this.daemon = daemon;
    this.engine = new EngineApi(port);
  }

  static boolean available() {
    return Files.isExecutable(Path.of("/usr/sbin/dockerd"))
        || Files.isExecutable(Path.of("/usr/bin/dockerd"));
  }

  /** Starts a daemon in {@code dir} (data-root {@code dir/root}) and waits until it answers. */
  static PrivateDocker start(Path dir) throws IOException, InterruptedException {
    return start(dir, dir.resolve("root"));
  }

  /** Starts a daemon whose data-root is {@code dataRoot} (for example a store written by us). */
  static PrivateDocker start(Path dir, Path dataRoot) throws IOException, InterruptedException {
    Files.createDirectories(dataRoot);
    Files.createDirectories(dir.resolve("exec"));
    int port;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ProcessBuilder pb =
        new ProcessBuilder(
            "dockerd",
            "--data-root",
            dataRoot.toString(),
            "--exec-root",
            dir.resolve("exec").toString(),
            "-H",
            "unix://" + dir.resolve("docker.sock"),
            "-H",
            "tcp://127.0.0.1:" + port,
            "--tls=false",
            "--pidfile",
            dir.resolve("docker.pid").toString(),
            "--storage-driver",
            "overlay2",
            "--iptables=false",
            "--bridge=none");
    pb.redirectErrorStream(true);
    pb.redirectOutput(dir.resolve("dockerd.log").toFile());
    Process p = pb.start();
    PrivateDocker d = new PrivateDocker(dir, dataRoot, p, port);
    for (int i = 0; i < 300; i++) {
      if (!p.isAlive()) {
        throw new IOException("dockerd exited; see " + dir.resolve("dockerd.log"));
      }
      if (d.engine.ping() && d.docker("info").exitCode == 0) {
        return d;
      }
      Thread.sleep(200);
    }
    d.close();
    throw new IOException("dockerd did not answer within 60 s; see " + dir.resolve("dockerd.log"));
  }

  /** The result of one docker CLI call. */
  record Result(int exitCode, String out) {}

  Result docker(String... args) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cli(args)).redirectErrorStream(true);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    p.waitFor();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  /** {@code docker load -q -i archive} (untimed preparation); the image it loaded, by tag or id. */
  String load(Path archive) throws IOException {
    String out = Shell.output(cli("load", "-q", "-i", archive.toString()));
    return out.lines()
        .reduce((a, b) -> b)
        .orElseThrow(() -> new IOException("docker load of " + archive + " said nothing"))
        .replaceFirst("^Loaded image( ID)?: ", "");
  }

  /** The docker CLI command line for {@code args}, talking to this daemon's unix socket. */
  List<String> cli(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("docker");
    cmd.add("-H");
    cmd.add("unix://" + dir.resolve("docker.sock"));
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** The daemon's Engine API over loopback TCP. */
  EngineApi engine() {
    return engine;
  }

  /**
   * The daemon's process id and those of the processes it started (its containerd), for their CPU
   * time: work sent to the daemon may be done by either.
   */
  List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    pids.add(daemon.pid());
    daemon.descendants().forEach(p -> pids.add(p.pid()));
    return pids;
  }

  Path dataRoot() {
    return dataRoot;
  }

  @Override
  public void close() throws IOException {
    daemon.destroy();
    try {
      if (!daemon.waitFor(30, TimeUnit.SECONDS)) {
        daemon.destroyForcibly();
        daemon.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
