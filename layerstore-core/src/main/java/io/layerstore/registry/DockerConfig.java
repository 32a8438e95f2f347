package io.layerstore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.RegistryException;
import io.layerstore.gocompat.GoJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Docker's {@code config.json}, the logins part of it, read and written as docker's CLI does
 * ({@code cli/config/configfile} and {@code cli/config/credentials}): a registry's credentials come
 * from its {@code credHelpers} entry, else from {@code credsStore}, else from {@code auths} (a
 * base64 {@code auth} of {@code user:password}, or {@code username}/{@code password}, and {@code
 * identitytoken}). Docker Hub is keyed {@code https://index.docker.io/v1/}, as docker keys it, so
 * the two programs share their logins. Owns the file: writes go to a temporary file with mode 0600
 * renamed over it, and keep every field this class does not know.
 */
final class DockerConfig {

  /** The key docker keeps Docker Hub's credentials under. */
  static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";

  private static final List<String> DOCKER_HUB_HOSTS =
      List.of("docker.io", "index.docker.io", "registry-1.docker.io");

  private final Path dir;
  private final List<Path> helperPath;
  private final ObjectMapper json = new ObjectMapper();

  DockerConfig(Path dir, List<Path> helperPath) {
    this.dir = dir;
    this.helperPath = helperPath;
  }

  Path file() {
    return dir.resolve("config.json");
  }

  /** The key a registry's credentials are stored under. */
  static String key(String registry) {
    return DOCKER_HUB_HOSTS.contains(registry) ? DOCKER_HUB_KEY : registry;
  }

  /** docker's {@code ConvertToHostname}: the host[:port] of an {@code auths} key. */
  private static String hostOf(String key) {
    String k = key;
    if (k.startsWith("http://")) {
      k = k.substring(7);
    } else if (k.startsWith("https://")) {
      k = k.substring(8);
    }
    int slash = k.indexOf('/');
    return slash < 0 ? k : k.substring(0, slash);
  }

  private static boolean sameRegistry(String a, String b) {
    return a.equals(b) || (DOCKER_HUB_HOSTS.contains(a) && DOCKER_HUB_HOSTS.contains(b));
  }

  /** The credentials stored for {@code registry} ({@code host[:port]}, {@code docker.io}). */
  Optional<AuthConfig> find(String registry) throws IOException {
    ObjectNode root = read();
    Optional<CredentialHelper> helper = helperFor(root, registry);
    if (helper.isPresent()) {
      return helper.get().get(key(registry));
    }
    JsonNode auths = root.path("auths");
    for (Iterator<Map.Entry<String, JsonNode>> it = auths.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (sameRegistry(hostOf(e.getKey()), registry)) {
        return entry(e.getKey(), e.getValue());
      }
    }
    return Optional.empty();
  }

  private Optional<AuthConfig> entry(String key, JsonNode e) throws RegistryException {
    String user = e.path("username").asText(null);
    String password = e.path("password").asText(null);
    String auth = e.path("auth").asText("");
    if (!auth.isEmpty()) {
      String pair;
      try {
        pair = new String(Base64.getDecoder().decode(auth.trim()), StandardCharsets.UTF_8);
      } catch (IllegalArgumentException ex) {
        throw new RegistryException(
            file() + ": auths[\"" + key + "\"].auth is not base64 of user:password");
      }
      int colon = pair.indexOf(':');
      if (colon < 0) {
        throw new RegistryException(
            file() + ": auths[\"" + key + "\"].auth decodes to no user:password pair");
      }
      user = pair.substring(0, colon);
      password = pair.substring(colon + 1);
    }
    String token = e.path("identitytoken").asText("");
    if (!token.isEmpty()) {
      return Optional.of(new AuthConfig(user, password, token));
    }
    if (user == null || user.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new AuthConfig(user, password, null));
  }

  /** Stores credentials for {@code registry} as {@code docker login} would. */
  void store(String registry, AuthConfig auth) throws IOException {
    ObjectNode root = read();
    Optional<CredentialHelper> helper = helperFor(root, registry);
    ObjectNode auths = root.with("auths");
    ObjectNode entry = json.createObjectNode();
    if (helper.isPresent()) {
      helper.get().store(key(registry), auth);
      // docker keeps an empty entry, so that "docker info" and its peers know of the login.
    } else {
      if (auth.hasPassword()) {
        entry.put(
            "auth",
            Base64.getEncoder()
                .encodeToString(
                    (auth.username() + ":" + auth.password()).getBytes(StandardCharsets.UTF_8)));
      }
      if (auth.identityToken() != null) {
        entry.put("identitytoken", auth.identityToken());
      }
    }
    auths.set(key(registry), entry);
    write(root);
  }

  /** Removes the credentials of {@code registry}; false when none were stored. */
  boolean erase(String registry) throws IOException {
    ObjectNode root = read();
    boolean removed = false;
    Optional<CredentialHelper> helper = helperFor(root, registry);
    if (helper.isPresent()) {
      removed = helper.get().erase(key(registry));
    }
    JsonNode auths = root.path("auths");
    if (auths instanceof ObjectNode a) {
      for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
        if (sameRegistry(hostOf(it.next()), registry)) {
          it.remove();
          removed = true;
        }
      }
    }
    if (removed) {
      write(root);
    }
    return removed;
  }

  private Optional<CredentialHelper> helperFor(ObjectNode root, String registry)
      throws RegistryException {
    JsonNode helpers = root.path("credHelpers");
    for (Iterator<Map.Entry<String, JsonNode>> it = helpers.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (sameRegistry(hostOf(e.getKey()), registry) && !e.getValue().asText("").isEmpty()) {
        return Optional.of(CredentialHelper.find(e.getValue().asText(), helperPath, json));
      }
    }
    String store = root.path("credsStore").asText("");
    return store.isEmpty()
        ? Optional.empty()
        : Optional.of(CredentialHelper.find(store, helperPath, json));
  }

  /**
   * Go's {@code json.Indent(dst, src, "", "\t")} of compact JSON: the layout docker's {@code
   * json.MarshalIndent} gives {@code config.json}, so a file written here reads like one docker
   * wrote ({@code GoJson} gives Go's escapes).
   */
  static String indent(String compact) {
    StringBuilder out = new StringBuilder(compact.length() * 2);
    int depth = 0;
    boolean inString = false;
    for (int i = 0; i < compact.length(); i++) {
      char c = compact.charAt(i);
      if (inString) {
        out.append(c);
        if (c == '\\') {
          out.append(compact.charAt(++i));
        } else if (c == '"') {
          inString = false;
        }
        continue;
      }
      switch (c) {
        case '"' -> {
          inString = true;
          out.append(c);
        }
        case '{', '[' -> {
          out.append(c);
          char next = compact.charAt(i + 1);
          if (next == '}' || next == ']') {
            out.append(next); // Go keeps an empty object or array on one line
            i++;
          } else {
            newline(out, ++depth);
          }
        }
        case '}', ']' -> {
          newline(out, --depth);
          out.append(c);
        }
        case ',' -> {
          out.append(c);
          newline(out, depth);
        }
        case ':' -> out.append(": ");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static void newline(StringBuilder out, int depth) {
    out.append('\n');
    out.append("\t".repeat(depth));
  }

  private ObjectNode read() throws IOException {
    byte[] data;
    try {
      data = Files.readAllBytes(file());
    } catch (NoSuchFileException e) {
      return json.createObjectNode();
    }
    if (data.length == 0) {
      return json.createObjectNode();
    }
    try {
      JsonNode n = json.readTree(data);
      if (n instanceof ObjectNode o) {
        return o;
      }
    } catch (IOException e) {
      throw new RegistryException(file() + " is not valid JSON: " + e.getMessage(), e);
    }
    throw new RegistryException(file() + " does not hold a JSON object");
  }

  private void write(ObjectNode root) throws IOException {
    if (!Files.isDirectory(dir)) {
      try {
        // As docker makes it: the directory of credentials is the owner's alone.
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } catch (UnsupportedOperationException notPosix) {
        Files.createDirectories(dir);
      }
    }
    byte[] data = indent(GoJson.write(root)).getBytes(StandardCharsets.UTF_8);
    Path tmp;
    try {
      // Credentials: readable by the owner alone from the first byte, as docker writes the file.
      tmp =
          Files.createTempFile(
              dir,
              "config.json",
              ".tmp",
              PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException notPosix) {
      tmp = Files.createTempFile(dir, "config.json", ".tmp"); // no modes to restrict
    }
    try {
      Files.write(tmp, data);
      try {
        Files.move(
            tmp, file(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file(), StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
