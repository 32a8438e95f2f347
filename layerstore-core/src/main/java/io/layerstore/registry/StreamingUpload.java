package io.layerstore.registry;

import io.layerstore.Digest;
import io.layerstore.RegistryException;
import io.layerstore.format.Descriptor;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.security.MessageDigest;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One attempt at uploading a blob as it is written, its digest known only at the end: {@code POST},
 * then a {@code PATCH} for each chunk as soon as the writer has filled it, then {@code PUT
 * ?digest=} with the last bytes. So the writer (a compressor) and the upload overlap, and no copy
 * of the blob is ever kept: at most two chunks are in memory, one being sent while the next fills.
 *
 * <p>A chunk is {@value #CHUNK} bytes (smaller when the client's tuning says so), raised to the
 * registry's {@code OCI-Chunk-Min-Length}: small enough that sending overlaps writing and memory
 * stays bounded with several uploads at once, large enough that the per-request cost is small.
 */
final class StreamingUpload {

  /** The chunk size unless the registry asks for more. */
  private static final long CHUNK = 8L << 20;

  /** A chunk this client refuses to hold in memory, however a registry asks for it. */
  private static final long MAX_CHUNK = 512L << 20;

  private final RemoteRepository repo;
  private final String what;
  private final String mediaType;
  private final BlobWriter writer;

  /** The registry's failure, if the attempt failed on a request (only those may be retried). */
  private IOException registryFailure;

  StreamingUpload(RemoteRepository repo, String what, String mediaType, BlobWriter writer) {
    this.repo = repo;
    this.what = what;
    this.mediaType = mediaType;
    this.writer = writer;
  }

  /** Whether the attempt failed talking to the registry, rather than writing the blob. */
  boolean registryFailed() {
    return registryFailure != null;
  }

  Descriptor run() throws IOException {
    UploadRequests requests = new UploadRequests(repo, what, () -> null);
    UploadRequests.Opened opened = registry(requests::open);
    long chunk = Math.max(Math.min(repo.tuning().chunk(), CHUNK), opened.minChunk());
    if (chunk > MAX_CHUNK) {
      throw new RegistryException(
          what + ": the registry asks for chunks of " + chunk + " bytes, more than " + MAX_CHUNK);
    }
    ExecutorService sender =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "layerstore-upload");
              t.setDaemon(true);
              return t;
            });
    Chunks out = new Chunks(requests, opened.location(), (int) chunk, sender);
    try {
      writer.writeTo(out);
      return out.finish();
    } catch (IOException | RuntimeException e) {
      // The registry forgets an abandoned session by itself; cancelling frees it at once.
      repo.cancelUpload(what, out.settle());
      if (registryFailure != null) {
        throw registryFailure;
      }
      throw e;
    } finally {
      sender.shutdownNow();
    }
  }

  /** A request to the registry, its failure remembered as the registry's. */
  private <T> T registry(Retry.Attempt<T> request) throws IOException {
    try {
      return request.run();
    } catch (IOException e) {
      if (registryFailure == null) {
        registryFailure = e;
      }
      throw e;
    }
  }

  /** The blob's bytes, hashed and counted, sent a chunk at a time. */
  private final class Chunks extends OutputStream {
    private final UploadRequests requests;
    private final ExecutorService sender;
    private final MessageDigest sha = Digest.newSha256();
    private byte[] filling;
    private byte[] spare;
    private int filled;
    private long total;
    private long sent;
    private URI location;
    private Future<URI> inFlight;

    Chunks(UploadRequests requests, URI location, int chunk, ExecutorService sender) {
      this.requests = requests;
      this.location = location;
      this.filling = new byte[chunk];
      this.sender = sender;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      sha.update(b, off, len);
      total += len;
      while (len > 0) {
        if (filled == filling.length) {
          // Sent only once more bytes come: the last bytes go with the closing PUT.
          send();
        }
        int n = Math.min(len, filling.length - filled);
        System.arraycopy(b, off, filling, filled, n);
        filled += n;
        off += n;
        len -= n;
      }
    }

    private void send() throws IOException {
      awaitInFlight();
      byte[] chunk = filling;
      long offset = sent;
      URI at = location;
      inFlight =
          sender.submit(
              () ->
                  registry(
                      () ->
                          requests.patch(
                              at,
                              HttpRequest.BodyPublishers.ofByteArray(chunk),
                              offset,
                              chunk.length)));
      sent += chunk.length;
      filling = spare != null ? spare : new byte[chunk.length];
      spare = chunk;
      filled = 0;
    }

    /** Waits for the chunk being sent; the session's next location is then known. */
    private void awaitInFlight() throws IOException {
      if (inFlight == null) {
        return;
      }
      try {
        location = inFlight.get();
        inFlight = null;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        inFlight.cancel(true);
        throw new InterruptedIOException(what + ": interrupted while uploading");
      } catch (ExecutionException e) {
        throw e.getCause() instanceof IOException io
            ? io
            : new IOException(what + ": uploading a chunk failed", e.getCause());
      }
    }

    /**
     * The session's newest location, once the chunk being sent (if any) got its answer, whatever it
     * was: where a failed upload is cancelled.
     */
    URI settle() {
      try {
        awaitInFlight();
      } catch (IOException e) {
        // the upload failed already; its session is cancelled where it last was
      }
      return location;
    }

    /** Sends the last bytes and closes the session; the blob's descriptor. */
    Descriptor finish() throws IOException {
      awaitInFlight();
      Digest digest = Digest.fromBytes(sha.digest());
      int last = filled;
      byte[] rest = filling;
      registry(
          () -> {
            requests.finish(
                location,
                digest,
                last == 0 ? null : HttpRequest.BodyPublishers.ofByteArray(rest, 0, last),
                last);
            return null;
          });
      return Descriptor.of(mediaType, digest, total);
    }

    /** Does nothing: the upload ends with {@link #finish()}, once the writer returned. */
    @Override
    public void close() {}
  }
}
