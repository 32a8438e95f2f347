package io.layerstore.registry;

import static io.layerstore.registry.PlainRegistryTest.manifestJson;
import static io.layerstore.registry.PlainRegistryTest.push;
import static io.layerstore.registry.PlainRegistryTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.Digest;
import io.layerstore.Reference;
import io.layerstore.RegistryException;
import io.layerstore.RegistryOptions;
import io.layerstore.format.Descriptor;
import io.layerstore.format.MediaTypes;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RegistryServer;
import io.layerstore.testkit.TestCertificates;
import io.layerstore.testkit.TokenServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against real registries that want credentials or TLS: htpasswd Basic auth, token auth
 * from the test kit's token server, TLS trusted through {@code certs.d}, client certificates, and
 * logins stored as docker stores them (in {@code config.json}, or through a credential helper
 * program).
 */
class AuthRegistryTest {

  @TempDir Path tmp;
  private final ObjectMapper json = new ObjectMapper();

  @BeforeEach
  void needsRegistry() {
    PlatformRequirements.requireExecutable(RegistryServer.PROGRAM, "docker-registry");
    PlatformRequirements.requireExecutable("htpasswd", "apache2-utils");
  }

  private RegistryOptions.Builder options() {
    return RegistryOptions.builder().dockerConfigDir(tmp.resolve("docker")).maxAttempts(2);
  }

  private static Reference ref(RegistryServer r, String repo) {
    return new Reference(r.hostPort(), repo, "latest", null);
  }

  /** Pushes a one-layer image and pulls it back through a second session. */
  private static void roundTrip(RegistryClient client, Reference ref) throws Exception {
    RepositorySession s = client.session(ref, true);
    byte[] layer = random(20_000, ref.path().hashCode());
    Descriptor c = push(s, "{}".getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_CONFIG);
    Descriptor l = push(s, layer, MediaTypes.OCI_LAYER_GZIP);
    byte[] m = manifestJson(c, l).getBytes(StandardCharsets.UTF_8);
    Digest md = s.putManifest("t", MediaTypes.OCI_MANIFEST, m);
    RepositorySession pull = client.session(ref, false);
    assertEquals(md, pull.manifest("t").digest());
    try (InputStream in = pull.blob(l)) {
      assertArrayEquals(layer, in.readAllBytes());
    }
  }

  private JsonNode config() throws IOException {
    return json.readTree(tmp.resolve("docker/config.json").toFile());
  }

