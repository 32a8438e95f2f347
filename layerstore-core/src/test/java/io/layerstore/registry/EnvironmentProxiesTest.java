package io.layerstore.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentProxiesTest {

  private static Proxy http(String host, int port) {
    return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(host, port));
  }

  @Test
  void followsGosRulesForTheProxyVariables() {
    EnvironmentProxies p =
        new EnvironmentProxies(
            Map.of(
                "HTTPS_PROXY", "http://secure-proxy:3128",
                "HTTP_PROXY", "plain-proxy:8080",
                "NO_PROXY", "internal.lan, .corp.example,reg.other:5000"));
    assertEquals(
        List.of(http("secure-proxy", 3128)),
        p.select(URI.create("https://registry-1.docker.io/v2/")));
    assertEquals(
        List.of(http("plain-proxy", 8080)), p.select(URI.create("http://mirror.example/v2/")));
    assertEquals(List.of(Proxy.NO_PROXY), p.select(URI.create("https://internal.lan/v2/")));
    assertEquals(List.of(Proxy.NO_PROXY), p.select(URI.create("https://a.internal.lan/v2/")));
    assertEquals(List.of(Proxy.NO_PROXY), p.select(URI.create("https://corp.example/v2/")));
    assertEquals(List.of(Proxy.NO_PROXY), p.select(URI.create("https://x.corp.example/v2/")));
    assertEquals(List.of(Proxy.NO_PROXY), p.select(URI.create("https://reg.other:5000/v2/")));
    assertEquals(
        List.of(http("secure-proxy", 3128)), p.select(URI.create("https://reg.other:5001/v2/")));
    assertEquals(List.of(Proxy.NO_PROXY), p.select(URI.create("http://127.0.0.1:5000/v2/")));
    assertEquals(List.of(Proxy.NO_PROXY), p.select(URI.create("http://localhost:5000/v2/")));
  }

  @Test
  void noVariablesMeansDirectAndAStarExcludesAll() {
    assertEquals(
        List.of(Proxy.NO_PROXY),
        new EnvironmentProxies(Map.of()).select(URI.create("https://example.com/")));
    assertEquals(
        List.of(Proxy.NO_PROXY),
        new EnvironmentProxies(Map.of("ALL_PROXY", "http://p:1", "NO_PROXY", "*"))
            .select(URI.create("https://example.com/")));
    assertEquals(
        List.of(http("p", 1)),
        new EnvironmentProxies(Map.of("ALL_PROXY", "http://p:1"))
            .select(URI.create("https://example.com/")));
  }
}
