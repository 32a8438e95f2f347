package io.layerstore.reliability;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The {@code layerstore} command run in a JVM of its own, as a user runs it. */
record CliRun(int status, String out) {

  static List<String> command(Path root, String... args) {
    List<String> cmd = java("io.layerstore.cli.Main", "--root", root.toString());
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** A JVM of its own running {@code mainClass} with this test's class path, started quickly. */
  static List<String> java(String mainClass, String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1",
                "-XX:+UseSerialGC",
                "-Xshare:auto",
                "-cp",
                System.getProperty("java.class.path"),
                mainClass));
    cmd.addAll(List.of(args));
    return cmd;
  }

  static CliRun run(Path root, String... args) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command(root, args)).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(300, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("layerstore " + String.join(" ", args) + " did not end");
    }
    return new CliRun(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }
}
