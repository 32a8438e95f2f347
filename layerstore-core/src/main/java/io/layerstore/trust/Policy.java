package io.layerstore.trust;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerstore.LayerStoreException;
import io.layerstore.Reference;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed containers-policy.json(5): the {@code default} requirements and, per transport, per
 * scope. Only the {@code docker} transport's scopes apply to this library's images (they come from
 * registries); other transports are parsed, so an error in them is still reported, and never used.
 * Parsing is as strict as containers/image's: unknown fields, duplicate keys and empty requirement
 * lists are errors.
 */
final class Policy {

  /** The transport of registry images. */
  static final String DOCKER = "docker";

  /** The requirements that apply to an image, and the scope they came from. */
  record Applicable(String scope, List<Requirement> requirements) {}

  private final Path source;
  private final List<Requirement> defaults;
  private final Map<String, List<Requirement>> docker;

  private Policy(Path source, List<Requirement> defaults, Map<String, List<Requirement>> docker) {
    this.source = source;
    this.defaults = defaults;
    this.docker = docker;
  }

  Path source() {
    return source;
  }

  static Policy load(Path file) throws LayerStoreException {
    return parse(TrustFiles.read(file, "policy"), file);
  }

  static Policy parse(byte[] data, Path file) throws LayerStoreException {
    String where = "policy " + file;
    JsonNode root;
    try {
      root = TrustFiles.STRICT_JSON.readTree(data);
    } catch (IOException e) {
      throw new LayerStoreException(where + " is not valid JSON: " + e.getMessage(), e);
    }
    fields(root, where, Set.of("default", "transports"), Set.of("default"));
    Path base = file.toAbsolutePath().getParent();
    List<Requirement> defaults = requirements(root.get("default"), where + ": default", base);
    Map<String, List<Requirement>> docker = new LinkedHashMap<>();
    JsonNode transports = root.get("transports");
    if (transports != null && !transports.isNull()) {
      if (!transports.isObject()) {
        throw new LayerStoreException(where + ": transports is not an object");
      }
      for (Iterator<Map.Entry<String, JsonNode>> t = transports.fields(); t.hasNext(); ) {
        Map.Entry<String, JsonNode> transport = t.next();
        if (!transport.getValue().isObject()) {
          throw new LayerStoreException(
              where + ": transport \"" + transport.getKey() + "\" is not an object of scopes");
        }
        for (Iterator<Map.Entry<String, JsonNode>> s = transport.getValue().fields();
            s.hasNext(); ) {
          Map.Entry<String, JsonNode> scope = s.next();
          String what =
              where + ": transports." + transport.getKey() + "[\"" + scope.getKey() + "\"]";
          if (transport.getKey().equals(DOCKER)) {
            checkDockerScope(scope.getKey(), what);
          }
          List<Requirement> reqs = requirements(scope.getValue(), what, base);
          if (transport.getKey().equals(DOCKER)) {
            docker.put(scope.getKey(), reqs);
          }
        }
      }
    }
    return new Policy(file, defaults, Map.copyOf(docker));
  }

  /**
   * The requirements for a registry image: the most specific {@code docker} scope (the full
   * reference, the repository, each namespace, the registry, its wildcard domains), else the
   * transport's {@code ""} scope, else {@code default}.
   */
  Applicable forDocker(Reference ref) {
    for (String scope : DockerNames.scopes(ref)) {
      List<Requirement> reqs = docker.get(scope);
      if (reqs != null) {
        return new Applicable("transports.docker[\"" + scope + "\"]", reqs);
      }
    }
    List<Requirement> transportDefault = docker.get("");
    if (transportDefault != null) {
      return new Applicable("transports.docker[\"\"]", transportDefault);
    }
    return new Applicable("default", defaults);
  }

  /** containers/image refuses scopes that can never match; so do we, for the forms it knows. */
  private static void checkDockerScope(String scope, String what) throws LayerStoreException {
    if (scope.isEmpty()) {
      return;
    }
    if (scope.startsWith("*.")) {
      String domain = scope.substring(2);
      if (domain.isEmpty()
          || domain.contains("/")
          || domain.contains(":")
          || domain.contains("*")) {
        throw new LayerStoreException(
            what + ": a wildcard scope is *.domain, without a port or a path");
      }
      return;
    }
    if (scope.contains("*")
        || !scope.equals(scope.strip())
        || scope.contains("//")
        || scope.endsWith("/")) {
      throw new LayerStoreException(what + ": not a valid docker scope");
    }
  }

