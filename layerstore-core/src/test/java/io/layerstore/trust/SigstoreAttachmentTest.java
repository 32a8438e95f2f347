package io.layerstore.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.Digest;
import io.layerstore.LayerStoreException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code sha256-<hex>.sig} image: what push writes is what pull reads, and no more. */
class SigstoreAttachmentTest {

  private static SigstoreSignature sig(String payload, String signature) {
    return new SigstoreSignature(payload.getBytes(StandardCharsets.UTF_8), signature);
  }

  private static SigstoreAttachment.BlobReader blobs(SigstoreAttachment.Image image) {
    Map<Digest, byte[]> byDigest = new HashMap<>();
    image.layers().forEach(b -> byDigest.put(Digest.of(b), b));
    return d -> {
      byte[] b = byDigest.get(d.digest());
      assertEquals(d.size(), b.length);
      return b;
    };
  }

  @Test
  void whatIsBuiltIsReadBackInOrderAndEachSignatureOnce() throws Exception {
    SigstoreSignature a = sig("{\"a\":1}", "QQ==");
    SigstoreSignature b = sig("{\"b\":2}", "Qg==");
    SigstoreAttachment.Image image = SigstoreAttachment.build(List.of(a, b, a));
    assertEquals(2, image.layers().size());
    String manifest = new String(image.manifest(), StandardCharsets.UTF_8);
    assertTrue(
        manifest.startsWith(
            "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\""),
        manifest);
    assertTrue(
        manifest.contains("\"annotations\":{\"dev.cosignproject.cosign/signature\":\"QQ==\"}"),
        manifest);
    assertEquals(Digest.of(image.config()), image.configDigest());
    assertTrue(
        new String(image.config(), StandardCharsets.UTF_8)
            .contains(Digest.of(a.payload()).toString()));

    List<SigstoreSignature> read =
        SigstoreAttachment.read(image.manifest(), "test.sig", blobs(image));
    assertEquals(2, read.size());
    assertArrayEquals(a.payload(), read.get(0).payload());
    assertEquals("Qg==", read.get(1).base64Signature());
  }

  @Test
  void otherLayersArePassedOverAndBrokenOnesRefused() throws Exception {
    SigstoreAttachment.Image image = SigstoreAttachment.build(List.of(sig("{}", "QQ==")));
    String m = new String(image.manifest(), StandardCharsets.UTF_8);
    byte[] attestation =
        m.replace("simplesigning.v1+json", "in-toto+json").getBytes(StandardCharsets.UTF_8);
    assertEquals(
        List.of(),
        SigstoreAttachment.read(
            attestation,
            "t",
            d -> {
              throw new AssertionError("read");
            }));

    byte[] unsigned =
        m.replaceAll(",\"annotations\":\\{[^}]*\\}", "").getBytes(StandardCharsets.UTF_8);
    LayerStoreException e =
        assertThrows(
            LayerStoreException.class,
            () -> SigstoreAttachment.read(unsigned, "t.sig", blobs(image)));
    assertTrue(
        e.getMessage().contains("t.sig") && e.getMessage().contains("annotation"), e.getMessage());

    byte[] huge = m.replace("\"size\":2,", "\"size\":99999999,").getBytes(StandardCharsets.UTF_8);
    LayerStoreException big =
        assertThrows(
            LayerStoreException.class, () -> SigstoreAttachment.read(huge, "t.sig", blobs(image)));
    assertTrue(big.getMessage().contains("more than"), big.getMessage());
  }
}
