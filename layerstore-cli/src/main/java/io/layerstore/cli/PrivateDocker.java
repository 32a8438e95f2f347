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
 */
final class PrivateDocker implements AutoCloseable {

  private final Path dir;
  private final Path dataRoot;
  private final Process daemon;

  private PrivateDocker(Path dir, Path dataRoot, Process daemon) {
    this.dir = dir;
    this.dataRoot = dataRoot;
    this.daemon = daemon;
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
    ProcessBuilder pb =
        new ProcessBuilder(
            "dockerd",
            "--data-root",
            dataRoot.toString(),
            "--exec-root",
            dir.resolve("exec").toString(),
            "-H",
            "unix://" + dir.resolve("docker.sock"),
            "--pidfile",
            dir.resolve("docker.pid").toString(),
            "--storage-driver",
            "overlay2",
            "--iptables=false",
            "--bridge=none");
    pb.redirectErrorStream(true);
    pb.redirectOutput(dir.resolve("dockerd.log").toFile());
    Process p = pb.start();
    PrivateDocker d = new PrivateDocker(dir, dataRoot, p);
    for (int i = 0; i < 150; i++) {
      if (!p.isAlive()) {
        throw new IOException("dockerd exited; see " + dir.resolve("dockerd.log"));
      }
      if (d.docker("info").exitCode == 0) {
        return d;
      }
      Thread.sleep(200);
    }
    d.close();
    throw new IOException("dockerd did not answer within 30 s; see " + dir.resolve("dockerd.log"));
  }

  /** The result of one docker CLI call. */
  record Result(int exitCode, String out) {}

  Result docker(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add("docker");
    cmd.add("-H");
    cmd.add("unix://" + dir.resolve("docker.sock"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    p.waitFor();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
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
