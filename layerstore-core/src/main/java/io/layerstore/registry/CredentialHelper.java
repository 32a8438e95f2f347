package io.layerstore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.RegistryException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@code docker-credential-<name>} program, spoken to as docker-credential-helpers define: the
 * action as the only argument ({@code get}, {@code store}, {@code erase}), the request on stdin
 * (the server address for {@code get} and {@code erase}; {@code {"ServerURL","Username","Secret"}}
 * for {@code store}), the answer on stdout, exit status 1 with {@code credentials not found in
 * native keychain} when it has nothing.
 */
final class CredentialHelper {

  private static final String NOT_FOUND = "credentials not found in native keychain";
  private static final long TIMEOUT_SECONDS = 60;

  private final String name;
  private final Path program;
  private final ObjectMapper json;

  private CredentialHelper(String name, Path program, ObjectMapper json) {
    this.name = name;
    this.program = program;
    this.json = json;
  }

  /** The helper {@code docker-credential-<name>} on {@code path}. */
  static CredentialHelper find(String name, List<Path> path, ObjectMapper json)
      throws RegistryException {
    if (!name.matches("[A-Za-z0-9_.-]+")) {
      throw new RegistryException("credential helper name \"" + name + "\" is not a plain name");
    }
    for (Path dir : path) {
      Path p = dir.resolve("docker-credential-" + name);
      if (Files.isRegularFile(p) && Files.isExecutable(p)) {
        return new CredentialHelper(name, p, json);
      }
    }
    throw new RegistryException(
        "credential helper docker-credential-" + name + " is not on the helper path " + path);
  }

  Optional<AuthConfig> get(String serverUrl) throws IOException {
    Result r = run("get", serverUrl);
    if (r.exit != 0) {
      if (r.out.contains(NOT_FOUND) || r.err.contains(NOT_FOUND)) {
        return Optional.empty();
      }
      throw failure("get", serverUrl, r);
    }
    JsonNode answer;
    try {
      answer = json.readTree(r.out);
    } catch (IOException e) {
      throw new RegistryException(
          "credential helper docker-credential-" + name + " answered get with invalid JSON", e);
    }
    String user = answer.path("Username").asText("");
    String secret = answer.path("Secret").asText("");
    if (user.equals(AuthConfig.TOKEN_USERNAME)) {
      return Optional.of(new AuthConfig(null, null, secret));
    }
    return Optional.of(new AuthConfig(user, secret, null));
  }

  void store(String serverUrl, AuthConfig auth) throws IOException {
    boolean token = auth.identityToken() != null;
    String request =
        json.writeValueAsString(
            Map.of(
                "ServerURL",
                serverUrl,
                "Username",
                token ? AuthConfig.TOKEN_USERNAME : auth.username(),
                "Secret",
                token ? auth.identityToken() : auth.password()));
    Result r = run("store", request);
    if (r.exit != 0) {
      throw failure("store", serverUrl, r);
    }
  }

  /** Erases, returning false when the helper had nothing for {@code serverUrl}. */
  boolean erase(String serverUrl) throws IOException {
    Result r = run("erase", serverUrl);
    if (r.exit == 0) {
      return true;
    }
    if (r.out.contains(NOT_FOUND) || r.err.contains(NOT_FOUND)) {
      return false;
    }
    throw failure("erase", serverUrl, r);
  }

  private RegistryException failure(String action, String serverUrl, Result r) {
    String said = (r.out + " " + r.err).strip();
    return new RegistryException(
        "credential helper docker-credential-"
            + name
            + " failed to "
            + action
            + " credentials for "
            + serverUrl
            + " (exit "
            + r.exit
            + (said.isEmpty() ? "" : ": " + said)
            + ")");
  }

  private record Result(int exit, String out, String err) {}

  private Result run(String action, String input) throws IOException {
    Process p = new ProcessBuilder(program.toString(), action).start();
    // Both outputs are drained on their own threads so a chatty helper cannot block on a full
    // pipe while we wait for it.
    CompletableFuture<String> out = drain(p.getInputStream());
    CompletableFuture<String> err = drain(p.getErrorStream());
    try (OutputStream stdin = p.getOutputStream()) {
      stdin.write(input.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // The helper may exit without reading; its status says what happened.
    }
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new RegistryException(
            "credential helper docker-credential-"
                + name
                + " did not finish "
                + action
                + " within "
                + TIMEOUT_SECONDS
                + " s");
      }
      return new Result(p.exitValue(), out.join(), err.join());
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while running docker-credential-" + name);
    }
  }

  /** Reads {@code in} to its end on a thread of its own (not a shared pool, which may be busy). */
  private static CompletableFuture<String> drain(InputStream in) {
    CompletableFuture<String> result = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try (in) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                in.transferTo(buf);
                result.complete(buf.toString(StandardCharsets.UTF_8));
              } catch (IOException e) {
                result.complete("");
              }
            },
            "docker-credential-drain");
    t.setDaemon(true);
    t.start();
    return result;
  }
}