  private static List<Requirement> requirements(JsonNode list, String what, Path base)
      throws LayerStoreException {
    if (list == null || !list.isArray()) {
      throw new LayerStoreException(what + " is not a list of requirements");
    }
    if (list.isEmpty()) {
      throw new LayerStoreException(
          what + " is an empty list of requirements (write [{\"type\":\"reject\"}] to reject)");
    }
    List<Requirement> out = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      out.add(requirement(list.get(i), what + "[" + i + "]", base));
    }
    return List.copyOf(out);
  }

  private static Requirement requirement(JsonNode n, String what, Path base)
      throws LayerStoreException {
    if (n == null || !n.isObject() || !n.path("type").isTextual()) {
      throw new LayerStoreException(what + " is not a requirement object with a \"type\"");
    }
    String type = n.get("type").textValue();
    switch (type) {
      case "insecureAcceptAnything":
        fields(n, what, Set.of("type"), Set.of());
        return new Requirement.AcceptAnything();
      case "reject":
        fields(n, what, Set.of("type"), Set.of());
        return new Requirement.Reject();
      case "signedBy":
        {
          fields(
              n,
              what,
              Set.of("type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"),
              Set.of("keyType"));
          String keyType = text(n, "keyType", what);
          if (!keyType.equals("GPGKeys")) {
            return new Requirement.Unsupported(type, "signedBy with keyType " + keyType);
          }
          return new Requirement.SignedBy(keys(n, what, base), identity(n, what));
        }
      case "sigstoreSigned":
        {
          fields(
              n,
              what,
              Set.of(
                  "type",
                  "keyPath",
                  "keyPaths",
                  "keyData",
                  "keyDatas",
                  "fulcio",
                  "pki",
                  "rekorPublicKeyPath",
                  "rekorPublicKeyPaths",
                  "rekorPublicKeyData",
                  "rekorPublicKeyDatas",
                  "signedIdentity"),
              Set.of());
          for (String unsupported :
              List.of(
                  "fulcio",
                  "pki",
                  "rekorPublicKeyPath",
                  "rekorPublicKeyPaths",
                  "rekorPublicKeyData",
                  "rekorPublicKeyDatas")) {
            if (n.has(unsupported)) {
              return new Requirement.Unsupported(type, "sigstoreSigned with " + unsupported);
            }
          }
          return new Requirement.SigstoreSigned(keys(n, what, base), identity(n, what));
        }
      case "signedBaseLayer":
        return new Requirement.Unsupported(type, "signedBaseLayer");
      default:
        throw new LayerStoreException(what + ": unknown requirement type \"" + type + "\"");
    }
  }

  /** Exactly one of keyPath, keyPaths, keyData (and keyDatas, for sigstoreSigned). */
  private static List<Requirement.KeySource> keys(JsonNode n, String what, Path base)
      throws LayerStoreException {
    List<String> given = new ArrayList<>();
    for (String f : List.of("keyPath", "keyPaths", "keyData", "keyDatas")) {
      if (n.has(f)) {
        given.add(f);
      }
    }
    if (given.size() != 1) {
      throw new LayerStoreException(
          what
              + " needs exactly one of keyPath, keyPaths or keyData"
              + (given.isEmpty() ? "" : ", not " + given));
    }
    List<Requirement.KeySource> out = new ArrayList<>();
    switch (given.get(0)) {
      case "keyPath" ->
          out.add(new Requirement.KeySource(base.resolve(text(n, "keyPath", what)), null));
      case "keyData" -> out.add(new Requirement.KeySource(null, base64(n.get("keyData"), what)));
      default -> {
        JsonNode list = n.get(given.get(0));
        if (!list.isArray() || list.isEmpty()) {
          throw new LayerStoreException(what + ": " + given.get(0) + " is not a non-empty list");
        }
        for (JsonNode item : list) {
          if (given.get(0).equals("keyPaths")) {
            if (!item.isTextual()) {
              throw new LayerStoreException(what + ": keyPaths holds a non-string");
            }
            out.add(new Requirement.KeySource(base.resolve(item.textValue()), null));
          } else {
            out.add(new Requirement.KeySource(null, base64(item, what)));
          }
        }
      }
    }
    return List.copyOf(out);
  }

  private static IdentityRule identity(JsonNode n, String what) throws LayerStoreException {
    JsonNode id = n.get("signedIdentity");
    if (id == null) {
      return IdentityRule.DEFAULT;
    }
    String where = what + ".signedIdentity";
    if (!id.isObject() || !id.path("type").isTextual()) {
      throw new LayerStoreException(where + " is not an object with a \"type\"");
    }
    String type = id.get("type").textValue();
    switch (type) {
      case "matchExact":
        fields(id, where, Set.of("type"), Set.of());
        return new IdentityRule.MatchExact();
      case "matchRepoDigestOrExact":
        fields(id, where, Set.of("type"), Set.of());
        return new IdentityRule.MatchRepoDigestOrExact();
      case "matchRepository":
        fields(id, where, Set.of("type"), Set.of());
        return new IdentityRule.MatchRepository();
      case "exactReference":
        fields(id, where, Set.of("type", "dockerReference"), Set.of("dockerReference"));
        return new IdentityRule.ExactReference(
            IdentityRule.policyReference(text(id, "dockerReference", where), where, true));
      case "exactRepository":
        fields(id, where, Set.of("type", "dockerRepository"), Set.of("dockerRepository"));
        return new IdentityRule.ExactRepository(
            IdentityRule.policyReference(text(id, "dockerRepository", where), where, false));
      case "remapIdentity":
        {
          fields(
              id,
              where,
              Set.of("type", "prefix", "signedPrefix"),
              Set.of("prefix", "signedPrefix"));
          String prefix = text(id, "prefix", where);
          String signedPrefix = text(id, "signedPrefix", where);
          checkPrefix(prefix, where + ".prefix");
          checkPrefix(signedPrefix, where + ".signedPrefix");
          return new IdentityRule.RemapIdentity(prefix, signedPrefix);
        }
      default:
        throw new LayerStoreException(where + ": unknown signedIdentity type \"" + type + "\"");
    }
  }

  /** A remap prefix is a host[:port] or a repository namespace, without tag or digest. */
  private static void checkPrefix(String prefix, String what) throws LayerStoreException {
    int slash = prefix.indexOf('/');
    boolean tagged = slash >= 0 && prefix.indexOf(':', slash) >= 0;
    if (prefix.isEmpty()
        || tagged
        || prefix.contains("@")
        || prefix.endsWith("/")
        || prefix.contains("//")) {
      throw new LayerStoreException(
          what + ": \"" + prefix + "\" is not a host[:port] or repository namespace");
    }
  }

  private static void fields(JsonNode n, String what, Set<String> allowed, Set<String> required)
      throws LayerStoreException {
    if (n == null || !n.isObject()) {
      throw new LayerStoreException(what + " is not a JSON object");
    }
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        throw new LayerStoreException(what + ": unknown field \"" + f + "\"");
      }
    }
    for (String f : required) {
      if (!n.has(f)) {
        throw new LayerStoreException(what + ": missing field \"" + f + "\"");
      }
    }
  }

  private static String text(JsonNode n, String field, String what) throws LayerStoreException {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual() || v.textValue().isEmpty()) {
      throw new LayerStoreException(what + ": \"" + field + "\" is not a non-empty string");
    }
    return v.textValue();
  }

  private static byte[] base64(JsonNode v, String what) throws LayerStoreException {
    if (v == null || !v.isTextual()) {
      throw new LayerStoreException(what + ": keyData is not a base64 string");
    }
    try {
      return Base64.getDecoder().decode(v.textValue());
    } catch (IllegalArgumentException e) {
      throw new LayerStoreException(what + ": keyData is not base64: " + e.getMessage(), e);
    }
  }
}
