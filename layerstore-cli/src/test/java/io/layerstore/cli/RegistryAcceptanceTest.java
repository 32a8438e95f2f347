package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.PullOptions;
import io.layerstore.RegistryOptions;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RegistryServer;
import io.layerstore.testkit.RootfsManifest;
import io.layerstore.testkit.TestCertificates;
import io.layerstore.testkit.TokenServer;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance with Docker as the other client, through a registry that wants a login
 * (htpasswd Basic auth): what {@code docker push} sent, {@code layerstore login} then {@code pull}
 * gets with Docker's own root file system; what {@code layerstore push} sent, {@code docker pull}
 * gets and {@code docker run} runs. The command line runs in JVMs of its own with {@code
 * DOCKER_CONFIG} set, as a user runs it; docker with {@code --config}, so neither touches the
 * machine's logins.
 */
class RegistryAcceptanceTest {

  private static final String USER = "alice";
  private static final String PASSWORD = "s3cret-pw";

  @TempDir static Path tmp;
  static PrivateDocker docker;
  static RegistryServer registry;

  @BeforeAll
  static void start() throws Exception {
    PlatformRequirements.requireKernelOverlay();
    PlatformRequirements.require(
        PrivateDocker.available(), "a dockerd binary (Debian package docker.io)");
    PlatformRequirements.requireExecutable(RegistryServer.PROGRAM, "docker-registry");
    PlatformRequirements.requireExecutable("htpasswd", "apache2-utils");
    registry = RegistryServer.builder(tmp).htpasswd(USER, PASSWORD).start();
    // dockerd takes plain HTTP from 127.0.0.0/8 without being told (its default insecure range).
    docker = PrivateDocker.start(tmp.resolve("d"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (docker != null) {
      docker.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  /** Runs {@code command} with {@code stdin}; its output, which must follow exit status 0. */
  static String run(List<String> command, Map<String, String> env, String stdin) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    try (OutputStream in = p.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(300, TimeUnit.SECONDS), String.join(" ", command) + " did not end");
    assertEquals(0, p.exitValue(), String.join(" ", command) + ":\n" + out);
    return out;
  }

  /** The command line in a JVM of its own, with the logins of {@code config}. */
  static String layerstore(Path root, Path config, String stdin, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                "io.layerstore.cli.Main",
                "--root",
                root.toString()));
    cmd.addAll(List.of(args));
    return run(cmd, Map.of("DOCKER_CONFIG", config.toString()), stdin);
  }

  /** The docker CLI on the private daemon, with the logins of {@code config}. */
  static String docker(Path config, String stdin, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--config", config.toString()));
    all.addAll(List.of(args));
    return run(docker.cli(all.toArray(String[]::new)), Map.of(), stdin);
  }

  /** {@code layerstore login -u USER --password-stdin}, which must succeed. */
  static void login(Path root, Path config) throws Exception {
    String out =
        layerstore(
            root,
            config,
            PASSWORD + "\n",
            "login",
            "-u",
            USER,
            "--password-stdin",
            registry.hostPort());
    assertTrue(out.contains("Login Succeeded"), out);
  }

  @Test
  void whatDockerPushedPullsWithDockersRootfsAfterALogin() throws Exception {
    Path dockerConfig = tmp.resolve("docker-config-1");
    String ref = registry.hostPort() + "/acceptance/fx-multi:1";
    docker(
        dockerConfig,
        PASSWORD + "\n",
        "login",
        "-u",
        USER,
        "--password-stdin",
        registry.hostPort());
    String image = docker.load(Fixtures.fxMultiArchive());
    docker(dockerConfig, "", "tag", image, ref);
    docker(dockerConfig, "", "push", ref);

    Path ours = tmp.resolve("ours-config");
    Path root = tmp.resolve("pulled");
    login(root, ours);
    String pull = layerstore(root, ours, "", "pull", ref);
    assertTrue(pull.contains("Status: Downloaded newer image for " + ref), pull);
    try (LayerStore s = LayerStore.open(root);
        Mount m = s.mount(ref)) {
      assertEquals(Fixtures.FX_MULTI_ID, s.resolve(ref).toString());
      assertEquals(
          RootfsManifest.read(Fixtures.fxMultiManifest(), true), RootfsManifest.of(m.root(), true));
      assertTrue(s.check().isClean());
    }
    // docker's login is ours too: the same config.json serves both
    String shared = layerstore(tmp.resolve("pulled-2"), dockerConfig, "", "pull", "-q", ref);
    assertEquals(ref + "\n", shared);
    assertTrue(
        layerstore(root, ours, "", "logout", registry.hostPort()).contains("Removing login"));
  }

  /**
   * The first test's round trip through the two other setups the issue names: token auth (the
   * registry's {@code auth: token}, with the test kit's token server issuing the JWTs), and TLS
   * (with Basic auth; our side trusts the registry's CA through a {@code certs.d} directory, docker
   * through its default of taking loopback registries without verifying).
   */
  @Test
  void theSameWorksWithTokenAuthAndWithTls() throws Exception {
    try (TokenServer tokens = TokenServer.start(Map.of(USER, PASSWORD), false);
        RegistryServer withTokens = RegistryServer.builder(tmp).token(tokens).start()) {
      dockerPushesAndWePullDockersRootfs(withTokens, null, "token");
      assertTrue(
          tokens.requests().stream().anyMatch(r -> r.contains("repository:acceptance/fx-multi")),
          tokens.requests().toString());
    }
    TestCertificates.Issued ca = TestCertificates.authority("acceptance test CA");
    try (RegistryServer withTls =
        RegistryServer.builder(tmp).tls(ca).htpasswd(USER, PASSWORD).start()) {
      assertTrue(withTls.url().toString().startsWith("https://"), withTls.url().toString());
      dockerPushesAndWePullDockersRootfs(withTls, withTls.certsDir(), "tls");
    }
  }

  private static void dockerPushesAndWePullDockersRootfs(
      RegistryServer r, Path certsDir, String name) throws Exception {
    Path dockerConfig = tmp.resolve("docker-config-" + name);
    String ref = r.hostPort() + "/acceptance/fx-multi:" + name;
    docker(dockerConfig, PASSWORD + "\n", "login", "-u", USER, "--password-stdin", r.hostPort());
    String image = docker.load(Fixtures.fxMultiArchive());
    docker(dockerConfig, "", "tag", image, ref);
    docker(dockerConfig, "", "push", ref);

    RegistryOptions.Builder options =
        RegistryOptions.defaults().toBuilder().dockerConfigDir(tmp.resolve("ours-config-" + name));
    if (certsDir != null) {
      options.certsDirs(List.of(certsDir));
    }
    try (LayerStore s =
        LayerStore.builder(tmp.resolve("pulled-" + name)).registry(options.build()).open()) {
      s.login(r.hostPort(), USER, PASSWORD);
      s.pull(ref, PullOptions.defaults());
      try (Mount m = s.mount(ref)) {
        assertEquals(Fixtures.FX_MULTI_ID, s.resolve(ref).toString());
        assertEquals(
            RootfsManifest.read(Fixtures.fxMultiManifest(), true),
            RootfsManifest.of(m.root(), true));
      }
      assertTrue(s.check().isClean());
    }
  }

  @Test
  void whatLayerstorePushedDockerPullsAndRuns() throws Exception {
    Path config = tmp.resolve("shared-config");
    Path root = tmp.resolve("pushing");
    String ref = registry.hostPort() + "/acceptance/pushed:1";
    layerstore(root, config, "", "load", "-i", Fixtures.fxMultiArchive().toString());
    layerstore(root, config, "", "tag", Fixtures.FX_MULTI_ID, ref);
    login(root, config);
    String push = layerstore(root, config, "", "push", ref);
    assertTrue(push.lines().anyMatch(l -> l.startsWith("1: digest: sha256:")), push);
    docker(config, "", "pull", ref); // with the login layerstore stored
    String out =
        docker(config, "", "run", "--rm", "--network", "none", ref, "cat", "/etc/conf.d/b.conf");
    assertEquals("changed", out.strip());
  }
}
