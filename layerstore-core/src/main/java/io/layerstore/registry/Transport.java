package io.layerstore.registry;

import io.layerstore.RegistryException;
import io.layerstore.RegistryOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpTimeoutException;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Sends requests: one JDK {@link HttpClient} per scheme and registry host (each TLS one with its
 * own context from {@code certs.d}; HTTP/1.1, since registries and object stores serve blobs best
 * on parallel connections), the proxy rules of {@link EnvironmentProxies}, bodies guarded by {@link
 * StallGuard}, and redirects followed here rather than by the JDK, so that the credentials of the
 * registry are not sent on to object storage on another host and a loop ends after {@link
 * #MAX_REDIRECTS} hops with an error saying so.
 */
final class Transport implements AutoCloseable {

  /** Redirects followed for one request before it is called a loop. */
  static final int MAX_REDIRECTS = 10;

  private final RegistryOptions options;
  private final EnvironmentProxies proxies;
  private final StallGuard guard;
  private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

  Transport(RegistryOptions options) {
    this.options = options;
    this.proxies = new EnvironmentProxies(options.proxyEnvironment());
    this.guard = new StallGuard(options.readTimeout());
  }

  RegistryOptions options() {
    return options;
  }

  /** Whether {@code host} (without port) is a loopback name or address, without asking DNS. */
  static boolean isLoopback(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost") || h.endsWith(".localhost")) {
      return true;
    }
    // Only literal addresses are looked at: a name that resolves to 127.0.0.1 is not trusted
    // with plain HTTP, since DNS is exactly what an attacker would bend.
    if (h.matches("[0-9.]+") || (h.contains(":") && h.matches("[0-9a-f:.]+"))) {
      try {
        return InetAddress.getByName(h).isLoopbackAddress();
      } catch (IOException e) {
        return false;
      }
    }
    return false;
  }

  /** Whether {@code hostPort} may be spoken to in plain HTTP: loopback, or declared insecure. */
  boolean mayUsePlainHttp(String hostPort) {
    String host = hostOf(hostPort);
    if (isLoopback(host) || options.insecureRegistries().contains(hostPort)) {
      return true;
    }
    for (String entry : options.insecureRegistries()) {
      if (entry.contains("/") && inRange(host, entry)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code host}, an IP literal, is in {@code cidr}; a name never is (no DNS). */
  static boolean inRange(String host, String cidr) {
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    if (!h.matches("[0-9a-fA-F:.]+") || !(h.contains(".") || h.contains(":"))) {
      return false;
    }
    try {
      byte[] address = InetAddress.getByName(h).getAddress();
      int slash = cidr.indexOf('/');
      byte[] network = InetAddress.getByName(cidr.substring(0, slash)).getAddress();
      int bits = Integer.parseInt(cidr.substring(slash + 1));
      if (address.length != network.length || bits > address.length * 8) {
        return false;
      }
      for (int i = 0; i < bits; i++) {
        int mask = 0x80 >> (i % 8);
        if ((address[i / 8] & mask) != (network[i / 8] & mask)) {
          return false;
        }
      }
      return true;
    } catch (IOException | NumberFormatException e) {
      return false;
    }
  }

  static String hostOf(String hostPort) {
    if (hostPort.startsWith("[")) {
      return hostPort.substring(0, hostPort.indexOf(']') + 1);
    }
    int colon = hostPort.lastIndexOf(':');
    return colon < 0 ? hostPort : hostPort.substring(0, colon);
  }

  /** {@code host[:port]} of {@code uri} as certs.d names it: the port only when the URI has one. */
  static String authority(URI uri) {
    return uri.getPort() < 0 ? uri.getHost() : uri.getHost() + ":" + uri.getPort();
  }

  /**
   * The client for {@code uri}'s scheme and authority. One for {@code https}, with the TLS context
   * of the host's {@code certs.d}; one for plain {@code http}, which never makes a TLS connection
   * and so gets an SSL context that is never initialized (with explicit parameters, so the JDK does
   * not ask it for its defaults): building the trust store's context costs about 70 ms in a fresh
   * JVM, which a loopback registry's ping would otherwise wait for.
   */
  private HttpClient client(URI uri) throws IOException {
    boolean tls = "https".equals(uri.getScheme());
    String authority = authority(uri);
    try {
      return clients.computeIfAbsent(
          uri.getScheme() + "://" + authority,
          key -> {
            try {
              HttpClient.Builder b =
                  HttpClient.newBuilder()
                      .version(HttpClient.Version.HTTP_1_1)
                      .connectTimeout(options.connectTimeout())
                      .followRedirects(HttpClient.Redirect.NEVER)
                      .proxy(proxies);
              if (tls) {
                b.sslContext(CertsDir.context(options.certsDirs(), authority));
              } else {
                b.sslContext(SSLContext.getInstance("TLS")).sslParameters(new SSLParameters());
              }
              return b.build();
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            } catch (NoSuchAlgorithmException e) {
              throw new UncheckedIOException(new IOException("no TLS in this JVM", e));
            }
          });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /** Makes the client for {@code uri}'s scheme and host now (a TLS one reads its trust store). */
  void prepare(URI uri) throws IOException {
    client(uri);
  }

  /**
   * One exchange, no redirects followed. The answer's body is guarded against stalls; the caller
   * closes it.
   */
  HttpResponse<InputStream> send(HttpRequest request) throws IOException {
    if (!"https".equals(request.uri().getScheme()) && !mayUsePlainHttp(authority(request.uri()))) {
      throw new RegistryException(
          "refusing plain HTTP to "
              + authority(request.uri())
              + ": only loopback registries and those declared insecure may be reached without"
              + " TLS");
    }
    String what = request.method() + " " + request.uri();
    HttpResponse.BodyHandler<InputStream> handler =
        info ->
            BodySubscribers.mapping(BodySubscribers.ofInputStream(), in -> guard.guard(in, what));
    try {
      return client(request.uri()).send(request, handler);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      InterruptedIOException ie = new InterruptedIOException("interrupted: " + what);
      ie.initCause(e);
      throw ie;
    }
  }

  /**
   * {@link #send(HttpRequest)}, its failures named with {@code what} (the registry, repository and
   * digest) and their kinds kept: a timeout stays an {@code HttpTimeoutException}, an interrupt is
   * rethrown as it is, a TLS handshake failure keeps its cause (so {@link Retry} does not retry it)
   * and says where the CA goes.
   */
  HttpResponse<InputStream> send(HttpRequest request, String what) throws IOException {
    try {
      return send(request);
    } catch (RegistryException e) {
      throw e;
    } catch (HttpTimeoutException e) {
      HttpTimeoutException named = new HttpTimeoutException(what + ": " + e.getMessage());
      named.initCause(e);
      throw named;
    } catch (InterruptedIOException e) {
      if (!(e instanceof SocketTimeoutException)) {
        throw e; // the caller's interrupt
      }
      throw new IOException(
          what + ": " + request.method() + " " + request.uri() + ": " + describe(e), e);
    } catch (SSLHandshakeException | SSLPeerUnverifiedException e) {
      throw new IOException(
          what
              + ": TLS handshake with "
              + authority(request.uri())
              + " failed (if its certificate is signed by a private CA, put the CA in"
              + " certs.d/"
              + authority(request.uri())
              + "/ca.crt): "
              + e.getMessage(),
          e);
    } catch (IOException e) {
      throw new IOException(
          what + ": " + request.method() + " " + request.uri() + ": " + describe(e), e);
    }
  }

  /**
   * What went wrong, in words: the JDK's connection errors often have no message at all (a refused
   * connection is a bare {@code java.net.ConnectException}), so the kind is said for them.
   */
  static String describe(IOException e) {
    String m = e.getMessage();
    if (e instanceof java.net.ConnectException) {
      return m == null || m.isEmpty() ? "connection refused" : m;
    }
    if (e instanceof java.net.UnknownHostException) {
      return "no such host" + (m == null ? "" : " " + m);
    }
    if (m == null || m.isEmpty()) {
      return e.getClass().getSimpleName();
    }
    return e instanceof java.net.SocketException ? m : e.getClass().getSimpleName() + ": " + m;
  }

  /**
   * {@link #send(HttpRequest, String)} following redirects of a {@code GET} or {@code HEAD}. {@code
   * Authorization} goes along only while the host stays the same.
   */
  HttpResponse<InputStream> follow(HttpRequest request, String where) throws IOException {
    HttpRequest current = request;
    for (int hops = 0; ; hops++) {
      HttpResponse<InputStream> r = send(current, where);
      Optional<String> location = r.headers().firstValue("Location");
      if (!isRedirect(r.statusCode()) || location.isEmpty()) {
        return r;
      }
      r.body().close();
      if (hops == MAX_REDIRECTS) {
        throw new RegistryException(
            where
                + ": more than "
                + MAX_REDIRECTS
                + " redirects (a redirect loop?), the last to "
                + location.get());
      }
      URI next = current.uri().resolve(location.get());
      boolean sameHost = authority(next).equals(authority(current.uri()));
      current =
          HttpRequest.newBuilder(
                  current, (name, value) -> sameHost || !name.equalsIgnoreCase("Authorization"))
              .uri(next)
              .build();
    }
  }

  static boolean isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
  }

  @Override
  public void close() {
    guard.close();
    clients.clear();
  }
}
