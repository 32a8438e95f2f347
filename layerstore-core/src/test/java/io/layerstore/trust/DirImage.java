package io.layerstore.trust;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;

/**
 * The fixture image in containers/image's {@code dir:} form, made by skopeo: the one transport
 * where skopeo signs and checks signatures without a registry. Its {@code signature-N} files hold
 * simple signatures as they are, and sigstore signatures in containers/image's internal form (a
 * zero byte, {@code sigstore-json}, a newline, then {@code {"mimeType","payload","annotations"}}).
 */
final class DirImage {

  private DirImage() {}

  static Path fixtureLayout() {
    return Path.of(System.getProperty("layerstore.fixtures"), "fx-multi.oci");
  }

  /** The fixture's manifest blob, as a registry would serve it. */
  static Path fixtureManifest() {
    return fixtureLayout()
        .resolve("blobs/sha256/fb56bc87628108b8988d099913919f789d713b1156aa5bc61869306f70a11122");
  }

  static Path copyFixture(Path to) throws IOException {
    Tools.run(
            "skopeo",
            "--insecure-policy",
            "copy",
            "-q",
            "oci:" + fixtureLayout() + ":multi",
            "dir:" + to)
        .ok();
    return to;
  }

  static Digest manifestDigest(Path image) throws IOException {
    return Digest.of(Files.readAllBytes(image.resolve("manifest.json")));
  }

  /** A policy.json for the dir transport, whose images have no docker name of their own. */
  static Path policy(Path file, String requirementFields, String identity) throws IOException {
    Files.writeString(
        file,
        "{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"dir\":{\"\":[{"
            + requirementFields
            + ",\"signedIdentity\":{\"type\":\"exactReference\",\"dockerReference\":\""
            + identity
            + "\"}}]}}}");
    return file;
  }

  /** skopeo copy with a policy, from one dir image to a new one. */
  static Tools.Result copy(Path policy, Path from, Path to, String... extra) throws IOException {
    String[] cmd = new String[7 + extra.length];
    cmd[0] = "skopeo";
    cmd[1] = "copy";
    cmd[2] = "-q";
    cmd[3] = "--policy";
    cmd[4] = policy.toString();
    System.arraycopy(extra, 0, cmd, 5, extra.length);
    cmd[5 + extra.length] = "dir:" + from;
    cmd[6 + extra.length] = "dir:" + to;
    return Tools.run(cmd);
  }

  static SigstoreSignature readSigstore(Path file) throws IOException {
    byte[] raw = Files.readAllBytes(file);
    String prefix = "\0sigstore-json\n";
    String head = new String(raw, 0, Math.min(raw.length, prefix.length()), StandardCharsets.UTF_8);
    if (!head.equals(prefix)) {
      throw new AssertionError(file + " is not a sigstore signature in containers/image's form");
    }
    JsonNode json =
        new ObjectMapper()
            .readTree(
                new String(
                    raw, prefix.length(), raw.length - prefix.length(), StandardCharsets.UTF_8));
    return new SigstoreSignature(
        Base64.getDecoder().decode(json.get("payload").textValue()),
        json.get("annotations").get(SigstoreSignature.SIGNATURE_ANNOTATION).textValue());
  }

  static void writeSigstore(Path file, SigstoreSignature sig) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes("\0sigstore-json\n".getBytes(StandardCharsets.UTF_8));
    out.writeBytes(
        ("{\"mimeType\":\""
                + SigstoreSignature.PAYLOAD_MEDIA_TYPE
                + "\",\"payload\":\""
                + Base64.getEncoder().encodeToString(sig.payload())
                + "\",\"annotations\":{\""
                + SigstoreSignature.SIGNATURE_ANNOTATION
                + "\":\""
                + sig.base64Signature()
                + "\"}}")
            .getBytes(StandardCharsets.UTF_8));
    Files.write(file, out.toByteArray());
  }
}
