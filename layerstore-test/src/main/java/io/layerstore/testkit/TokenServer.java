package io.layerstore.testkit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A token server for a registry's {@code auth: token:} setup (distribution's {@code
 * docs/spec/auth/token.md}), on a random loopback port: {@code GET /token?service=&scope=...}
 * answers {@code {"token","access_token","expires_in","issued_at"}} with a JWT signed RS256 by a
 * BouncyCastle-made key whose self-signed certificate is the registry's {@code rootcertbundle} (the
 * certificate travels in the token's {@code x5c} header, which distribution checks against the
 * bundle). It checks the Basic credentials it is given against its users, grants an authenticated
 * user every action of every scope asked for, and an anonymous caller {@code pull} only when
 * anonymous pulls are allowed. It records each request's scopes, for tests to check.
 */
public final class TokenServer implements AutoCloseable {

  /** The issuer the tokens name, which the registry's configuration must repeat. */
  public static final String ISSUER = "layerstore-test-issuer";

  /** The service the registry names in its challenge. */
  public static final String SERVICE = "layerstore-test-registry";

  private final HttpServer server;
  private final TestCertificates.Issued signer;
  private final Map<String, String> users;
  private final boolean anonymousPull;
  private final long expiresIn;
  private final List<String> requests = Collections.synchronizedList(new ArrayList<>());
  private final ObjectMapper json = new ObjectMapper();

  private TokenServer(Map<String, String> users, boolean anonymousPull, long expiresIn)
      throws IOException {
    this.users = Map.copyOf(users);
    this.anonymousPull = anonymousPull;
    this.expiresIn = expiresIn;
    this.signer = TestCertificates.rsaSigner("layerstore test token signer");
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/token", this::handle);
    server.start();
  }

  /**
   * Starts a token server.
   *
   * @param users user names and their passwords
   * @param anonymousPull whether callers without credentials get {@code pull} tokens
   * @return the running server
   * @throws IOException if it cannot listen
   */
  public static TokenServer start(Map<String, String> users, boolean anonymousPull)
      throws IOException {
    return new TokenServer(users, anonymousPull, 300);
  }

  /**
   * The realm the registry sends clients to.
   *
   * @return {@code http://127.0.0.1:<port>/token}
   */
  public URI realm() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token");
  }

  /**
   * Writes the signer's certificate, the registry's {@code rootcertbundle}.
   *
   * @param file where to write it
   * @throws IOException if it cannot be written
   */
  public void writeRootCertBundle(Path file) throws IOException {
    Files.writeString(file, signer.certificatePem());
  }

  /**
   * What was asked of it so far: one line per token request, {@code user scope scope...} (user
   * {@code -} when anonymous).
   *
   * @return the requests, oldest first
   */
  public List<String> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String user = authenticate(ex.getRequestHeaders().getFirst("Authorization"));
      if (user == null) {
        respond(ex, 401, "{\"details\":\"incorrect username or password\"}");
        return;
      }
      List<String> scopes = new ArrayList<>();
      String service = null;
      String query = ex.getRequestURI().getRawQuery();
      for (String pair : query == null ? new String[0] : query.split("&")) {
        int eq = pair.indexOf('=');
        String name = eq < 0 ? pair : pair.substring(0, eq);
        String value =
            eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        if (name.equals("scope")) {
          scopes.addAll(List.of(value.split(" ")));
        } else if (name.equals("service")) {
          service = value;
        }
      }
      requests.add(
          (user.isEmpty() ? "-" : user) + (scopes.isEmpty() ? "" : " " + String.join(" ", scopes)));
      if (!SERVICE.equals(service)) {
        respond(ex, 400, "{\"details\":\"unknown service " + service + "\"}");
        return;
      }
      String token = token(user, scopes);
      ObjectNode answer = json.createObjectNode();
      answer.put("token", token);
      answer.put("access_token", token);
      answer.put("expires_in", expiresIn);
      answer.put("issued_at", Instant.now().toString());
      respond(ex, 200, json.writeValueAsString(answer));
    } catch (RuntimeException e) {
      respond(ex, 500, "{\"details\":\"" + e + "\"}");
    }
  }

  /** The user the Basic header proves, "" for none, or null for wrong credentials. */
  private String authenticate(String header) {
    if (header == null) {
      return "";
    }
    if (!header.startsWith("Basic ")) {
      return null;
    }
    String pair;
    try {
      pair =
          new String(
              Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    int colon = pair.indexOf(':');
    if (colon < 0) {
      return null;
    }
    String user = pair.substring(0, colon);
    return pair.substring(colon + 1).equals(users.get(user)) ? user : null;
  }

  private String token(String user, List<String> scopes) {
    ObjectNode header = json.createObjectNode();
    header.put("typ", "JWT");
    header.put("alg", "RS256");
    ArrayNode x5c = header.putArray("x5c");
    try {
      x5c.add(Base64.getEncoder().encodeToString(signer.certificate().getEncoded()));
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException(e);
    }
    long now = Instant.now().getEpochSecond();
    ObjectNode claims = json.createObjectNode();
    claims.put("iss", ISSUER);
    claims.put("sub", user);
    claims.put("aud", SERVICE);
    claims.put("exp", now + expiresIn);
    claims.put("nbf", now - 60);
    claims.put("iat", now);
    claims.put("jti", UUID.randomUUID().toString());
    ArrayNode access = claims.putArray("access");
    for (String scope : scopes) {
      // repository:<name>:<actions>; the name may itself hold no ':' but a registry host may,
      // so the actions are after the last ':' and the type before the first.
      int first = scope.indexOf(':');
      int last = scope.lastIndexOf(':');
      if (first < 0 || first == last) {
        continue;
      }
      ObjectNode a = access.addObject();
      a.put("type", scope.substring(0, first));
      a.put("name", scope.substring(first + 1, last));
      ArrayNode actions = a.putArray("actions");
      for (String action : scope.substring(last + 1).split(",")) {
        if (!user.isEmpty() || (anonymousPull && action.equals("pull"))) {
          actions.add(action);
        }
      }
    }
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    try {
      String signingInput =
          b64.encodeToString(json.writeValueAsBytes(header))
              + "."
              + b64.encodeToString(json.writeValueAsBytes(claims));
      Signature s = Signature.getInstance("SHA256withRSA");
      s.initSign(signer.key());
      s.update(signingInput.getBytes(StandardCharsets.US_ASCII));
      return signingInput + "." + b64.encodeToString(s.sign());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot sign a token", e);
    }
  }

  private static void respond(HttpExchange ex, int status, String body) throws IOException {
    byte[] data = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, data.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(data);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
