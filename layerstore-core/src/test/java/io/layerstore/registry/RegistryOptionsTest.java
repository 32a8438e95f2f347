package io.layerstore.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.RegistryException;
import io.layerstore.RegistryOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryOptionsTest {

  @Test
  void defaultsAreDockersAndTheEnvironments() {
    RegistryOptions d = RegistryOptions.defaults();
    assertEquals(3, d.maxConcurrentDownloads());
    assertEquals(5, d.maxConcurrentUploads());
    assertEquals(4L << 20, d.maxManifestBytes());
    assertTrue(d.mirrors().isEmpty());
    assertTrue(d.insecureRegistries().isEmpty());
    assertTrue(d.certsDirs().contains(Path.of("/etc/docker/certs.d")));
    String env = System.getenv("DOCKER_CONFIG");
    assertEquals(
        env != null && !env.isEmpty()
            ? Path.of(env)
            : Path.of(System.getProperty("user.home"), ".docker"),
        d.dockerConfigDir());
  }

  @Test
  void builtOptionsRoundTripAndCompareByValue() {
    RegistryOptions o =
        RegistryOptions.builder()
            .dockerConfigDir(Path.of("/c"))
            .certsDirs(List.of(Path.of("/certs")))
            .insecureRegistries(Set.of("reg.lan:5000"))
            .mirrors(List.of(URI.create("https://mirror.example")))
            .maxConcurrentDownloads(1)
            .maxConcurrentUploads(2)
            .maxAttempts(7)
            .connectTimeout(Duration.ofSeconds(3))
            .readTimeout(Duration.ofSeconds(4))
            .maxManifestBytes(1 << 20)
            .credentialHelperPath(List.of(Path.of("/bin")))
            .proxyEnvironment(Map.of("HTTPS_PROXY", "http://p:1"))
            .build();
    assertEquals(o, o.toBuilder().build());
    assertEquals(o.hashCode(), o.toBuilder().build().hashCode());
    assertNotEquals(o, o.toBuilder().maxAttempts(8).build());
    assertEquals(7, o.maxAttempts());
    assertEquals(Duration.ofSeconds(4), o.readTimeout());
  }

  @Test
  void badValuesAreRefusedNamingThem() {
    RegistryOptions.Builder b = RegistryOptions.builder();
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> b.maxAttempts(0))
            .getMessage()
            .contains("maxAttempts"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> b.readTimeout(Duration.ZERO))
            .getMessage()
            .contains("readTimeout"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> b.insecureRegistries(Set.of("http://x")))
            .getMessage()
            .contains("http://x"));
    assertTrue(
        assertThrows(
                IllegalArgumentException.class, () -> b.mirrors(List.of(URI.create("ftp://m"))))
            .getMessage()
            .contains("ftp://m"));
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> b.proxyEnvironment(Map.of("PATH", "x")))
            .getMessage()
            .contains("PATH"));
    assertThrows(IllegalArgumentException.class, () -> b.maxManifestBytes(10));
  }

  @Test
  void daemonJsonGivesMirrorsInsecureRegistriesAndConcurrency(@TempDir Path tmp) throws Exception {
    Path daemon = tmp.resolve("daemon.json");
    Files.writeString(
        daemon,
        "{\"registry-mirrors\": [\"https://mirror.example/\"],"
            + " \"insecure-registries\": [\"reg.lan:5000\", \"10.0.0.0/8\"],"
            + " \"max-concurrent-downloads\": 6, \"max-concurrent-uploads\": 2,"
            + " \"storage-driver\": \"overlay2\"}");
    RegistryOptions o = RegistryOptions.builder().daemonConfig(daemon).build();
    assertEquals(List.of(URI.create("https://mirror.example")), o.mirrors());
    assertEquals(Set.of("reg.lan:5000", "10.0.0.0/8"), o.insecureRegistries());
    assertEquals(6, o.maxConcurrentDownloads());
    assertEquals(2, o.maxConcurrentUploads());
  }

  @Test
  void aBadDaemonJsonIsRefusedNamingTheFileAndField(@TempDir Path tmp) throws Exception {
    Path daemon = tmp.resolve("daemon.json");
    Files.writeString(daemon, "{\"registry-mirrors\": \"https://m\"");
    RegistryException notJson =
        assertThrows(RegistryException.class, () -> RegistryOptions.builder().daemonConfig(daemon));
    assertTrue(notJson.getMessage().contains(daemon.toString()), notJson.getMessage());
    Files.writeString(daemon, "{\"registry-mirrors\": \"https://m\"}");
    RegistryException notArray =
        assertThrows(RegistryException.class, () -> RegistryOptions.builder().daemonConfig(daemon));
    assertTrue(notArray.getMessage().contains("registry-mirrors"), notArray.getMessage());
    Files.writeString(daemon, "{\"insecure-registries\": [\"http://x/y\"]}");
    RegistryException badName =
        assertThrows(RegistryException.class, () -> RegistryOptions.builder().daemonConfig(daemon));
    assertTrue(badName.getMessage().contains("http://x/y"), badName.getMessage());
    Files.writeString(daemon, "{\"max-concurrent-downloads\": 0}");
    assertThrows(RegistryException.class, () -> RegistryOptions.builder().daemonConfig(daemon));
  }
}
