package io.layerstore.registry;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A hand-made registry on 127.0.0.1 that misbehaves as a test tells it to: each path answers with
 * the handler the test gave, {@code /v2/} answers 200 unless told otherwise, anything else 404. It
 * speaks just enough HTTP/1.1 over a raw {@link ServerSocket} (one request per connection, {@code
 * Connection: close}) for a handler to lie, trickle, stall or hang up mid-body, which the real
 * registry cannot be made to do. It records every request ({@code METHOD uri Range Authorization}),
 * so a test can check what the client asked.
 */
final class FakeRegistry implements AutoCloseable {

  /** What a path answers. */
  @FunctionalInterface
  interface Handler {
    void handle(Exchange ex) throws IOException;
  }

  /** One request and its answer, with the accessors of the JDK's {@code HttpExchange}. */
  static final class Exchange {
    private final String method;
    private final URI uri;
    private final Headers requestHeaders;
    private final byte[] body;
    private final Headers responseHeaders = new Headers();
    private final OutputStream out;
    private boolean sent;

    private Exchange(String method, URI uri, Headers headers, byte[] body, OutputStream out) {
      this.method = method;
      this.uri = uri;
      this.requestHeaders = headers;
      this.body = body;
      this.out = out;
    }

    String getRequestMethod() {
      return method;
    }

    URI getRequestURI() {
      return uri;
    }

    Headers getRequestHeaders() {
      return requestHeaders;
    }

    InputStream getRequestBody() {
      return new ByteArrayInputStream(body);
    }

    Headers getResponseHeaders() {
      return responseHeaders;
    }

    /** As the JDK's: {@code length} -1 for no body, 0 for a body of unknown length (to close). */
    void sendResponseHeaders(int status, long length) throws IOException {
      StringBuilder sb = new StringBuilder("HTTP/1.1 " + status + " X\r\n");
      for (Map.Entry<String, String> h : responseHeaders.map.entrySet()) {
        sb.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n");
      }
      if (length != 0) {
        sb.append("Content-Length: ").append(Math.max(length, 0)).append("\r\n");
      }
      sb.append("Connection: close\r\n\r\n");
      out.write(sb.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      sent = true;
    }

    OutputStream getResponseBody() {
      return out;
    }
  }

  /** Header names compared without case. */
  static final class Headers {
    private final Map<String, String> map = new LinkedHashMap<>();

    String getFirst(String name) {
      for (Map.Entry<String, String> e : map.entrySet()) {
        if (e.getKey().equalsIgnoreCase(name)) {
          return e.getValue();
        }
      }
      return null;
    }

    void set(String name, String value) {
      map.put(name, value);
    }
  }

  private final ServerSocket server;
  private final ExecutorService pool = Executors.newCachedThreadPool();
  private final Map<String, Handler> routes = new ConcurrentHashMap<>();
  private final List<String> log = Collections.synchronizedList(new ArrayList<>());

  FakeRegistry() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    routes.put("/v2/", ex -> respond(ex, 200, "application/json", "{}"));
    pool.execute(this::accept);
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        pool.execute(() -> serve(s));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      InputStream in = new BufferedInputStream(s.getInputStream());
      String requestLine = line(in);
      String[] parts = requestLine.split(" ");
      if (parts.length < 3) {
        return; // not HTTP (a TLS hello): hang up, as a plain server would fail it
      }
      Headers headers = new Headers();
      for (String h = line(in); !h.isEmpty(); h = line(in)) {
        int colon = h.indexOf(':');
        headers.set(h.substring(0, colon).trim(), h.substring(colon + 1).trim());
      }
      String length = headers.getFirst("Content-Length");
      byte[] body = length == null ? new byte[0] : in.readNBytes(Integer.parseInt(length));
      URI uri = URI.create(parts[1]);
      log.add(
          parts[0]
              + " "
              + parts[1]
              + " "
              + headers.getFirst("Range")
              + " "
              + headers.getFirst("Authorization"));
      OutputStream out = s.getOutputStream();
      Exchange ex = new Exchange(parts[0], uri, headers, body, out);
      Handler h = routes.get(uri.getPath());
      if (h == null) {
        respond(ex, 404, "application/json", "{\"errors\":[{\"code\":\"NOT_FOUND\"}]}");
      } else {
        h.handle(ex);
      }
      if (!ex.sent) {
        ex.sendResponseHeaders(500, -1);
      }
      out.flush();
    } catch (IOException | RuntimeException e) {
      // the client went away, or the handler hung up on purpose
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int c = in.read(); c >= 0 && c != '\n'; c = in.read()) {
      if (c != '\r') {
        b.write(c);
      }
      if (b.size() > 65536) {
        throw new IOException("line too long");
      }
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  String hostPort() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  int port() {
    return server.getLocalPort();
  }

  FakeRegistry on(String path, Handler h) {
    routes.put(path, h);
    return this;
  }

  List<String> requests() {
    synchronized (log) {
      return List.copyOf(log);
    }
  }

  long count(String prefix) {
    return requests().stream().filter(r -> r.startsWith(prefix)).count();
  }

  static void respond(Exchange ex, int status, String type, byte[] body) throws IOException {
    if (type != null) {
      ex.getResponseHeaders().set("Content-Type", type);
    }
    boolean head = ex.getRequestMethod().toUpperCase(Locale.ROOT).equals("HEAD");
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (!head) {
      ex.getResponseBody().write(body);
    }
  }

  static void respond(Exchange ex, int status, String type, String body) throws IOException {
    respond(ex, status, type, body.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public void close() throws IOException {
    server.close();
    pool.shutdownNow();
  }
}
