package io.layerstore.cli;

import io.layerstore.Digest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a {@code docker-registry} served, read from its access log (one Apache-style line per
 * request): which blobs were downloaded, and which uploads happened. The tests count requests from
 * the registry's own account, not from the client's.
 */
final class RegistryLog {

  private static final Pattern REQUEST =
      Pattern.compile(
          "\"(GET|HEAD|POST|PATCH|PUT|DELETE) (/v2/[^ ?\"]*)(\\?[^ \"]*)? HTTP/[0-9.]+\" (\\d{3})");

  /** One request: its method, path, query ("" if none) and status. */
  record Request(String method, String path, String query, int status) {}

  private RegistryLog() {}

  static List<Request> requests(Path log) throws IOException {
    Matcher m = REQUEST.matcher(Files.readString(log, StandardCharsets.UTF_8));
    List<Request> out = new ArrayList<>();
    while (m.find()) {
      out.add(
          new Request(
              m.group(1),
              m.group(2),
              m.group(3) == null ? "" : m.group(3),
              Integer.parseInt(m.group(4))));
    }
    return out;
  }

  /** How many times each blob was downloaded (a 200 or 206 to GET), from any repository. */
  static Map<Digest, Integer> blobGets(Path log) throws IOException {
    Map<Digest, Integer> out = new TreeMap<>();
    for (Request r : requests(log)) {
      int at = r.path().lastIndexOf("/blobs/sha256:");
      if (r.method().equals("GET") && at >= 0 && (r.status() == 200 || r.status() == 206)) {
        out.merge(Digest.parse(r.path().substring(at + "/blobs/".length())), 1, Integer::sum);
      }
    }
    return out;
  }

  /**
   * Requests that sent blob bytes to {@code repository}: PATCH and PUT of its upload sessions, and
   * a single-request POST upload ({@code ?digest=}); a cross-repository mount sends none.
   */
  static long uploads(Path log, String repository) throws IOException {
    return requests(log).stream()
        .filter(r -> r.path().startsWith("/v2/" + repository + "/blobs/uploads/"))
        .filter(
            r ->
                r.method().equals("PATCH")
                    || r.method().equals("PUT")
                    || r.method().equals("POST") && r.query().contains("digest="))
        .count();
  }
}
