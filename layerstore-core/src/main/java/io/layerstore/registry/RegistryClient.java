package io.layerstore.registry;

import io.layerstore.Reference;
import io.layerstore.RegistryException;
import io.layerstore.RegistryOptions;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Speaks to registries for one store: opens {@link RepositorySession}s, logs in and out as {@code
 * docker login} does. Thread-safe; one per {@code LayerStore}. It keeps, for its lifetime, each
 * registry's endpoint as first pinged (its scheme and authentication challenge), one HTTP client
 * per host, and the tokens it was given.
 */
public final class RegistryClient implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RegistryClient.class);

  private final RegistryOptions options;
  private final Tuning tuning;
  private final Transport transport;
  private final Retry retry;
  private final DockerConfig config;
  private final Map<String, Endpoint> endpoints = new ConcurrentHashMap<>();
  private final Map<String, Authorizer.Token> tokens = Authorizer.newTokenCache();

  private RegistryClient(RegistryOptions options, Tuning tuning) {
    this.options = options;
    this.tuning = tuning;
    this.transport = new Transport(options);
    this.retry = new Retry(options.maxAttempts());
    this.config = new DockerConfig(options.dockerConfigDir(), options.credentialHelperPath());
  }

  /**
   * Creates a client.
   *
   * @param options how to reach registries
   * @return the client; close it when the store closes
   */
  public static RegistryClient create(RegistryOptions options) {
    return new RegistryClient(options, Tuning.DEFAULT);
  }

  /** A client with other {@link Tuning} (tests: a local Docker Hub, small chunks). */
  static RegistryClient create(RegistryOptions options, Tuning tuning) {
    return new RegistryClient(options, tuning);
  }

  /**
   * Opens a session on the repository of {@code ref}: pings the registry (once per client) to learn
   * its scheme and authentication, and looks up the stored credentials when it asks for them. Pulls
   * from {@code docker.io} go to the configured mirrors first.
   *
   * @param ref the reference; its tag and digest are not used
   * @param push whether the session pushes (asks for the {@code pull,push} scope)
   * @return the session
   * @throws IOException if the registry cannot be reached or does not answer as a registry
   */
  public RepositorySession session(Reference ref, boolean push) throws IOException {
    String registry = ref.domain();
    List<RemoteRepository.Target> targets = new ArrayList<>();
    if (!push && registry.equals(Reference.DEFAULT_DOMAIN)) {
      for (URI mirror : options.mirrors()) {
        try {
          Endpoint e = endpoint(mirrorName(mirror), mirror);
          // A mirror gets its own credentials, never Docker Hub's.
          targets.add(target(e, e.name()));
        } catch (IOException e) {
          LOG.warn("mirror {} is not usable, skipping it: {}", mirror, e.getMessage());
        }
      }
    }
    Endpoint origin;
    try {
      origin = endpoint(registry, null);
    } catch (IOException e) {
      if (targets.isEmpty()) {
        throw forRepository(e, ref.path());
      }
      // With a working mirror a pull needs no Docker Hub (docker pulls offline through a mirror
      // too). The origin stays a target, unpinged: should a blob be missing from the mirrors, a
      // request to it either works (a 401 brings its challenge) or fails naming it.
      LOG.warn("{} is not reachable, pulling through its mirrors: {}", registry, e.getMessage());
      origin = new Endpoint(registry, URI.create("https://" + tuning.dockerHubHost()), List.of());
    }
    targets.add(target(origin, registry));
    return new RemoteRepository(transport, retry, tuning, registry, ref.path(), targets, push);
  }

  /** {@code e} saying which repository the failed ping was for (the ping is per registry). */
  private static IOException forRepository(IOException e, String repository) {
    String message = e.getMessage() + " (opening repository " + repository + ")";
    if (e instanceof RegistryException r) {
      return new RegistryException(message, r.status(), e);
    }
    if (e instanceof java.io.InterruptedIOException) {
      return e;
    }
    // After the retries: a registry that cannot be reached is the user's error to read, not a stack
    // trace's (the CLI prints a LayerStoreException's message alone).
    return new RegistryException(message, 0, e);
  }

  private static String mirrorName(URI mirror) {
    return Transport.authority(mirror);
  }

  private RemoteRepository.Target target(Endpoint e, String credentialsOf) {
    return new RemoteRepository.Target(
        e, new Authorizer(transport, e, () -> config.find(credentialsOf), tokens));
  }

  /**
   * The endpoint of {@code registry} (or of the mirror at {@code mirror}), pinged once: HTTPS
   * first, then plain HTTP where that is allowed and HTTPS did not answer, as docker tries them.
   */
  private Endpoint endpoint(String registry, URI mirror) throws IOException {
    String key = mirror == null ? registry : mirror.toString();
    Endpoint known = endpoints.get(key);
    if (known != null) {
      return known;
    }
    Endpoint e;
    if (mirror != null) {
      String base = mirror.toString().replaceAll("/+$", "");
      e = ping(registry, URI.create(base), options.maxAttempts());
    } else {
      String host = registry.equals(Reference.DEFAULT_DOMAIN) ? tuning.dockerHubHost() : registry;
      URI https = URI.create("https://" + host);
      if (!transport.mayUsePlainHttp(host)) {
        e = ping(registry, https, options.maxAttempts());
      } else {
        e = pingHttpsThenPlain(registry, host, https);
      }
    }
    endpoints.putIfAbsent(key, e);
    return endpoints.get(key);
  }

  /**
   * Docker's way with a registry that may speak plain HTTP: HTTPS if it answers, else plain HTTP
   * with the usual retries. Both are tried at once, the HTTPS attempt on a thread of its own: a
   * port speaks one of the two, so when plain HTTP gets a registry's answer HTTPS can only fail
   * there, and waiting for its handshake to fail (about 0.2 s in a JVM that has not made one yet)
   * would only delay a loopback registry's every pull and push. When plain HTTP gets no registry's
   * answer the HTTPS attempt's outcome decides, as it did when the two ran one after the other.
   */
  private Endpoint pingHttpsThenPlain(String registry, String host, URI https) throws IOException {
    URI plain = URI.create("http://" + host);
    CompletableFuture<Endpoint> tls = new CompletableFuture<>();
    AtomicBoolean plainAnswered = new AtomicBoolean();
    Thread t =
        new Thread(
            () -> {
              try {
                // The TLS context first (the trust store: tens of ms); if plain HTTP has answered
                // by then, the handshake, which could only fail, is not even started.
                transport.prepare(https);
                if (plainAnswered.get()) {
                  tls.completeExceptionally(new IOException("not tried: plain HTTP answered"));
                  return;
                }
                tls.complete(ping(registry, https, 1));
              } catch (IOException | RuntimeException e) {
                tls.completeExceptionally(e);
              }
            },
            "layerstore-ping " + registry);
    t.setDaemon(true);
    t.start();
    IOException plainFirst;
    try {
      Endpoint e = ping(registry, plain, 1);
      plainAnswered.set(true);
      LOG.debug("{}: plain HTTP answered; not waiting for HTTPS", registry);
      return e;
    } catch (IOException e) {
      plainFirst = e;
    }
    IOException httpsFailed;
    try {
      return tls.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RegistryException answered) {
        throw answered; // it speaks HTTPS and said no
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      if (!(e.getCause() instanceof IOException io)) {
        throw e;
      }
      httpsFailed = io;
    }
    LOG.debug("{}: no HTTPS ({}), trying plain HTTP", registry, httpsFailed.toString());
    try {
      if (plainFirst instanceof RegistryException || options.maxAttempts() <= 1) {
        throw plainFirst; // an answer, not a failure to retry; or no attempt left
      }
      return ping(registry, plain, options.maxAttempts() - 1);
    } catch (RegistryException plainRefused) {
      // An HTTP answer to plain HTTP that is not a registry's (Go's TLS server says 400 "Client
      // sent an HTTP request to an HTTPS server"): the server speaks TLS, and why TLS failed (an
      // untrusted certificate, a client certificate wanted) is the error.
      httpsFailed.addSuppressed(plainRefused);
      throw new RegistryException(
          "registry " + registry + ": TLS failed: " + httpsFailed.getMessage(), httpsFailed);
    } catch (IOException plainFailed) {
      plainFailed.addSuppressed(httpsFailed);
      throw plainFailed;
    }
  }

  private Endpoint ping(String name, URI base, int attempts) throws IOException {
    URI v2 = URI.create(base + "/v2/");
    String what = "registry " + name + ": ping " + v2;
    return new Retry(attempts)
        .run(
            what,
            () -> {
              HttpResponse<InputStream> r =
                  transport.send(
                      HttpRequest.newBuilder(v2).timeout(options.readTimeout()).GET().build(),
                      what);
              byte[] body = Answers.errorBody(r);
              if (r.statusCode() == 200) {
                return new Endpoint(name, base, List.of());
              }
              if (r.statusCode() == 401) {
                return new Endpoint(
                    name, base, Challenge.parseAll(r.headers().allValues("WWW-Authenticate")));
              }
              throw new RegistryException(
                  what
                      + ": HTTP "
                      + r.statusCode()
                      + Answers.detail(body)
                      + " (not a registry v2 API?)",
                  r.statusCode(),
                  null);
            });
  }

  /**
   * Logs in as {@code docker login} does: checks the credentials against the registry's {@code
   * /v2/} (Basic, or a token from its realm), then stores them where docker keeps them (the
   * credential helper of {@code credHelpers} or {@code credsStore}, else a base64 {@code auth} in
   * {@code config.json}, mode 0600). Docker Hub's entry is {@code https://index.docker.io/v1/}.
   *
   * @param host the registry ({@code host[:port]}; {@code docker.io} or nothing like it for Docker
   *     Hub; a scheme and path are ignored as docker ignores them)
   * @param user the user name
   * @param password the password or access token
   * @throws RegistryException if the registry refused the credentials (status 401)
   * @throws IOException if the registry cannot be reached or the credentials not stored
   */
  public void login(String host, String user, String password) throws IOException {
    String registry = registryName(host);
    if (user == null || user.isEmpty() || password == null || password.isEmpty()) {
      throw new RegistryException("login to " + registry + ": user name and password are required");
    }
    // A fresh ping: a login must not be answered by an endpoint learnt before it.
    endpoints.remove(registry);
    Endpoint e = endpoint(registry, null);
    AuthConfig auth = new AuthConfig(user, password, null);
    if (!e.challenges().isEmpty()) {
      Authorizer.checkLogin(
          transport,
          e,
          auth,
          detail ->
              new RegistryException(
                  "login to "
                      + registry
                      + " failed: unauthorized: incorrect username or password ("
                      + detail
                      + ")",
                  401,
                  null));
    }
    config.store(registry, auth);
    tokens.clear();
  }

  /**
   * Logs out as {@code docker logout} does: erases the registry's credentials from its helper or
   * {@code config.json}.
   *
   * @param host the registry, written as for {@link #login}
   * @return false if nothing was stored for it
   * @throws IOException if {@code config.json} or the helper fails
   */
  public boolean logout(String host) throws IOException {
    tokens.clear();
    return config.erase(registryName(host));
  }

  /** {@code host[:port]} of what a user typed: {@code https://index.docker.io/v1/} is docker.io. */
  static String registryName(String host) throws RegistryException {
    if (host == null || host.isBlank()) {
      return Reference.DEFAULT_DOMAIN;
    }
    String h = host.trim();
    h = h.replaceFirst("^[a-zA-Z]+://", "");
    int slash = h.indexOf('/');
    if (slash >= 0) {
      h = h.substring(0, slash);
    }
    if (h.isEmpty() || !h.matches("[A-Za-z0-9.\\-\\[\\]:]+")) {
      throw new RegistryException("\"" + host + "\" is not a registry host[:port]");
    }
    if (h.equals("index.docker.io") || h.equals(Tuning.DEFAULT.dockerHubHost())) {
      return Reference.DEFAULT_DOMAIN;
    }
    return h;
  }

  @Override
  public void close() {
    transport.close();
    endpoints.clear();
    tokens.clear();
  }
}
