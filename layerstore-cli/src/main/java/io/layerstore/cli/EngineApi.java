package io.layerstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The Docker Engine API of a {@link PrivateDocker}, called directly (no docker CLI) over the
 * loopback TCP socket the daemon listens on beside its unix socket: {@link HttpClient} cannot speak
 * over a unix socket. Every call checks its status code and fails with the daemon's message.
 */
final class EngineApi {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final URI base;

  EngineApi(int port) {
    this.base = URI.create("http://127.0.0.1:" + port);
  }

  /** GET /_ping: whether the daemon answers. */
  boolean ping() {
    try {
      return send(HttpRequest.newBuilder(uri("/_ping")).GET(), HttpResponse.BodyHandlers.ofString())
              .statusCode()
          == 200;
    } catch (IOException e) {
      return false;
    }
  }

  /** POST /images/load with the archive streamed from the file as the body. */
  void load(Path archive) throws IOException {
    HttpRequest.Builder rq =
        HttpRequest.newBuilder(uri("/images/load?quiet=1"))
            .header("Content-Type", "application/x-tar")
            .POST(HttpRequest.BodyPublishers.ofFile(archive));
    // A failed load is still status 200: the error is a message in the streamed JSON.
    streamed(rq, "load " + archive.getFileName());
  }

  /** POST /images/create?fromSrc=-: a one-layer image from a plain tar (docker import). */
  void importTar(Path tar, String repo, String tag) throws IOException {
    HttpRequest.Builder rq =
        HttpRequest.newBuilder(
                uri("/images/create?fromSrc=-&repo=" + encode(repo) + "&tag=" + encode(tag)))
            .header("Content-Type", "application/x-tar")
            .POST(HttpRequest.BodyPublishers.ofFile(tar));
    streamed(rq, "import " + tar.getFileName());
  }

  /** GET /images/get?names=...: the docker save archive of {@code names}, into {@code out}. */
  void save(List<String> names, Path out) throws IOException {
    String query = names.stream().map(n -> "names=" + encode(n)).collect(Collectors.joining("&"));
    HttpResponse<Path> r =
        send(
            HttpRequest.newBuilder(uri("/images/get?" + query)).GET(),
            HttpResponse.BodyHandlers.ofFile(out));
    if (r.statusCode() != 200) {
      throw new IOException("GET /images/get?" + query + ": status " + r.statusCode());
    }
  }

  /**
   * POST /images/create?fromImage=: pulls {@code ref} (a {@code host/repo:tag}) as {@code docker
   * pull} does, the progress streamed as JSON until the pull ends.
   */
  void pull(String ref) throws IOException {
    int colon = ref.lastIndexOf(':');
    String query =
        "fromImage=" + encode(ref.substring(0, colon)) + "&tag=" + encode(ref.substring(colon + 1));
    streamed(
        HttpRequest.newBuilder(uri("/images/create?" + query))
            .POST(HttpRequest.BodyPublishers.noBody()),
        "pull " + ref);
  }

  /**
   * POST /images/{name}/push?tag=: pushes {@code ref} as {@code docker push} does. The daemon wants
   * an X-Registry-Auth header even for a registry without auth: an empty auth config.
   */
  void push(String ref) throws IOException {
    int colon = ref.lastIndexOf(':');
    String emptyAuth =
        java.util.Base64.getUrlEncoder().encodeToString("{}".getBytes(StandardCharsets.UTF_8));
    streamed(
        HttpRequest.newBuilder(
                uri(
                    "/images/"
                        + ref.substring(0, colon)
                        + "/push?tag="
                        + encode(ref.substring(colon + 1))))
            .header("X-Registry-Auth", emptyAuth)
            .POST(HttpRequest.BodyPublishers.noBody()),
        "push " + ref);
  }

  /** A call whose failure, like a load's, is a 200 with an error message in the streamed JSON. */
  private void streamed(HttpRequest.Builder rq, String what) throws IOException {
    String body = expect(rq, 200, what);
    if (body.contains("\"errorDetail\"")) {
      throw new IOException("Engine API " + what + ": " + body.strip());
    }
  }

  /** DELETE /images/{name}, with {@code ?force=1} when {@code force}. */
  void removeImage(String name, boolean force) throws IOException {
    expect(
        HttpRequest.newBuilder(uri("/images/" + encode(name) + (force ? "?force=1" : ""))).DELETE(),
        200,
        "rmi " + name);
  }

  /** GET /images/json: the ids of all images. */
  List<String> images() throws IOException {
    JsonNode list =
        JSON.readTree(expect(HttpRequest.newBuilder(uri("/images/json")).GET(), 200, "images"));
    return java.util.stream.StreamSupport.stream(list.spliterator(), false)
        .map(n -> n.get("Id").asText())
        .toList();
  }

  /** POST /containers/create of {@code image} with command {@code /bin/sh}; its id. */
  String createContainer(String image) throws IOException {
    String body =
        JSON.writeValueAsString(java.util.Map.of("Image", image, "Cmd", List.of("/bin/sh")));
    HttpRequest.Builder rq =
        HttpRequest.newBuilder(uri("/containers/create"))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    return JSON.readTree(expect(rq, 201, "create")).get("Id").asText();
  }

  /** PUT /containers/{id}/archive?path=/: unpacks a tar into the container (docker cp). */
  void putArchive(String container, Path tar) throws IOException {
    expect(
        HttpRequest.newBuilder(uri("/containers/" + container + "/archive?path=%2F"))
            .header("Content-Type", "application/x-tar")
            .PUT(HttpRequest.BodyPublishers.ofFile(tar)),
        200,
        "copy into " + container);
  }

  /** POST /commit?container={id} (with {@code repo:tag} when {@code repo} is not null); the id. */
  String commit(String container, String repo, String tag) throws IOException {
    String q =
        "container="
            + container
            + (repo == null ? "" : "&repo=" + encode(repo) + "&tag=" + encode(tag));
    return JSON.readTree(
            expect(
                HttpRequest.newBuilder(uri("/commit?" + q))
                    .POST(HttpRequest.BodyPublishers.noBody()),
                201,
                "commit " + container))
        .get("Id")
        .asText();
  }

  /** DELETE /containers/{id}?force=1. */
  void removeContainer(String container) throws IOException {
    expect(
        HttpRequest.newBuilder(uri("/containers/" + container + "?force=1")).DELETE(),
        204,
        "rm " + container);
  }

  private URI uri(String pathAndQuery) {
    return base.resolve(pathAndQuery);
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private String expect(HttpRequest.Builder rq, int status, String what) throws IOException {
    HttpResponse<String> r = send(rq, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != status) {
      throw new IOException(
          "Engine API " + what + ": status " + r.statusCode() + ": " + r.body().strip());
    }
    return r.body();
  }

  private <T> HttpResponse<T> send(HttpRequest.Builder rq, HttpResponse.BodyHandler<T> handler)
      throws IOException {
    try {
      return http.send(rq.build(), handler);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + rq.build().uri(), e);
    }
  }
}
