package io.layerstore.registry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Chooses the proxy of a request: the Java system properties ({@code https.proxyHost}, {@code
 * http.proxyHost}, {@code http.nonProxyHosts}) when they name one, else the environment's {@code
 * HTTPS_PROXY} / {@code HTTP_PROXY} / {@code ALL_PROXY} and {@code NO_PROXY} with Go's rules
 * (docker's): loopback hosts are never proxied, {@code NO_PROXY} entries match a host, a domain and
 * its subdomains ({@code example.com} and {@code .example.com} alike), {@code host:port}, or
 * everything ({@code *}).
 */
final class EnvironmentProxies extends ProxySelector {

  private final Map<String, String> env;
  private final ProxySelector system;

  EnvironmentProxies(Map<String, String> env) {
    this.env = env;
    this.system = ProxySelector.getDefault();
  }

  @Override
  public List<Proxy> select(URI uri) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (System.getProperty(scheme + ".proxyHost") != null && system != null) {
      return system.select(uri);
    }
    String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    if (Transport.isLoopback(host) || excluded(host, port(uri))) {
      return List.of(Proxy.NO_PROXY);
    }
    String proxy = env.get(scheme.equals("https") ? "HTTPS_PROXY" : "HTTP_PROXY");
    if (proxy == null) {
      proxy = env.get("ALL_PROXY");
    }
    if (proxy == null) {
      return List.of(Proxy.NO_PROXY);
    }
    URI p = URI.create(proxy.contains("://") ? proxy : "http://" + proxy);
    int port = p.getPort() > 0 ? p.getPort() : "https".equals(p.getScheme()) ? 443 : 80;
    return List.of(
        new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(p.getHost(), port)));
  }

  private static int port(URI uri) {
    return uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
  }

  private boolean excluded(String host, int port) {
    String noProxy = env.get("NO_PROXY");
    if (noProxy == null) {
      return false;
    }
    for (String raw : noProxy.split(",")) {
      String entry = raw.trim().toLowerCase(Locale.ROOT);
      if (entry.isEmpty()) {
        continue;
      }
      if (entry.equals("*")) {
        return true;
      }
      int colon = entry.lastIndexOf(':');
      if (colon > 0 && entry.indexOf(':') == colon && entry.substring(colon + 1).matches("\\d+")) {
        if (Integer.parseInt(entry.substring(colon + 1)) != port) {
          continue;
        }
        entry = entry.substring(0, colon);
      }
      String domain = entry.startsWith(".") ? entry.substring(1) : entry;
      if (host.equals(domain) || host.endsWith("." + domain)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
    // Nothing to learn: the request fails and is retried as a whole.
  }
}
