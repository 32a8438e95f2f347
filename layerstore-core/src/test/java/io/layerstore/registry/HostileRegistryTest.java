package io.layerstore.registry;

import static io.layerstore.registry.FakeRegistry.respond;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.Digest;
import io.layerstore.DigestMismatchException;
import io.layerstore.NotFoundException;
import io.layerstore.Reference;
import io.layerstore.RegistryException;
import io.layerstore.RegistryOptions;
import io.layerstore.format.Descriptor;
import io.layerstore.format.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against registries that lie, loop, trickle, break and fail: every bad answer ends in a
 * clear error naming the registry, the repository and the digest, and every passing failure (a
 * broken download, a 5xx, an expired token, a dead mirror) is survived.
 */
class HostileRegistryTest {

  private static final String REPO = "wire/x";
  private static final String OCI = MediaTypes.OCI_MANIFEST;

  @TempDir Path tmp;
  private FakeRegistry fake;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void start() throws IOException {
    fake = new FakeRegistry();
    closing.add(fake);
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private RegistryClient client(Duration readTimeout, int attempts, String hubHost) {
    RegistryClient c =
        RegistryClient.create(
            RegistryOptions.builder()
                .dockerConfigDir(tmp.resolve("docker"))
                .readTimeout(readTimeout)
                .maxAttempts(attempts)
                .build(),
            new Tuning(hubHost, 10_000, 50_000));
    closing.add(c);
    return c;
  }

  private RegistryClient client() {
    return client(Duration.ofSeconds(5), 3, Tuning.DEFAULT.dockerHubHost());
  }

  private RepositorySession session(RegistryClient c) throws IOException {
    return c.session(new Reference(fake.hostPort(), REPO, "latest", null), false);
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  private static byte[] manifest(String salt) {
    return ("{\"schemaVersion\":2,\"mediaType\":\""
            + OCI
            + "\",\"config\":{\"mediaType\":\""
            + MediaTypes.OCI_CONFIG
            + "\",\"digest\":\""
            + Digest.of(salt)
            + "\",\"size\":1},"
            + "\"layers\":[]}")
        .getBytes(StandardCharsets.UTF_8);
  }

  private static void assertNames(IOException e, String registry, Object digest) {
    String m = e.getMessage();
    assertTrue(m.contains(registry), m);
    assertTrue(m.contains(REPO), m);
    if (digest != null) {
      assertTrue(m.contains(digest.toString()), m);
    }
  }

  private static String blobPath(Digest d) {
    return "/v2/" + REPO + "/blobs/" + d;
  }

  private static String manifestPath(Object ref) {
    return "/v2/" + REPO + "/manifests/" + ref;
  }

  // ---- manifests ----------------------------------------------------------------------------

  @Test
  void aManifestWhoseDigestLiesIsRefused() throws Exception {
    Digest asked = Digest.of(manifest("a"));
    fake.on(manifestPath(asked), ex -> respond(ex, 200, OCI, manifest("b")));
    DigestMismatchException e =
        assertThrows(
            DigestMismatchException.class, () -> session(client()).manifest(asked.toString()));
    assertNames(e, fake.hostPort(), asked);
    assertEquals(Digest.of(manifest("b")).toString(), e.actual());
  }

  @Test
  void aDockerContentDigestThatLiesIsRefused() throws Exception {
    fake.on(
        manifestPath("t"),
        ex -> {
          ex.getResponseHeaders().set("Docker-Content-Digest", Digest.of("other").toString());
          respond(ex, 200, OCI, manifest("a"));
        });
    DigestMismatchException e =
        assertThrows(DigestMismatchException.class, () -> session(client()).manifest("t"));
    assertNames(e, fake.hostPort(), Digest.of("other"));
  }

  @Test
  void htmlInsteadOfAManifestIsRefused() throws Exception {
    fake.on(
        manifestPath("t"),
        ex -> respond(ex, 200, "text/html; charset=utf-8", "<html>login</html>"));
    RegistryException e =
        assertThrows(RegistryException.class, () -> session(client()).manifest("t"));
    assertNames(e, fake.hostPort(), "t");
    assertTrue(e.getMessage().contains("text/html"), e.getMessage());
    fake.on(manifestPath("u"), ex -> respond(ex, 200, "application/json", "<html>login</html>"));
    e = assertThrows(RegistryException.class, () -> session(client()).manifest("u"));
    assertTrue(e.getMessage().contains("not JSON"), e.getMessage());
  }

  @Test
  void aHugeManifestIsRefusedEarly() throws Exception {
    // Declared huge: refused on its Content-Length, before a byte of the body is read.
    fake.on(
        manifestPath("big"),
        ex -> {
          ex.getResponseHeaders().set("Content-Type", OCI);
          ex.sendResponseHeaders(200, 1L << 40);
          ex.getResponseBody().write('{');
          ex.getResponseBody().flush();
          sleep(10_000);
        });
    long start = System.nanoTime();
    RegistryException e =
        assertThrows(RegistryException.class, () -> session(client()).manifest("big"));
    assertTrue(System.nanoTime() - start < 5_000_000_000L, "refused at once");
    assertTrue(e.getMessage().contains("over the limit"), e.getMessage());
    assertNames(e, fake.hostPort(), "big");
    // Chunked, without a length: refused once it passes the limit.
    fake.on(
        manifestPath("chunked"),
        ex -> {
          ex.getResponseHeaders().set("Content-Type", OCI);
          ex.sendResponseHeaders(200, 0);
          byte[] kib = new byte[1024];
          for (int i = 0; i < 5 * 1024; i++) {
            ex.getResponseBody().write(kib);
          }
        });
    e = assertThrows(RegistryException.class, () -> session(client()).manifest("chunked"));
    assertTrue(e.getMessage().contains("more than " + (4 << 20)), e.getMessage());
  }

  @Test
  void schema1IsRefusedClearly() throws Exception {
    fake.on(
        manifestPath("old"),
        ex ->
            respond(
                ex,
                200,
                "application/vnd.docker.distribution.manifest.v1+prettyjws",
                "{\"schemaVersion\":1,\"name\":\"x\"}"));
    RegistryException e =
        assertThrows(RegistryException.class, () -> session(client()).manifest("old"));
    assertTrue(e.getMessage().contains("unsupported manifest schema 1"), e.getMessage());
  }

  @Test
  void aMissingManifestIsNotFound() throws Exception {
    NotFoundException e =
        assertThrows(NotFoundException.class, () -> session(client()).manifest("gone"));
    assertNames(e, fake.hostPort(), "gone");
  }

  @Test
  void serverErrorsAreRetriedABoundedNumberOfTimes() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    byte[] m = manifest("ok");
    fake.on(
        manifestPath("flaky"),
        ex -> {
          if (calls.incrementAndGet() <= 2) {
            respond(
                ex,
                503,
                "application/json",
                "{\"errors\":[{\"code\":\"UNAVAILABLE\",\"message\":\"busy\"}]}");
          } else {
            respond(ex, 200, OCI, m);
          }
        });
    assertArrayEquals(m, session(client()).manifest("flaky").raw());
    assertEquals(3, calls.get());

    fake.on(manifestPath("down"), ex -> respond(ex, 502, "text/plain", "bad gateway"));
    RegistryException e =
        assertThrows(RegistryException.class, () -> session(client()).manifest("down"));
    assertEquals(502, e.status());
    assertEquals(3, fake.count("GET " + manifestPath("down")), "three attempts, no more");
  }

  // ---- blobs --------------------------------------------------------------------------------

  @Test
  void aBlobThatLiesFailsAtItsEnd() throws Exception {
    byte[] real = random(30_000);
    byte[] served = real.clone();
    served[12_345] ^= 1;
    Descriptor d = Descriptor.of(MediaTypes.OCI_LAYER_GZIP, Digest.of(real), real.length);
    fake.on(blobPath(d.digest()), ex -> respond(ex, 200, "application/octet-stream", served));
    DigestMismatchException e =
        assertThrows(
            DigestMismatchException.class,
            () -> {
              try (InputStream in = session(client()).blob(d)) {
                in.readAllBytes();
              }
            });
    assertNames(e, fake.hostPort(), d.digest());
    assertEquals(Digest.of(served).toString(), e.actual());

    // Announced longer than its descriptor: refused before a byte is read.
    Descriptor shortDesc = Descriptor.of(MediaTypes.OCI_LAYER_GZIP, Digest.of(real), 1000);
    e =
        assertThrows(
            DigestMismatchException.class,
            () -> {
              try (InputStream in = session(client()).blob(shortDesc)) {
                in.readAllBytes();
              }
            });
    assertTrue(e.getMessage().contains("announces 30000 bytes"), e.getMessage());
    assertNames(e, fake.hostPort(), d.digest());

    // Longer than its descriptor without saying so (no length): refused once it passes the size.
    fake.on(
        blobPath(d.digest()),
        ex -> {
          ex.sendResponseHeaders(200, 0);
          ex.getResponseBody().write(served);
        });
    e =
        assertThrows(
            DigestMismatchException.class,
            () -> {
              try (InputStream in = session(client()).blob(shortDesc)) {
                in.readAllBytes();
              }
            });
    assertTrue(e.getMessage().contains("longer than"), e.getMessage());
  }

  @Test
  void aRedirectLoopEnds() throws Exception {
    Digest d = Digest.of("loop");
    fake.on(
        blobPath(d),
        ex -> {
          ex.getResponseHeaders().set("Location", blobPath(d));
          respond(ex, 307, null, new byte[0]);
        });
    RegistryException e =
        assertThrows(
            RegistryException.class,
            () -> session(client()).blob(Descriptor.of(MediaTypes.OCI_LAYER, d, 4)));
    assertTrue(e.getMessage().contains("redirect"), e.getMessage());
    assertNames(e, fake.hostPort(), d);
    assertEquals(Transport.MAX_REDIRECTS + 1L, fake.count("GET " + blobPath(d)));
  }

  @Test
  void aRedirectToAnotherHostFollowsWithoutTheRegistrysCredentials() throws Exception {
    FakeRegistry storage = new FakeRegistry();
    closing.add(storage);
    byte[] data = random(5000);
    Digest d = Digest.of(data);
    storage.on("/bucket/object", ex -> respond(ex, 200, "application/octet-stream", data));
    fake.on(
        "/v2/",
        ex -> {
          if (ex.getRequestHeaders().getFirst("Authorization") == null) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"fake\"");
            respond(ex, 401, "application/json", "{}");
          } else {
            respond(ex, 200, "application/json", "{}");
          }
        });
    fake.on(
        blobPath(d),
        ex -> {
          // "localhost", not 127.0.0.1: another host as far as credentials go.
          ex.getResponseHeaders()
              .set("Location", "http://localhost:" + storage.port() + "/bucket/object");
          respond(ex, 307, null, new byte[0]);
        });
    Files.createDirectories(tmp.resolve("docker"));
    Files.writeString(
        tmp.resolve("docker/config.json"),
        "{\"auths\":{\"" + fake.hostPort() + "\":{\"username\":\"u\",\"password\":\"p\"}}}");
    try (InputStream in =
        session(client()).blob(Descriptor.of(MediaTypes.OCI_LAYER, d, data.length))) {
      assertArrayEquals(data, in.readAllBytes());
    }
    assertTrue(
        fake.requests().stream()
            .anyMatch(r -> r.startsWith("GET " + blobPath(d)) && r.endsWith("Basic dTpw")),
        fake.requests().toString());
    assertEquals(List.of("GET /bucket/object null null"), storage.requests());
  }

  @Test
  void aTricklingServerTimesOutBoundedly() throws Exception {
    byte[] data = random(100_000);
    Digest d = Digest.of(data);
    fake.on(
        blobPath(d),
        ex -> {
          ex.sendResponseHeaders(200, data.length);
          OutputStream out = ex.getResponseBody();
          for (byte b : data) {
            out.write(b);
            out.flush();
            sleep(50);
          }
        });
    long start = System.nanoTime();
    IOException e =
        assertThrows(
            IOException.class,
            () -> {
              try (InputStream in =
                  session(client(Duration.ofMillis(600), 2, Tuning.DEFAULT.dockerHubHost()))
                      .blob(Descriptor.of(MediaTypes.OCI_LAYER, d, data.length))) {
                in.readAllBytes();
              }
            });
    long ms = (System.nanoTime() - start) / 1_000_000;
    assertTrue(ms < 5000, "gave up after " + ms + " ms");
    assertTrue(e.getMessage().contains("read timeout"), e.toString());
    assertNames(e, fake.hostPort(), d);
  }

  @Test
  void aStalledDownloadResumesWithRange() throws Exception {
    byte[] data = random(200_000);
    Digest d = Digest.of(data);
    AtomicInteger calls = new AtomicInteger();
    fake.on(
        blobPath(d),
        ex -> {
          String range = ex.getRequestHeaders().getFirst("Range");
          if (calls.incrementAndGet() == 1) {
            ex.sendResponseHeaders(200, data.length);
            ex.getResponseBody().write(data, 0, 70_000);
            ex.getResponseBody().flush();
            sleep(10_000); // stalls: the client gives up on it
            return;
          }
          long from = Long.parseLong(range.substring("bytes=".length(), range.length() - 1));
          ex.getResponseHeaders()
              .set("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
          ex.sendResponseHeaders(206, data.length - from);
          ex.getResponseBody().write(data, (int) from, (int) (data.length - from));
        });
    try (InputStream in =
        session(client(Duration.ofMillis(500), 3, Tuning.DEFAULT.dockerHubHost()))
            .blob(Descriptor.of(MediaTypes.OCI_LAYER, d, data.length))) {
      assertArrayEquals(data, in.readAllBytes());
    }
    List<String> gets =
        fake.requests().stream().filter(r -> r.startsWith("GET " + blobPath(d))).toList();
    assertEquals(2, gets.size(), gets.toString());
    assertTrue(gets.get(1).contains("bytes=70000-"), gets.toString());
  }

  @Test
  void aBrokenDownloadRestartsWhenTheServerIgnoresRange() throws Exception {
    byte[] data = random(150_000);
    Digest d = Digest.of(data);
    AtomicInteger calls = new AtomicInteger();
    fake.on(
        blobPath(d),
        ex -> {
          int n = calls.incrementAndGet();
          if (n == 1) {
            // Promise all, send a part, hang up: the client sees the connection break.
            ex.sendResponseHeaders(200, data.length);
            ex.getResponseBody().write(data, 0, 40_000);
            ex.getResponseBody().flush();
            throw new IOException("hang up");
          }
          if (n == 2) {
            // A range that starts elsewhere than asked: not to be trusted.
            ex.getResponseHeaders()
                .set("Content-Range", "bytes 10-" + (data.length - 1) + "/" + data.length);
            ex.sendResponseHeaders(206, data.length - 10);
            ex.getResponseBody().write(data, 10, data.length - 10);
            return;
          }
          respond(ex, 200, "application/octet-stream", data); // Range ignored: the whole blob
        });
    try (InputStream in =
        session(client()).blob(Descriptor.of(MediaTypes.OCI_LAYER, d, data.length))) {
      assertArrayEquals(data, in.readAllBytes());
    }
    assertEquals(3, calls.get());
  }

  // ---- auth ---------------------------------------------------------------------------------

  @Test
  void aRejectedTokenIsRenewedOnce() throws Exception {
    AtomicInteger issued = new AtomicInteger();
    String challenge =
        "Bearer realm=\"http://" + fake.hostPort() + "/token\",service=\"fake\",scope=\"x\"";
    fake.on(
        "/v2/",
        ex -> {
          ex.getResponseHeaders().set("WWW-Authenticate", challenge);
          respond(ex, 401, "application/json", "{}");
        });
    fake.on(
        "/token",
        ex ->
            respond(
                ex, 200, "application/json", "{\"token\":\"t" + issued.incrementAndGet() + "\"}"));
    byte[] m = manifest("tok");
    fake.on(
        manifestPath("t"),
        ex -> {
          if ("Bearer t2".equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            respond(ex, 200, OCI, m);
          } else {
            ex.getResponseHeaders().set("WWW-Authenticate", challenge);
            respond(
                ex,
                401,
                "application/json",
                "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"expired\"}]}");
          }
        });
    assertArrayEquals(m, session(client()).manifest("t").raw());
    assertEquals(2, issued.get());
    assertTrue(
        fake.requests().stream()
            .anyMatch(
                r -> r.startsWith("GET /token?service=fake&scope=repository%3Awire%2Fx%3Apull ")),
        fake.requests().toString());
  }

  @Test
  void anIdentityTokenIsExchangedByTheRefreshGrant() throws Exception {
    String challenge = "Bearer realm=\"http://" + fake.hostPort() + "/token\",service=\"fake\"";
    fake.on(
        "/v2/",
        ex -> {
          ex.getResponseHeaders().set("WWW-Authenticate", challenge);
          respond(ex, 401, "application/json", "{}");
        });
    List<String> forms = new java.util.concurrent.CopyOnWriteArrayList<>();
    fake.on(
        "/token",
        ex -> {
          forms.add(
              ex.getRequestMethod()
                  + " "
                  + new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          respond(
              ex,
              200,
              "application/json",
              "{\"access_token\":\"from-refresh\",\"expires_in\":300}");
        });
    byte[] m = manifest("idt");
    fake.on(
        manifestPath("t"),
        ex -> {
          boolean ok =
              "Bearer from-refresh".equals(ex.getRequestHeaders().getFirst("Authorization"));
          respond(ex, ok ? 200 : 401, OCI, ok ? m : new byte[0]);
        });
    Files.createDirectories(tmp.resolve("docker"));
    Files.writeString(
        tmp.resolve("docker/config.json"),
        "{\"auths\":{\"" + fake.hostPort() + "\":{\"identitytoken\":\"rt-123\"}}}");
    RepositorySession s = session(client());
    assertArrayEquals(m, s.manifest("t").raw());
    assertArrayEquals(m, s.manifest("t").raw());
    assertEquals(
        List.of(
            "POST grant_type=refresh_token&client_id=layerstore&refresh_token=rt-123&service=fake"
                + "&scope=repository%3Awire%2Fx%3Apull"),
        forms,
        "one token, kept for the second request");
  }

  // ---- mirrors ------------------------------------------------------------------------------

  @Test
  void mirrorsAreTriedInOrderThenTheOrigin() throws Exception {
    FakeRegistry broken = new FakeRegistry();
    FakeRegistry empty = new FakeRegistry();
    closing.add(broken);
    closing.add(empty);
    broken.on("/v2/library/x/manifests/t", ex -> respond(ex, 500, "text/plain", "down"));
    byte[] m = manifest("hub");
    fake.on("/v2/library/x/manifests/t", ex -> respond(ex, 200, OCI, m));
    RegistryClient c =
        RegistryClient.create(
            RegistryOptions.builder()
                .dockerConfigDir(tmp.resolve("docker"))
                .maxAttempts(2)
                .mirrors(
                    List.of(
                        URI.create("http://" + broken.hostPort()),
                        URI.create("http://" + empty.hostPort() + "/")))
                .build(),
            new Tuning(fake.hostPort(), 10_000, 50_000));
    closing.add(c);
    FetchedManifest got =
        c.session(new Reference("docker.io", "library/x", "t", null), false).manifest("t");
    assertArrayEquals(m, got.raw());
    assertEquals(2, broken.count("GET /v2/library/x/manifests/t"));
    assertEquals(1, empty.count("GET /v2/library/x/manifests/t"));
    assertEquals(1, fake.count("GET /v2/library/x/manifests/t"));

    // A mirror that has it answers alone; pushes never go to mirrors.
    empty.on("/v2/library/x/manifests/t", ex -> respond(ex, 200, OCI, m));
    c.session(new Reference("docker.io", "library/x", "t", null), false).manifest("t");
    assertEquals(1, fake.count("GET /v2/library/x/manifests/t"));
    c.session(new Reference("docker.io", "library/x", "t", null), true).hasBlob(Digest.of("b"));
    assertEquals(0, empty.count("HEAD"));
    assertEquals(1, fake.count("HEAD /v2/library/x/blobs/"));

    // Docker Hub unreachable: a pull goes through the mirror alone.
    try (java.net.ServerSocket closed = new java.net.ServerSocket(0)) {
      int deadPort = closed.getLocalPort();
      closed.close();
      RegistryClient offline =
          RegistryClient.create(
              RegistryOptions.builder()
                  .dockerConfigDir(tmp.resolve("docker"))
                  .maxAttempts(1)
                  .mirrors(List.of(URI.create("http://" + empty.hostPort())))
                  .build(),
              new Tuning("127.0.0.1:" + deadPort, 10_000, 50_000));
      closing.add(offline);
      assertArrayEquals(
          m,
          offline
              .session(new Reference("docker.io", "library/x", "t", null), false)
              .manifest("t")
              .raw());
      // Not even through the mirror, then the origin's failure is what is reported.
      IOException e =
          assertThrows(
              IOException.class,
              () ->
                  offline
                      .session(new Reference("docker.io", "library/x", "t", null), false)
                      .manifest("absent"));
      assertTrue(e.getMessage().contains("127.0.0.1:" + deadPort), e.getMessage());
    }
  }

  // ---- transport ----------------------------------------------------------------------------

  @Test
  void plainHttpOnlyForLoopbackAndDeclaredInsecureRegistries() throws Exception {
    RegistryOptions o =
        RegistryOptions.builder()
            .insecureRegistries(java.util.Set.of("reg.lan:5000", "10.1.0.0/16", "fd00::/8"))
            .build();
    try (Transport t = new Transport(o)) {
      assertTrue(t.mayUsePlainHttp("127.0.0.1:5000"));
      assertTrue(t.mayUsePlainHttp("localhost"));
      assertTrue(t.mayUsePlainHttp("[::1]:5000"));
      assertTrue(t.mayUsePlainHttp("reg.lan:5000"));
      assertTrue(!t.mayUsePlainHttp("reg.lan:5001"));
      assertTrue(!t.mayUsePlainHttp("example.com"));
      assertTrue(t.mayUsePlainHttp("10.1.200.3:5000"));
      assertTrue(!t.mayUsePlainHttp("10.2.0.1:5000"));
      assertTrue(t.mayUsePlainHttp("[fd12::1]:5000"));
      assertTrue(!t.mayUsePlainHttp("[fe80::1]:5000"));
      RegistryException e =
          assertThrows(
              RegistryException.class,
              () ->
                  t.send(
                      java.net.http.HttpRequest.newBuilder(
                              URI.create("http://example.com:5000/v2/"))
                          .build()));
      assertTrue(
          e.getMessage().contains("refusing plain HTTP to example.com:5000"), e.getMessage());
    }
  }

  // ---- uploads ------------------------------------------------------------------------------

  @Test
  void uploadsHonourTheRegistrysChunkMinimumAndRetryFromTheStart() throws Exception {
    byte[] data = random(400_000);
    Digest d = Digest.of(data);
    java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
    List<String> ranges = new java.util.concurrent.CopyOnWriteArrayList<>();
    AtomicInteger puts = new AtomicInteger();
    fake.on(
        "/v2/" + REPO + "/blobs/uploads/",
        ex -> {
          synchronized (received) {
            received.reset();
          }
          ex.getResponseHeaders().set("Location", "/upload/1?_state=abc");
          ex.getResponseHeaders().set("OCI-Chunk-Min-Length", "150000");
          respond(ex, 202, null, new byte[0]);
        });
    fake.on(
        "/upload/1",
        ex -> {
          if (ex.getRequestMethod().equals("PATCH")) {
            byte[] body = ex.getRequestBody().readAllBytes();
            ranges.add(ex.getRequestHeaders().getFirst("Content-Range") + "/" + body.length);
            synchronized (received) {
              received.write(body);
              ex.getResponseHeaders().set("Range", "0-" + (received.size() - 1));
            }
            ex.getResponseHeaders().set("Location", "/upload/1?_state=next");
            respond(ex, 202, null, new byte[0]);
            return;
          }
          // The first closing PUT fails: the whole upload starts over from a fresh stream.
          if (puts.incrementAndGet() == 1) {
            respond(ex, 500, "text/plain", "oops");
            return;
          }
          boolean ok =
              ex.getRequestURI().getQuery().equals("_state=next&digest=" + d)
                  && Digest.of(received.toByteArray()).equals(d);
          respond(ex, ok ? 201 : 400, "text/plain", ok ? "" : "bad " + ex.getRequestURI());
        });
    AtomicInteger opens = new AtomicInteger();
    RepositorySession s =
        client().session(new Reference(fake.hostPort(), REPO, "latest", null), true);
    s.putBlob(
        d,
        data.length,
        () -> {
          opens.incrementAndGet();
          return new ByteArrayInputStream(data);
        });
    assertEquals(2, opens.get());
    assertEquals(
        List.of(
            "0-149999/150000",
            "150000-299999/150000",
            "300000-399999/100000",
            "0-149999/150000",
            "150000-299999/150000",
            "300000-399999/100000"),
        ranges);

    // Content shorter than it was said to be: a clear error, not a hang.
    RegistryException e =
        assertThrows(
            RegistryException.class,
            () -> s.putBlob(d, data.length + 1L, () -> new ByteArrayInputStream(data)));
    assertTrue(e.getMessage().contains("ended after"), e.getMessage());
  }

  @Test
  void aBlobWrittenAsItUploadsGoesUpInChunksAndIsWrittenAgainOnARetry() throws Exception {
    byte[] data = random(400_000);
    Digest d = Digest.of(data);
    java.io.ByteArrayOutputStream received = new java.io.ByteArrayOutputStream();
    List<String> requests = new java.util.concurrent.CopyOnWriteArrayList<>();
    AtomicInteger puts = new AtomicInteger();
    fake.on(
        "/v2/" + REPO + "/blobs/uploads/",
        ex -> {
          synchronized (received) {
            received.reset();
          }
          ex.getResponseHeaders().set("Location", "/upload/2?_state=a");
          ex.getResponseHeaders().set("OCI-Chunk-Min-Length", "150000");
          respond(ex, 202, null, new byte[0]);
        });
    fake.on(
        "/upload/2",
        ex -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          String range = ex.getRequestHeaders().getFirst("Content-Range");
          requests.add(
              ex.getRequestMethod() + " " + (range == null ? "" : range) + "/" + body.length);
          synchronized (received) {
            received.write(body);
            ex.getResponseHeaders().set("Range", "0-" + (received.size() - 1));
          }
          if (ex.getRequestMethod().equals("PATCH")) {
            ex.getResponseHeaders().set("Location", "/upload/2?_state=b");
            respond(ex, 202, null, new byte[0]);
            return;
          }
          if (ex.getRequestMethod().equals("DELETE")) {
            respond(ex, 204, null, new byte[0]);
            return;
          }
          // The first closing PUT fails: the writer runs again into a new upload.
          if (puts.incrementAndGet() == 1) {
            respond(ex, 500, "text/plain", "oops");
            return;
          }
          boolean ok =
              ex.getRequestURI().getQuery().equals("_state=b&digest=" + d)
                  && Digest.of(received.toByteArray()).equals(d);
          respond(ex, ok ? 201 : 400, "text/plain", ok ? "" : "bad " + ex.getRequestURI());
        });
    AtomicInteger runs = new AtomicInteger();
    RepositorySession s =
        client().session(new Reference(fake.hostPort(), REPO, "latest", null), true);
    io.layerstore.format.Descriptor blob =
        s.putBlob(
            MediaTypes.OCI_LAYER_GZIP,
            out -> {
              runs.incrementAndGet();
              // Odd write sizes: chunk bounds must not depend on them.
              for (int off = 0; off < data.length; off += 7_001) {
                out.write(data, off, Math.min(7_001, data.length - off));
              }
              out.close();
            });
    assertEquals(d, blob.digest());
    assertEquals(data.length, blob.size());
    assertEquals(MediaTypes.OCI_LAYER_GZIP, blob.mediaType());
    assertEquals(2, runs.get());
    List<String> once =
        List.of("PATCH 0-149999/150000", "PATCH 150000-299999/150000", "PUT /100000");
    // The failed attempt's session is cancelled before the next one starts.
    List<String> twice = new ArrayList<>(once);
    twice.add("DELETE /0");
    twice.addAll(once);
    assertEquals(twice, requests);

    // The writer's own failure is final: not written again, and the session is cancelled.
    requests.clear();
    runs.set(0);
    IOException broken =
        assertThrows(
            IOException.class,
            () ->
                s.putBlob(
                    MediaTypes.OCI_LAYER_GZIP,
                    out -> {
                      runs.incrementAndGet();
                      out.write(data, 0, 200_000);
                      throw new IOException("the layer's disk broke");
                    }));
    assertEquals("the layer's disk broke", broken.getMessage());
    assertEquals(1, runs.get());
    assertEquals(List.of("PATCH 0-149999/150000", "DELETE /0"), requests);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
