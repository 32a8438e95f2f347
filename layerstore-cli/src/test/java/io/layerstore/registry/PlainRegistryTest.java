package io.layerstore.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.Digest;
import io.layerstore.NotFoundException;
import io.layerstore.Reference;
import io.layerstore.RegistryOptions;
import io.layerstore.format.Descriptor;
import io.layerstore.format.MediaTypes;
import io.layerstore.testkit.PlatformRequirements;
import io.layerstore.testkit.RegistryServer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against a real, plain {@code docker-registry} on loopback: blobs and manifests go up
 * and come back byte for byte, by tag and by digest, monolithic and chunked, mounted across
 * repositories.
 */
class PlainRegistryTest {

  @TempDir static Path tmp;
  static RegistryServer registry;
  static RegistryClient client;

  @BeforeAll
  static void start() throws Exception {
    PlatformRequirements.requireExecutable(RegistryServer.PROGRAM, "docker-registry");
    registry = RegistryServer.plain(tmp);
    // Small upload sizes, so that a blob of a few hundred KiB goes up in several PATCH chunks.
    client =
        RegistryClient.create(
            RegistryOptions.builder().dockerConfigDir(tmp.resolve("docker-config")).build(),
            new Tuning(Tuning.DEFAULT.dockerHubHost(), 64 << 10, 100 << 10));
  }

  @AfterAll
  static void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  static Reference ref(String repo) {
    return new Reference(registry.hostPort(), repo, "latest", null);
  }

  static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Pushes {@code data} and returns its descriptor. */
  static Descriptor push(RepositorySession s, byte[] data, String mediaType) throws Exception {
    Digest d = Digest.of(data);
    s.putBlob(d, data.length, () -> new ByteArrayInputStream(data));
    return Descriptor.of(mediaType, d, data.length);
  }

  static String manifestJson(Descriptor config, Descriptor... layers) {
    StringBuilder sb = new StringBuilder();
    sb.append("{\"schemaVersion\":2,\"mediaType\":\"")
        .append(MediaTypes.OCI_MANIFEST)
        .append("\",\"config\":")
        .append(desc(config))
        .append(",\"layers\":[");
    for (int i = 0; i < layers.length; i++) {
      sb.append(i == 0 ? "" : ",").append(desc(layers[i]));
    }
    return sb.append("]}").toString();
  }

  private static String desc(Descriptor d) {
    return "{\"mediaType\":\""
        + d.mediaType()
        + "\",\"digest\":\""
        + d.digest()
        + "\",\"size\":"
        + d.size()
        + "}";
  }

  @Test
  void pushesBlobsAndAManifestAndPullsThemBack() throws Exception {
    RepositorySession push = client.session(ref("wire/first"), true);
    assertEquals(registry.hostPort(), push.registry());
    assertEquals("wire/first", push.repository());
    byte[] config =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{}}"
            .getBytes(StandardCharsets.UTF_8);
    byte[] small = random(100_000, 1);
    // Over the monolithic limit: goes up in four PATCH chunks and a closing PUT.
    byte[] large = random(345_679, 2);
    assertFalse(push.hasBlob(Digest.of(small)));
    Descriptor c = push(push, config, MediaTypes.OCI_CONFIG);
    Descriptor l1 = push(push, small, MediaTypes.OCI_LAYER_GZIP);
    Descriptor l2 = push(push, large, MediaTypes.OCI_LAYER_GZIP);
    assertTrue(push.hasBlob(l1.digest()));
    assertTrue(push.hasBlob(l2.digest()));
    byte[] manifest = manifestJson(c, l1, l2).getBytes(StandardCharsets.UTF_8);
    Digest md = push.putManifest("v1", MediaTypes.OCI_MANIFEST, manifest);
    assertEquals(Digest.of(manifest), md);

    RepositorySession pull = client.session(ref("wire/first"), false);
    FetchedManifest byTag = pull.manifest("v1");
    assertEquals(md, byTag.digest());
    assertEquals(MediaTypes.OCI_MANIFEST, byTag.mediaType());
    assertArrayEquals(manifest, byTag.raw());
    FetchedManifest byDigest = pull.manifest(md.toString());
    assertArrayEquals(manifest, byDigest.raw());
    for (Descriptor d : new Descriptor[] {c, l1, l2}) {
      byte[] expected = d == c ? config : d == l1 ? small : large;
      try (InputStream in = pull.blob(d)) {
        assertArrayEquals(expected, in.readAllBytes(), d.digest().toString());
      }
    }
  }

  @Test
  void aBlobWrittenAsItUploadsIsStoredUnderTheDigestFoundAtItsEnd() throws Exception {
    RepositorySession s = client.session(ref("wire/streamed"), true);
    for (int size : new int[] {0, 1000, 345_679}) {
      byte[] data = random(size, 10 + size);
      assertFalse(s.hasBlob(Digest.of(data)));
      // 345,679 bytes in 100 KiB chunks: three PATCHes and the rest with the closing PUT.
      Descriptor d =
          s.putBlob(
              MediaTypes.DOCKER_LAYER_GZIP,
              out -> {
                for (int off = 0; off < data.length; off += 9_999) {
                  out.write(data, off, Math.min(9_999, data.length - off));
                }
              });
      assertEquals(Descriptor.of(MediaTypes.DOCKER_LAYER_GZIP, Digest.of(data), size), d);
      assertTrue(s.hasBlob(d.digest()));
      try (InputStream in = client.session(ref("wire/streamed"), false).blob(d)) {
        assertArrayEquals(data, in.readAllBytes());
      }
    }
  }

  @Test
  void mountsABlobFromAnotherRepository() throws Exception {
    RepositorySession a = client.session(ref("wire/mount-a"), true);
    byte[] data = random(5000, 3);
    Descriptor d = push(a, data, MediaTypes.OCI_LAYER_GZIP);
    RepositorySession b = client.session(ref("wire/mount-b"), true);
    assertFalse(b.hasBlob(d.digest()));
    assertTrue(b.mountBlob(d.digest(), "wire/mount-a"));
    assertTrue(b.hasBlob(d.digest()));
    // A blob the source repository does not have: the registry opens an upload instead.
    assertFalse(b.mountBlob(Digest.of(random(10, 4)), "wire/mount-a"));
  }

  @Test
  void aMissingManifestIsNotFoundNamingRegistryAndRepository() throws Exception {
    RepositorySession s = client.session(ref("wire/none"), false);
    NotFoundException e = assertThrows(NotFoundException.class, () -> s.manifest("nope"));
    assertTrue(e.getMessage().contains(registry.hostPort()), e.getMessage());
    assertTrue(e.getMessage().contains("wire/none"), e.getMessage());
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
  }

  @Test
  void aPushedBlobWithAWrongDigestIsRefused() throws Exception {
    RepositorySession s = client.session(ref("wire/wrong"), true);
    byte[] data = random(1000, 5);
    Digest lie = Digest.of(random(1000, 6));
    io.layerstore.RegistryException e =
        assertThrows(
            io.layerstore.RegistryException.class,
            () -> s.putBlob(lie, data.length, () -> new ByteArrayInputStream(data)));
    assertTrue(e.getMessage().contains(lie.toString()), e.getMessage());
    assertEquals(400, e.status());
    assertFalse(s.hasBlob(lie));
    assertTrue(Files.isDirectory(registry.storage()));
  }
}
