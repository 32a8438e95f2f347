package io.layerstore.trust;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.Digest;
import io.layerstore.LayerStoreException;
import io.layerstore.format.Descriptor;
import io.layerstore.format.MediaTypes;
import io.layerstore.format.OciManifest;
import io.layerstore.gocompat.GoJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The image cosign and containers/image attach a manifest's sigstore signatures as: an OCI
 * manifest, tagged {@code sha256-<hex>.sig} in the signed image's repository, with one layer per
 * signature — the payload as the blob, media type {@value SigstoreSignature#PAYLOAD_MEDIA_TYPE},
 * the signature in the {@value SigstoreSignature#SIGNATURE_ANNOTATION} annotation — and a config
 * listing the payloads as its diff ids. Pull reads it with {@link #read}; push writes it with
 * {@link #build}, after the signatures already attached ({@link #read} of the existing one).
 */
public final class SigstoreAttachment {

  /** Reads one payload blob of the attachment image, checked against its digest and size. */
  @FunctionalInterface
  public interface BlobReader {
    /**
     * The blob's bytes.
     *
     * @param layer the layer's descriptor
     * @return exactly its bytes
     * @throws IOException when it cannot be read, or does not match the descriptor
     */
    byte[] read(Descriptor layer) throws IOException;
  }

  /**
   * The attachment image to push.
   *
   * @param manifest the OCI manifest bytes (media type {@link MediaTypes#OCI_MANIFEST})
   * @param config the config blob
   * @param configDigest the config blob's digest
   * @param layers the payload blobs, in the manifest's layer order
   */
  public record Image(byte[] manifest, byte[] config, Digest configDigest, List<byte[]> layers) {}

  private SigstoreAttachment() {}

  /**
   * Builds the attachment image holding {@code signatures}, in order, each once.
   *
   * @param signatures the signatures (existing ones first, then the new one)
   * @return the blobs and manifest to push
   */
  public static Image build(List<SigstoreSignature> signatures) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    ArrayNode layers = f.arrayNode();
    ArrayNode diffIds = f.arrayNode();
    List<byte[]> blobs = new ArrayList<>();
    List<String> seen = new ArrayList<>();
    for (SigstoreSignature s : signatures) {
      byte[] payload = s.payload();
      Digest d = Digest.of(payload);
      if (seen.contains(d + s.base64Signature())) {
        continue;
      }
      seen.add(d + s.base64Signature());
      Descriptor layer =
          new Descriptor(
              SigstoreSignature.PAYLOAD_MEDIA_TYPE,
              d,
              payload.length,
              Map.of(SigstoreSignature.SIGNATURE_ANNOTATION, s.base64Signature()),
              Optional.empty());
      layers.add(layer.toJson());
      diffIds.add(d.toString());
      blobs.add(payload);
    }
    // The config containers/image writes: an empty image whose rootfs lists the payloads.
    ObjectNode config = f.objectNode();
    config.put("architecture", "");
    config.put("os", "");
    config.putObject("config");
    ObjectNode rootfs = config.putObject("rootfs");
    rootfs.put("type", "layers");
    rootfs.set("diff_ids", diffIds);
    byte[] configBytes = GoJson.write(config).getBytes(StandardCharsets.UTF_8);
    Digest configDigest = Digest.of(configBytes);

    ObjectNode manifest = f.objectNode();
    manifest.put("schemaVersion", 2);
    manifest.put("mediaType", MediaTypes.OCI_MANIFEST);
    manifest.set(
        "config", Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, configBytes.length).toJson());
    manifest.set("layers", layers);
    return new Image(
        GoJson.write(manifest).getBytes(StandardCharsets.UTF_8),
        configBytes,
        configDigest,
        List.copyOf(blobs));
  }

  /**
   * The signatures an attachment manifest carries. Layers of another media type (attestations and
   * such, which cosign also attaches) are passed over; a signature layer without its annotation, or
   * an oversized one, is refused.
   *
   * @param manifest the attachment's manifest bytes
   * @param source where it came from ({@code registry/repository:sha256-<hex>.sig}), for messages
   * @param blobs reads each payload
   * @return the signatures, in layer order
   * @throws LayerStoreException when the manifest is not one, or has too many or too large layers
   * @throws IOException when a blob cannot be read
   */
  public static List<SigstoreSignature> read(byte[] manifest, String source, BlobReader blobs)
      throws IOException {
    OciManifest m =
        OciManifest.parse(manifest, MediaTypes.OCI_MANIFEST, source, new ObjectMapper());
    if (m.layers().size() > Limits.MAX_SIGNATURES) {
      throw new LayerStoreException(
          source
              + " has "
              + m.layers().size()
              + " layers, more than "
              + Limits.MAX_SIGNATURES
              + " signatures");
    }
    List<SigstoreSignature> out = new ArrayList<>();
    for (Descriptor layer : m.layers()) {
      if (!layer.mediaType().equals(SigstoreSignature.PAYLOAD_MEDIA_TYPE)) {
        continue;
      }
      String sig = layer.annotations().get(SigstoreSignature.SIGNATURE_ANNOTATION);
      if (sig == null) {
        throw new LayerStoreException(
            source
                + ": layer "
                + layer.digest()
                + " has no "
                + SigstoreSignature.SIGNATURE_ANNOTATION
                + " annotation");
      }
      if (layer.size() > Limits.MAX_SIGNATURE_BYTES) {
        throw new LayerStoreException(
            source
                + ": signature payload "
                + layer.digest()
                + " is "
                + layer.size()
                + " bytes, more than "
                + Limits.MAX_SIGNATURE_BYTES);
      }
      out.add(new SigstoreSignature(blobs.read(layer), sig));
    }
    return out;
  }
}
