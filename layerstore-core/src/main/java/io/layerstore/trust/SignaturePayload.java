package io.layerstore.trust;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerstore.Digest;
import io.layerstore.SignatureRefusedException.Reason;
import io.layerstore.gocompat.GoJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Set;

/**
 * The JSON a signature signs: which manifest ({@code critical.image.docker-manifest-digest}) under
 * which name ({@code critical.identity.docker-reference}), with {@code critical.type} saying the
 * format. Written byte for byte as containers/image's {@code signature/simple.go} and {@code
 * signature/internal/sigstore_payload.go} write it (Go marshals maps with sorted keys and escapes
 * {@code <>&}), and read as strictly as they read it: exactly the critical fields, no duplicate
 * keys, nothing after the object.
 *
 * @param type {@link #SIMPLE_SIGNING} or {@link #SIGSTORE}
 * @param dockerReference the signed identity, as written
 * @param manifestDigest the signed manifest digest
 * @param creator {@code optional.creator}, or null
 * @param timestamp {@code optional.timestamp} in seconds since the epoch, or null
 */
record SignaturePayload(
    String type, String dockerReference, Digest manifestDigest, String creator, Long timestamp) {

  /** {@code critical.type} of an OpenPGP simple signature. */
  static final String SIMPLE_SIGNING = "atomic container signature";

  /** {@code critical.type} of a sigstore (cosign) signature. */
  static final String SIGSTORE = "cosign container image signature";

  /** The creator we write, as containers/image writes "containers/image VERSION". */
  static String creatorOfThisLibrary() {
    // The module's version when it runs as a module, the jar manifest's otherwise.
    java.lang.module.ModuleDescriptor module = Digest.class.getModule().getDescriptor();
    String version = module != null ? module.rawVersion().orElse(null) : null;
    if (version == null) {
      version = Digest.class.getPackage().getImplementationVersion();
    }
    if (version == null) {
      version = "unknown";
    }
    return "layerstore " + version;
  }

  /** The payload we sign: our creator and the current time. */
  static SignaturePayload ours(String type, String dockerReference, Digest manifestDigest) {
    return new SignaturePayload(
        type,
        dockerReference,
        manifestDigest,
        creatorOfThisLibrary(),
        System.currentTimeMillis() / 1000);
  }

  /** The exact bytes Go's {@code json.Marshal} makes of the payload maps. */
  byte[] toJson() {
    StringBuilder sb = new StringBuilder(256);
    sb.append("{\"critical\":{\"identity\":{\"docker-reference\":");
    GoJson.appendQuoted(sb, dockerReference);
    sb.append("},\"image\":{\"docker-manifest-digest\":");
    GoJson.appendQuoted(sb, manifestDigest.toString());
    sb.append("},\"type\":");
    GoJson.appendQuoted(sb, type);
    sb.append("},\"optional\":{");
    if (creator != null) {
      sb.append("\"creator\":");
      GoJson.appendQuoted(sb, creator);
    }
    if (timestamp != null) {
      sb.append(creator != null ? "," : "").append("\"timestamp\":").append(timestamp);
    }
    sb.append("}}");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /**
   * Reads a payload that a verified signature carried.
   *
   * @throws Refusal (INVALID_SIGNATURE) naming the first thing wrong
   */
  static SignaturePayload parse(byte[] json, String expectedType) throws Refusal {
    JsonNode root;
    try {
      root = TrustFiles.STRICT_JSON.readTree(json);
    } catch (IOException e) {
      throw invalid("the signed payload is not valid JSON: " + firstLine(e.getMessage()));
    }
    exactFields(root, "the signed payload", Set.of("critical", "optional"));
    JsonNode critical = root.get("critical");
    exactFields(critical, "critical", Set.of("type", "image", "identity"));
    String type = text(critical, "type", "critical.type");
    if (!type.equals(expectedType)) {
      throw invalid(
          "the signed payload's critical.type is \"" + type + "\", not \"" + expectedType + "\"");
    }
    JsonNode image = critical.get("image");
    exactFields(image, "critical.image", Set.of("docker-manifest-digest"));
    String digestText =
        text(image, "docker-manifest-digest", "critical.image.docker-manifest-digest");
    Digest digest;
    try {
      digest = Digest.parse(digestText);
    } catch (IllegalArgumentException e) {
      throw new Refusal(
          Reason.DIGEST_MISMATCH,
          "the signed manifest digest \"" + digestText + "\" is not a sha256 digest",
          e);
    }
    JsonNode identity = critical.get("identity");
    exactFields(identity, "critical.identity", Set.of("docker-reference"));
    String reference = text(identity, "docker-reference", "critical.identity.docker-reference");
    String creator = null;
    Long timestamp = null;
    JsonNode optional = root.get("optional");
    // cosign writes "optional": null when the signer gave no annotations.
    if (!optional.isNull()) {
      if (!optional.isObject()) {
        throw invalid("the signed payload's optional is not an object");
      }
      if (optional.has("creator")) {
        creator = text(optional, "creator", "optional.creator");
      }
      if (optional.has("timestamp")) {
        timestamp = seconds(optional.get("timestamp"));
      }
    }
    return new SignaturePayload(type, reference, digest, creator, timestamp);
  }

  private static void exactFields(JsonNode node, String what, Set<String> names) throws Refusal {
    if (node == null || !node.isObject()) {
      throw invalid(what + " is not a JSON object");
    }
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String name = it.next();
      if (!names.contains(name)) {
        throw invalid(what + " has an unexpected field \"" + name + "\"");
      }
    }
    for (String name : names) {
      if (!node.has(name)) {
        throw invalid(what + " has no field \"" + name + "\"");
      }
    }
  }

  private static String text(JsonNode node, String field, String what) throws Refusal {
    JsonNode v = node.get(field);
    if (v == null || !v.isTextual()) {
      throw invalid("the signed payload's " + what + " is not a string");
    }
    return v.textValue();
  }

  /** Go reads the timestamp as a float64 and then insists it is a whole number. */
  private static long seconds(JsonNode v) throws Refusal {
    if (v.isIntegralNumber() && v.canConvertToLong()) {
      return v.longValue();
    }
    if (v.isFloatingPointNumber()) {
      double d = v.doubleValue();
      if (d == Math.rint(d) && Math.abs(d) < 0x1p63) {
        return (long) d;
      }
    }
    throw invalid("the signed payload's optional.timestamp is not a whole number");
  }

  /** Jackson appends the source location on further lines; the first says what is wrong. */
  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  private static Refusal invalid(String message) {
    return new Refusal(Reason.INVALID_SIGNATURE, message);
  }
}
