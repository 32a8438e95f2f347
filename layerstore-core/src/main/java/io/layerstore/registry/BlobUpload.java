package io.layerstore.registry;

import io.layerstore.Digest;
import io.layerstore.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One attempt at uploading one blob (distribution's {@code docs/spec/api.md}, "Pushing a layer"):
 * {@code POST} opens an upload session; a small blob goes up in one {@code PUT ?digest=}; a larger
 * one in {@code PATCH} chunks with {@code Content-Range} (no smaller than the registry's {@code
 * OCI-Chunk-Min-Length}), each answered with the session's next {@code Location}, and a closing
 * empty {@code PUT ?digest=}. The content is streamed, never held in memory; its length is checked
 * against the size given, and the registry checks the digest.
 */
final class BlobUpload {

  /**
   * The slowest upload rate waited for. The JDK's request timeout runs until the answer's headers,
   * which come after the whole body, so a request carrying {@code n} bytes gets the read timeout
   * plus {@code n} at this rate: a dead registry is still noticed, a slow link still finishes.
   */
  private static final long MIN_BYTES_PER_SECOND = 64 << 10;

  private final RemoteRepository repo;
  private final String what;
  private final Digest digest;
  private final long size;
  private final BlobContent content;

  /** The content being sent; its own error, if any, is the upload's error. */
  private SizedStream sized;

  BlobUpload(RemoteRepository repo, String what, Digest digest, long size, BlobContent content) {
    this.repo = repo;
    this.what = what;
    this.digest = digest;
    this.size = size;
    this.content = content;
  }

  void run() throws IOException {
    if (size < 0) {
      throw new RegistryException(what + ": negative blob size " + size);
    }
    URI start = repo.uploadsUri();
    HttpResponse<InputStream> opened =
        repo.exchangeWithOrigin(
            what,
            auth -> repo.request(start, auth).POST(HttpRequest.BodyPublishers.noBody()).build());
    if (opened.statusCode() != 202) {
      throw repo.unexpectedAnswer(what + ": opening an upload", opened);
    }
    Answers.errorBody(opened);
    URI location = RemoteRepository.location(what, opened, start);
    long minChunk = opened.headers().firstValueAsLong("OCI-Chunk-Min-Length").orElse(0);
    try (SizedStream in = new SizedStream(content.open(), size, what)) {
      sized = in;
      if (size <= repo.tuning().monolithicMax()) {
        finish(location, in, size);
        return;
      }
      long chunk = Math.max(repo.tuning().chunk(), minChunk);
      long sent = 0;
      while (sent < size) {
        long n = Math.min(chunk, size - sent);
        location = patch(location, in, sent, n);
        sent += n;
      }
      finish(location, null, 0);
    }
  }

  private URI patch(URI location, InputStream in, long offset, long n) throws IOException {
    String range = offset + "-" + (offset + n - 1);
    HttpResponse<InputStream> r =
        send(
            auth ->
                repo.request(location, auth)
                    .timeout(timeout(n))
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", range)
                    .method("PATCH", body(in, n))
                    .build());
    if (r.statusCode() != 202) {
      throw repo.unexpectedAnswer(what + ": uploading bytes " + range, r);
    }
    Answers.errorBody(r);
    Optional<String> ack = r.headers().firstValue("Range");
    String expected = "0-" + (offset + n - 1);
    if (ack.isPresent() && !ack.get().equals(expected) && !ack.get().equals("bytes=" + expected)) {
      throw new RegistryException(
          what
              + ": after bytes "
              + range
              + " the registry holds "
              + ack.get()
              + ", not "
              + expected);
    }
    return RemoteRepository.location(what, r, location);
  }

  private void finish(URI location, InputStream in, long n) throws IOException {
    String q = "digest=" + RemoteRepository.enc(digest.toString());
    URI put = URI.create(location + (location.getRawQuery() == null ? "?" : "&") + q);
    HttpResponse<InputStream> r =
        send(
            auth -> {
              HttpRequest.Builder b = repo.request(put, auth);
              if (in == null) {
                return b.PUT(HttpRequest.BodyPublishers.noBody()).build();
              }
              return b.timeout(timeout(n))
                  .header("Content-Type", "application/octet-stream")
                  .PUT(body(in, n))
                  .build();
            });
    if (r.statusCode() != 201 && r.statusCode() != 204) {
      throw repo.unexpectedAnswer(what + ": completing the upload", r);
    }
    Answers.errorBody(r);
    Optional<String> ack = r.headers().firstValue("Docker-Content-Digest");
    if (ack.isPresent() && !ack.get().equals(digest.toString())) {
      throw new RegistryException(
          what + ": the registry stored the blob as " + ack.get() + ", not " + digest);
    }
  }

  private Duration timeout(long n) {
    return repo.readTimeout().plusMillis(n * 1000 / MIN_BYTES_PER_SECOND);
  }

  /**
   * Sends a request whose body comes from the content. The JDK reads the body on its own threads
   * and wraps what our stream throws; the content's own error (too short) is thrown as itself,
   * since it is the cause and retrying cannot help.
   */
  private HttpResponse<InputStream> send(RemoteRepository.RequestMaker maker) throws IOException {
    try {
      return repo.exchangeWithOrigin(what, maker);
    } catch (IOException e) {
      if (sized != null && sized.failure != null) {
        throw sized.failure;
      }
      throw e;
    }
  }

  /**
   * The next {@code n} bytes of {@code in} as a body, without closing {@code in}. The JDK reads the
   * publisher's stream on its own threads, once per request.
   */
  private HttpRequest.BodyPublisher body(InputStream in, long n) {
    AtomicReference<InputStream> window = new AtomicReference<>();
    return HttpRequest.BodyPublishers.fromPublisher(
        HttpRequest.BodyPublishers.ofInputStream(
            () -> window.updateAndGet(w -> w != null ? w : new Window(in, n))),
        n);
  }

  /** At most {@code n} bytes of a stream that stays open for the next window. */
  private static final class Window extends InputStream {
    private final InputStream in;
    private long left;

    Window(InputStream in, long n) {
      this.in = in;
      this.left = n;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left == 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }

    @Override
    public void close() {
      // the next window goes on reading the same stream
    }
  }

  /** The content, failing clearly when it is not {@code size} bytes long. */
  private static final class SizedStream extends java.io.FilterInputStream {
    private final long size;
    private final String what;
    private long count;
    private RegistryException failure;

    SizedStream(InputStream in, long size, String what) {
      super(in);
      this.size = size;
      this.what = what;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n < 0 && count < size) {
        failure =
            new RegistryException(
                what + ": the content to upload ended after " + count + " of " + size + " bytes");
        throw failure;
      }
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
