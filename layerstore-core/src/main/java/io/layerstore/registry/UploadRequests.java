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
import java.util.function.Supplier;

/**
 * The requests of one upload session (distribution's {@code docs/spec/api.md}, "Pushing a layer"),
 * shared by the upload of a blob whose digest is known first ({@link BlobUpload}) and of one whose
 * digest is known only at its end ({@link StreamingUpload}): {@code POST} opens the session, each
 * {@code PATCH} sends the next chunk and is answered with the session's next {@code Location}, and
 * {@code PUT ?digest=} (with the last bytes or none) closes it.
 */
final class UploadRequests {

  /**
   * The slowest upload rate waited for. The JDK's request timeout runs until the answer's headers,
   * which come after the whole body, so a request carrying {@code n} bytes gets the read timeout
   * plus {@code n} at this rate: a dead registry is still noticed, a slow link still finishes.
   */
  private static final long MIN_BYTES_PER_SECOND = 64 << 10;

  /** An open upload session: where its next request goes, and the smallest chunk it takes. */
  record Opened(URI location, long minChunk) {}

  private final RemoteRepository repo;
  private final String what;
  private final Supplier<IOException> contentFailure;

  /**
   * @param contentFailure the content's own failure, if any, thrown instead of the JDK's wrapping
   *     of it (the JDK reads a body on its own threads)
   */
  UploadRequests(RemoteRepository repo, String what, Supplier<IOException> contentFailure) {
    this.repo = repo;
    this.what = what;
    this.contentFailure = contentFailure;
  }

  Opened open() throws IOException {
    URI start = repo.uploadsUri();
    HttpResponse<InputStream> opened =
        repo.exchangeWithOrigin(
            what,
            auth -> repo.request(start, auth).POST(HttpRequest.BodyPublishers.noBody()).build());
    if (opened.statusCode() != 202) {
      throw repo.unexpectedAnswer(what + ": opening an upload", opened);
    }
    Answers.errorBody(opened);
    return new Opened(
        RemoteRepository.location(what, opened, start),
        opened.headers().firstValueAsLong("OCI-Chunk-Min-Length").orElse(0));
  }

  /** Sends bytes {@code offset} to {@code offset + n - 1}; the session's next location. */
  URI patch(URI location, HttpRequest.BodyPublisher body, long offset, long n) throws IOException {
    String range = offset + "-" + (offset + n - 1);
    HttpResponse<InputStream> r =
        send(
            auth ->
                repo.request(location, auth)
                    .timeout(timeout(n))
                    .header("Content-Type", "application/octet-stream")
                    .header("Content-Range", range)
                    .method("PATCH", body)
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

  /**
   * Closes the session as {@code digest}, with the last {@code n} bytes in {@code body}, if any.
   */
  void finish(URI location, Digest digest, HttpRequest.BodyPublisher body, long n)
      throws IOException {
    String q = "digest=" + RemoteRepository.enc(digest.toString());
    URI put = URI.create(location + (location.getRawQuery() == null ? "?" : "&") + q);
    HttpResponse<InputStream> r =
        send(
            auth -> {
              HttpRequest.Builder b = repo.request(put, auth);
              if (body == null) {
                return b.PUT(HttpRequest.BodyPublishers.noBody()).build();
              }
              return b.timeout(timeout(n))
                  .header("Content-Type", "application/octet-stream")
                  .PUT(body)
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

  private HttpResponse<InputStream> send(RemoteRepository.RequestMaker maker) throws IOException {
    try {
      return repo.exchangeWithOrigin(what, maker);
    } catch (IOException e) {
      IOException own = contentFailure.get();
      throw own != null ? own : e;
    }
  }
}
