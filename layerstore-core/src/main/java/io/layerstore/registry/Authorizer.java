package io.layerstore.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The {@code Authorization} header of requests to one endpoint, as the endpoint's challenge asks:
 * none; {@code Basic} with the stored credentials; or a {@code Bearer} token from the challenge's
 * realm for the scopes a request needs (distribution's {@code auth/token.md}), fetched with the
 * stored credentials or anonymously, and kept until it expires or the registry rejects it.
 * Thread-safe: the blobs of one pull share its tokens.
 */
final class Authorizer {

  /** How long a token is kept when the token server does not say (distribution's minimum). */
  private static final Duration DEFAULT_TOKEN_LIFE = Duration.ofSeconds(60);

  /** Tokens are renewed this long before they expire, so no request carries a dying one. */
  private static final Duration RENEW_EARLY = Duration.ofSeconds(10);

  private final Transport transport;
  private final Endpoint endpoint;
  private final CredentialSource credentials;
  private final Map<String, Token> tokens;
  private final ObjectMapper json = new ObjectMapper();
  private volatile Challenge challenge;

  /** Where an endpoint's credentials come from; asked once, when a challenge needs them. */
  @FunctionalInterface
  interface CredentialSource {
    Optional<AuthConfig> get() throws IOException;
  }

  /** A token and when it stops being used. */
  record Token(String value, long expiresAtNanos) {}

  /**
   * @param tokens the client's token cache, shared by its sessions (keyed by realm, service, scopes
   *     and user, so sessions never see each other's rights)
   */
  Authorizer(
      Transport transport,
      Endpoint endpoint,
      CredentialSource credentials,
      Map<String, Token> tokens) {
    this.transport = transport;
    this.endpoint = endpoint;
    this.credentials = memoize(credentials);
    this.tokens = tokens;
    this.challenge = Challenge.preferred(endpoint.challenges()).orElse(null);
  }

  /** A fresh token cache for a client. */
  static Map<String, Token> newTokenCache() {
    return new ConcurrentHashMap<>();
  }

  /** {@code source}, asked once: a helper program runs at most once per session. */
  private static CredentialSource memoize(CredentialSource source) {
    return new CredentialSource() {
      private Optional<AuthConfig> value;

      @Override
      public synchronized Optional<AuthConfig> get() throws IOException {
        if (value == null) {
          value = source.get();
        }
        return value;
      }
    };
  }

  /** Whether credentials are stored for the endpoint (read now if they were not yet). */
  boolean hasCredentials() throws IOException {
    return credentials.get().isPresent();
  }

  /** The header for a request needing {@code scopes}, or empty when none is asked for. */
  Optional<String> header(List<String> scopes) throws IOException {
    Challenge c = challenge;
    if (c == null) {
      return Optional.empty();
    }
    if (c.scheme().equals("basic")) {
      Optional<AuthConfig> auth = credentials.get();
      return auth.filter(AuthConfig::hasPassword).map(AuthConfig::basic);
    }
    return Optional.of("Bearer " + token(c, scopes));
  }

  /**
   * A request carrying {@code sent} was answered 401 with {@code wwwAuthenticate}: forgets the
   * token and takes the new challenge. Returns whether trying again may help: false when the same
   * Basic credentials (or none) would be sent again.
   */
  boolean rejected(Optional<String> sent, List<String> wwwAuthenticate) throws IOException {
    Optional<Challenge> now = Challenge.preferred(Challenge.parseAll(wwwAuthenticate));
    now.ifPresent(c -> challenge = c);
    Challenge c = challenge;
    if (c == null) {
      return false;
    }
    if (c.scheme().equals("bearer")) {
      if (sent.isPresent()) {
        String value = sent.get().substring("Bearer ".length());
        tokens.values().removeIf(t -> t.value.equals(value));
      }
      // A new token (or a first one, if the challenge came only now) is worth one more try.
      return true;
    }
    Optional<String> basic =
        credentials.get().filter(AuthConfig::hasPassword).map(AuthConfig::basic);
    return basic.isPresent() && !basic.equals(sent);
  }

  /**
   * The token for {@code scopes}, from the cache or the realm. Synchronized so that the blobs of a
   * pull starting together ask the token server once, not once each.
   */
  private synchronized String token(Challenge c, List<String> scopes) throws IOException {
    String realm = c.param("realm");
    if (realm == null || realm.isEmpty()) {
      throw new RegistryException(
          "registry " + endpoint.name() + " asked for a Bearer token without naming its realm");
    }
    Optional<AuthConfig> auth = credentials.get();
    String user =
        auth.map(a -> a.username() == null ? AuthConfig.TOKEN_USERNAME : a.username()).orElse("");
    String key = realm + "\n" + c.param("service") + "\n" + new TreeSet<>(scopes) + "\n" + user;
    Token t = tokens.get(key);
    if (t != null && System.nanoTime() < t.expiresAtNanos) {
      return t.value;
    }
    t = fetch(realm, c.param("service"), scopes, auth);
    tokens.put(key, t);
    return t.value;
  }

  /** Asks the token server; with an identity token by OAuth's refresh grant, as docker does. */
  private Token fetch(String realm, String service, List<String> scopes, Optional<AuthConfig> auth)
      throws IOException {
    URI realmUri;
    try {
      realmUri = URI.create(realm);
    } catch (IllegalArgumentException e) {
      throw new RegistryException(
          "registry " + endpoint.name() + " named an invalid token realm \"" + realm + "\"");
    }
    if (realmUri.getHost() == null) {
      throw new RegistryException(
          "registry " + endpoint.name() + " named a token realm without a host: " + realm);
    }
    HttpRequest request;
    Duration timeout = transport.options().readTimeout();
    if (auth.isPresent() && auth.get().identityToken() != null) {
      StringBuilder form = new StringBuilder("grant_type=refresh_token&client_id=layerstore");
      form.append("&refresh_token=").append(enc(auth.get().identityToken()));
      if (service != null) {
        form.append("&service=").append(enc(service));
      }
      if (!scopes.isEmpty()) {
        form.append("&scope=").append(enc(String.join(" ", scopes)));
      }
      request =
          HttpRequest.newBuilder(realmUri)
              .timeout(timeout)
              .header("Content-Type", "application/x-www-form-urlencoded")
              .POST(HttpRequest.BodyPublishers.ofString(form.toString()))
              .build();
    } else {
      StringBuilder query = new StringBuilder();
      if (service != null) {
        query.append("service=").append(enc(service));
      }
      for (String s : scopes) {
        query.append(query.length() == 0 ? "" : "&").append("scope=").append(enc(s));
      }
      if (auth.isPresent() && auth.get().hasPassword()) {
        query
            .append(query.length() == 0 ? "" : "&")
            .append("account=")
            .append(enc(auth.get().username()));
      }
      String sep = realm.contains("?") ? "&" : "?";
      URI uri = URI.create(realm + (query.length() == 0 ? "" : sep + query));
      HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout).GET();
      auth.filter(AuthConfig::hasPassword).ifPresent(a -> b.header("Authorization", a.basic()));
      request = b.build();
    }
    HttpResponse<InputStream> r =
        transport.send(
            request, "registry " + endpoint.name() + ": token server " + realmUri.getHost());
    byte[] body;
    try (InputStream in = r.body()) {
      body = in.readNBytes(1 << 20);
    }
    if (r.statusCode() != 200) {
      throw new RegistryException(
          "registry "
              + endpoint.name()
              + ": token server "
              + realmUri.getHost()
              + " refused a token for "
              + scopes
              + (auth.isPresent() ? " with the stored credentials" : " anonymously")
              + ": HTTP "
              + r.statusCode()
              + Answers.detail(body),
          r.statusCode() == 401 || r.statusCode() == 403 ? 401 : r.statusCode(),
          null);
    }
    JsonNode answer;
    try {
      answer = json.readTree(body);
    } catch (IOException e) {
      throw new RegistryException(
          "registry " + endpoint.name() + ": token server answered with invalid JSON", e);
    }
    String value = answer.path("token").asText("");
    if (value.isEmpty()) {
      value = answer.path("access_token").asText("");
    }
    if (value.isEmpty()) {
      throw new RegistryException(
          "registry " + endpoint.name() + ": token server answered without a token");
    }
    long life = answer.path("expires_in").asLong(0);
    Duration d =
        life < DEFAULT_TOKEN_LIFE.toSeconds() ? DEFAULT_TOKEN_LIFE : Duration.ofSeconds(life);
    return new Token(value, System.nanoTime() + d.minus(RENEW_EARLY).toNanos());
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** Docker's login check: a token for no scope, from the credentials being checked. */
  static void checkLogin(
      Transport transport,
      Endpoint endpoint,
      AuthConfig auth,
      Function<String, IOException> refused)
      throws IOException {
    Authorizer a = new Authorizer(transport, endpoint, () -> Optional.of(auth), newTokenCache());
    Optional<String> header;
    try {
      header = a.header(List.of());
    } catch (RegistryException e) {
      if (e.status() == 401) {
        throw refused.apply(e.getMessage());
      }
      throw e;
    }
    HttpRequest.Builder b =
        HttpRequest.newBuilder(endpoint.resolve("/v2/"))
            .timeout(transport.options().readTimeout())
            .GET();
    header.ifPresent(h -> b.header("Authorization", h));
    HttpResponse<InputStream> r =
        transport.send(b.build(), "registry " + endpoint.name() + ": login check of /v2/");
    byte[] body;
    try (InputStream in = r.body()) {
      body = in.readNBytes(64 << 10);
    }
    if (r.statusCode() == 401) {
      throw refused.apply("HTTP 401" + Answers.detail(body));
    }
    if (r.statusCode() != 200) {
      throw new RegistryException(
          "registry "
              + endpoint.name()
              + ": /v2/ answered HTTP "
              + r.statusCode()
              + Answers.detail(body),
          r.statusCode(),
          null);
    }
  }
}
