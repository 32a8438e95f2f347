package io.layerstore.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Debian's {@code docker-registry} (CNCF distribution) on 127.0.0.1 and a free port, storing in a
 * directory of its own, for the pull and push benchmarks: plain HTTP, which docker, skopeo (with
 * {@code --dest-tls-verify=false}) and this store allow on loopback. The port is the one the
 * registry logs at level info for {@code addr: 127.0.0.1:0}, so no port is guessed.
 */
final class LoopbackRegistry implements AutoCloseable {

  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");

  private final Process process;
  private final String host;

  private LoopbackRegistry(Process process, String host) {
    this.process = process;
    this.host = host;
  }

  static boolean available() {
    return Shell.found("docker-registry");
  }

  /** Starts a registry storing in {@code dir/data}, logging to {@code dir/registry.log}. */
  static LoopbackRegistry start(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path config = dir.resolve("config.yml");
    Files.writeString(
        config,
        "version: 0.1\n"
            + "log:\n  level: info\n  accesslog:\n    disabled: true\n"
            + "storage:\n  filesystem:\n    rootdirectory: "
            + dir.resolve("data")
            + "\n"
            + "http:\n  addr: 127.0.0.1:0\n  secret: layerstore-bench\n");
    Path log = dir.resolve("registry.log");
    Process p =
        new ProcessBuilder("docker-registry", "serve", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    for (int i = 0; i < 200; i++) {
      Matcher m = LISTENING.matcher(Files.readString(log, StandardCharsets.UTF_8));
      if (m.find()) {
        return new LoopbackRegistry(p, "127.0.0.1:" + m.group(1));
      }
      if (!p.isAlive()) {
        break;
      }
      Thread.sleep(50);
    }
    p.destroyForcibly();
    throw new IOException("docker-registry did not start; see " + log);
  }

  /** {@code 127.0.0.1:PORT}. */
  String host() {
    return host;
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