  @Test
  void htpasswdLoginIsCheckedStoredAsDockerDoesAndUsed() throws Exception {
    try (RegistryServer r = RegistryServer.builder(tmp).htpasswd("alice", "s3cret").start();
        RegistryClient client = RegistryClient.create(options().build())) {
      // Without credentials the registry refuses, and the error says where and what to do.
      RegistryException anon =
          assertThrows(
              RegistryException.class, () -> client.session(ref(r, "wire/a"), false).manifest("t"));
      assertEquals(401, anon.status());
      assertTrue(anon.getMessage().contains(r.hostPort()), anon.getMessage());
      assertTrue(anon.getMessage().contains("wire/a"), anon.getMessage());
      assertTrue(anon.getMessage().contains("no credentials stored"), anon.getMessage());

      RegistryException wrong =
          assertThrows(RegistryException.class, () -> client.login(r.hostPort(), "alice", "nope"));
      assertEquals(401, wrong.status());
      assertFalse(Files.exists(tmp.resolve("docker/config.json")), "a failed login stores nothing");

      client.login(r.hostPort(), "alice", "s3cret");
      Path file = tmp.resolve("docker/config.json");
      assertEquals(
          PosixFilePermissions.fromString("rw-------"), Files.getPosixFilePermissions(file));
      assertEquals(
          PosixFilePermissions.fromString("rwx------"),
          Files.getPosixFilePermissions(file.getParent()));
      String auth = config().path("auths").path(r.hostPort()).path("auth").asText();
      assertEquals(
          "alice:s3cret", new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8));

      roundTrip(client, ref(r, "wire/a"));

      assertTrue(client.logout(r.hostPort()));
      assertTrue(config().path("auths").path(r.hostPort()).isMissingNode());
      assertFalse(client.logout(r.hostPort()));
    }
  }

  @Test
  void tokenAuthAsksForTheScopesItNeedsAndTakesAnonymousPulls() throws Exception {
    try (TokenServer tokens = TokenServer.start(Map.of("bob", "pw"), true);
        RegistryServer r = RegistryServer.builder(tmp).token(tokens).start();
        RegistryClient client = RegistryClient.create(options().build())) {
      // Anonymous callers get pull rights only: an upload is refused.
      byte[] x = random(10, 7);
      RegistryException noPush =
          assertThrows(
              RegistryException.class,
              () ->
                  client
                      .session(ref(r, "wire/t"), true)
                      .putBlob(Digest.of(x), x.length, () -> new java.io.ByteArrayInputStream(x)));
      assertEquals(401, noPush.status());

      RegistryException wrong =
          assertThrows(RegistryException.class, () -> client.login(r.hostPort(), "bob", "bad"));
      assertEquals(401, wrong.status());
      client.login(r.hostPort(), "bob", "pw");
      roundTrip(client, ref(r, "wire/t"));
      assertTrue(
          tokens.requests().contains("bob repository:wire/t:pull,push"),
          tokens.requests().toString());
      assertTrue(
          tokens.requests().contains("bob repository:wire/t:pull"), tokens.requests().toString());

      // A cross-repository mount asks for pull on the source repository too.
      RepositorySession other = client.session(ref(r, "wire/t2"), true);
      Digest layer = Digest.of(random(20_000, "wire/t".hashCode()));
      assertTrue(other.mountBlob(layer, "wire/t"));
      assertTrue(
          tokens.requests().stream()
              .anyMatch(
                  q ->
                      q.startsWith("bob ")
                          && q.contains("repository:wire/t2:pull,push")
                          && q.contains("repository:wire/t:pull")),
          tokens.requests().toString());

      // Parallel downloads through one session share one token.
      try (RegistryClient fresh = RegistryClient.create(options().build())) {
        RepositorySession pull = fresh.session(ref(r, "wire/t"), false);
        byte[] expected = random(20_000, "wire/t".hashCode());
        Descriptor d = Descriptor.of(MediaTypes.OCI_LAYER_GZIP, layer, expected.length);
        long before =
            tokens.requests().stream().filter("bob repository:wire/t:pull"::equals).count();
        java.util.concurrent.ExecutorService pool =
            java.util.concurrent.Executors.newFixedThreadPool(6);
        try {
          List<java.util.concurrent.Future<byte[]>> got = new java.util.ArrayList<>();
          for (int i = 0; i < 6; i++) {
            got.add(
                pool.submit(
                    () -> {
                      try (InputStream in = pull.blob(d)) {
                        return in.readAllBytes();
                      }
                    }));
          }
          for (java.util.concurrent.Future<byte[]> f : got) {
            assertArrayEquals(expected, f.get());
          }
        } finally {
          pool.shutdownNow();
        }
        long after =
            tokens.requests().stream().filter("bob repository:wire/t:pull"::equals).count();
        assertEquals(1, after - before, tokens.requests().toString());
      }

      // Logged out, a pull still works with an anonymous token.
      client.logout(r.hostPort());
      try (RegistryClient anonymous = RegistryClient.create(options().build())) {
        FetchedManifest m = anonymous.session(ref(r, "wire/t"), false).manifest("t");
        assertEquals(MediaTypes.OCI_MANIFEST, m.mediaType());
      }
      assertTrue(
          tokens.requests().contains("- repository:wire/t:pull"), tokens.requests().toString());
    }
  }

  @Test
  void tlsIsTrustedThroughCertsDirAndPresentsClientCertificates() throws Exception {
    TestCertificates.Issued ca = TestCertificates.authority("wire test CA");
    TestCertificates.Issued clientCa = TestCertificates.authority("wire client CA");
    try (RegistryServer r = RegistryServer.builder(tmp).tls(ca).start()) {
      try (RegistryClient untrusting = RegistryClient.create(options().build())) {
        IOException e =
            assertThrows(IOException.class, () -> untrusting.session(ref(r, "wire/tls"), true));
        assertTrue(String.valueOf(e.getMessage()).contains(r.hostPort()), e.toString());
        assertTrue(e.getMessage().contains("TLS failed"), e.toString());
        assertTrue(e.getMessage().contains("wire/tls"), e.toString());
      }
      try (RegistryClient client =
          RegistryClient.create(options().certsDirs(List.of(r.certsDir())).build())) {
        roundTrip(client, ref(r, "wire/tls"));
      }
    }
    try (RegistryServer r =
        RegistryServer.builder(tmp).tls(ca).clientCertificates(clientCa).start()) {
      try (RegistryClient noClientCert =
          RegistryClient.create(options().certsDirs(List.of(r.certsDir())).build())) {
        assertThrows(IOException.class, () -> noClientCert.session(ref(r, "wire/mtls"), true));
      }
      Path hostDir = r.certsDir().resolve(r.hostPort());
      TestCertificates.client(clientCa, "wire client")
          .write(hostDir.resolve("client.cert"), hostDir.resolve("client.key"));
      try (RegistryClient client =
          RegistryClient.create(options().certsDirs(List.of(r.certsDir())).build())) {
        roundTrip(client, ref(r, "wire/mtls"));
      }
    }
  }

  @Test
  void aCredentialHelperKeepsTheSecretAndConfigJsonAnEmptyEntry() throws Exception {
    Path bin = tmp.resolve("bin");
    Path store = tmp.resolve("helper-store");
    Files.createDirectories(bin);
    Files.createDirectories(store);
    Path helper = bin.resolve("docker-credential-wiretest");
    // A helper as docker-credential-helpers define it, keeping one file per server URL.
    Files.writeString(
        helper,
        String.join(
            "\n",
            "#!/bin/sh",
            "key() { printf %s \"$1\" | sha256sum | cut -c1-16; }",
            "case \"$1\" in",
            "get) url=$(cat); f="
                + store
                + "/$(key \"$url\");"
                + " if [ -f \"$f\" ]; then cat \"$f\"; else"
                + " echo 'credentials not found in native keychain'; exit 1; fi;;",
            "store) in=$(cat); url=$(printf %s \"$in\" | sed -n 's/.*\"ServerURL\":\"\\([^\"]*\\)\".*/\\1/p');"
                + " printf %s \"$in\" > "
                + store
                + "/$(key \"$url\");;",
            "erase) url=$(cat); f="
                + store
                + "/$(key \"$url\");"
                + " if [ -f \"$f\" ]; then rm \"$f\"; else"
                + " echo 'credentials not found in native keychain'; exit 1; fi;;",
            "*) echo unknown action >&2; exit 2;;",
            "esac",
            ""));
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
    Files.createDirectories(tmp.resolve("docker"));
    Files.writeString(
        tmp.resolve("docker/config.json"), "{\"credsStore\":\"wiretest\",\"other\":1}");
    try (RegistryServer r = RegistryServer.builder(tmp).htpasswd("carol", "pw2").start();
        RegistryClient client =
            RegistryClient.create(options().credentialHelperPath(List.of(bin)).build())) {
      client.login(r.hostPort(), "carol", "pw2");
      JsonNode entry = config().path("auths").path(r.hostPort());
      assertTrue(entry.isObject() && entry.isEmpty(), config().toString());
      assertEquals(1, config().path("other").asInt(), "fields the client does not know are kept");
      try (var files = Files.list(store)) {
        String stored = Files.readString(files.findFirst().orElseThrow());
        assertTrue(stored.contains("\"Secret\":\"pw2\""), stored);
      }
      roundTrip(client, ref(r, "wire/helper"));
      assertTrue(client.logout(r.hostPort()));
      try (var files = Files.list(store)) {
        assertEquals(0, files.count());
      }
      assertFalse(client.logout(r.hostPort()));
    }
  }
}
