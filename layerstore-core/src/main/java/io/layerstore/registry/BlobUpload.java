package io.layerstore.registry;

import io.layerstore.Digest;
import io.layerstore.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
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
    UploadRequests requests =
        new UploadRequests(repo, what, () -> sized == null ? null : sized.failure);
    UploadRequests.Opened opened = requests.open();
    URI location = opened.location();
    try (SizedStream in = new SizedStream(content.open(), size, what)) {
      sized = in;
      if (size <= repo.tuning().monolithicMax()) {
        requests.finish(location, digest, body(in, size), size);
        return;
      }
      long chunk = Math.max(repo.tuning().chunk(), opened.minChunk());
      long sent = 0;
      while (sent < size) {
        long n = Math.min(chunk, size - sent);
        location = requests.patch(location, body(in, n), sent, n);
        sent += n;
      }
      requests.finish(location, digest, null, 0);
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
