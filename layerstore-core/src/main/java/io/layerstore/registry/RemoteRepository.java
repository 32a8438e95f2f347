package io.layerstore.registry;

import io.layerstore.Digest;
import io.layerstore.DigestMismatchException;
import io.layerstore.NotFoundException;
import io.layerstore.RegistryException;
import io.layerstore.format.Descriptor;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one {@link RepositorySession}: the protocol of distribution's {@code docs/spec/api.md} and
 * the OCI distribution spec over {@link Transport}, each request authorized by the {@link
 * Authorizer} of its endpoint and retried by {@link Retry}. Pulls go to the mirrors first (Docker
 * Hub only) and fall back to the origin on any failure, a 404 included; pushes go to the origin.
 */
final class RemoteRepository implements RepositorySession {

  private static final Logger LOG = LoggerFactory.getLogger(RemoteRepository.class);

  private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
  private static final Pattern CONTENT_RANGE = Pattern.compile("bytes (\\d+)-(\\d+)/(\\d+|\\*)");

  /** An endpoint and the authorizer of this session's requests to it. */
  record Target(Endpoint endpoint, Authorizer auth) {}

  private final Transport transport;
  private final Retry retry;
  private final Tuning tuning;
  private final String registry;
  private final String repository;
  private final List<Target> pullTargets;
  private final Target origin;
  private final List<String> scopes;

  RemoteRepository(
      Transport transport,
      Retry retry,
      Tuning tuning,
      String registry,
      String repository,
      List<Target> pullTargets,
      boolean push) {
    this.transport = transport;
    this.retry = retry;
    this.tuning = tuning;
    this.registry = registry;
    this.repository = repository;
    this.pullTargets = List.copyOf(pullTargets);
    this.origin = pullTargets.get(pullTargets.size() - 1);
    this.scopes = List.of("repository:" + repository + ":" + (push ? "pull,push" : "pull"));
  }

  @Override
  public String registry() {
    return registry;
  }

  @Override
  public String repository() {
    return repository;
  }

  /** "registry R, repository P" for messages, with the endpoint when it is a mirror. */
  private String where(Target t) {
    String s = "registry " + registry + ", repository " + repository;
    return t == origin ? s : s + " (mirror " + t.endpoint().name() + ")";
  }

  private String where(Target t, Object digestOrTag) {
    return where(t) + (digestOrTag instanceof Digest ? ", digest " : ", manifest ") + digestOrTag;
  }

  private String path(String kind, String ref) {
    return "/v2/" + repository + "/" + kind + "/" + ref;
  }

  // ---- requests ---------------------------------------------------------------------------

  /** Builds a request from the {@code Authorization} header (or none). */
  @FunctionalInterface
  interface RequestMaker {
    HttpRequest make(Optional<String> authorization);
  }

  /**
   * One exchange with {@code t}, authorized for {@code needed}; on a 401 the authorizer renews its
   * token (or takes the new challenge) and the request goes once more.
   */
  private HttpResponse<InputStream> exchange(
      Target t, List<String> needed, boolean follow, String what, RequestMaker maker)
      throws IOException {
    Optional<String> auth = t.auth().header(needed);
    HttpResponse<InputStream> r = send(maker.make(auth), follow, what);
    if (r.statusCode() != 401) {
      return r;
    }
    byte[] body = Answers.errorBody(r);
    if (!t.auth().rejected(auth, r.headers().allValues("WWW-Authenticate"))) {
      throw unauthorized(t, what, body);
    }
    Optional<String> again = t.auth().header(needed);
    r = send(maker.make(again), follow, what);
    if (r.statusCode() == 401) {
      throw unauthorized(t, what, Answers.errorBody(r));
    }
    return r;
  }

  private RegistryException unauthorized(Target t, String what, byte[] body) throws IOException {
    return new RegistryException(
        what
            + ": unauthorized"
            + (t.auth().hasCredentials()
                ? " with the credentials stored for " + t.endpoint().name()
                : " (no credentials stored for " + t.endpoint().name() + "; log in)")
            + Answers.detail(body),
        401,
        null);
  }

  private HttpResponse<InputStream> send(HttpRequest request, boolean follow, String what)
      throws IOException {
    return follow ? transport.follow(request, what) : transport.send(request, what);
  }

  HttpRequest.Builder request(URI uri, Optional<String> auth) {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(transport.options().readTimeout());
    auth.ifPresent(a -> b.header("Authorization", a));
    return b;
  }

  /** The error for an answer that is not what the protocol says; reads and closes its body. */
  private RegistryException unexpected(String what, HttpResponse<InputStream> r) {
    return new RegistryException(
        what + ": HTTP " + r.statusCode() + Answers.detail(Answers.errorBody(r)),
        r.statusCode(),
        null);
  }

  /** Tries {@code op} on each pull target in order (mirrors, then the origin). */
  private <T> T fromPullTargets(TargetOp<T> op) throws IOException {
    IOException first = null;
    for (Target t : pullTargets) {
      try {
        return retry.run(where(t), () -> op.run(t));
      } catch (IOException e) {
        if (t == origin) {
          if (first != null) {
            e.addSuppressed(first);
          }
          throw e;
        }
        LOG.warn("{}: mirror failed, trying the next: {}", where(t), e.getMessage());
        first = first == null ? e : first;
      }
    }
    throw new IllegalStateException("no pull target");
  }

  @FunctionalInterface
  private interface TargetOp<T> {
    T run(Target t) throws IOException;
  }

  // ---- manifests --------------------------------------------------------------------------

  @Override
  public FetchedManifest manifest(String tagOrDigest) throws IOException {
    Object ref = parseRef(tagOrDigest);
    return fromPullTargets(t -> fetchManifest(t, ref));
  }

  private Object parseRef(String tagOrDigest) throws RegistryException {
    if (tagOrDigest != null && tagOrDigest.startsWith(Digest.ALGORITHM + ":")) {
      if (Digest.isValid(tagOrDigest)) {
        return Digest.parse(tagOrDigest);
      }
    } else if (tagOrDigest != null && TAG.matcher(tagOrDigest).matches()) {
      return tagOrDigest;
    }
    throw new RegistryException(
        "registry "
            + registry
            + ", repository "
            + repository
            + ": \""
            + tagOrDigest
            + "\" is neither a tag nor a sha256 digest");
  }

  private FetchedManifest fetchManifest(Target t, Object ref) throws IOException {
    String what = where(t, ref);
    HttpResponse<InputStream> r =
        exchange(
            t,
            scopes,
            true,
            what,
            auth ->
                request(t.endpoint().resolve(path("manifests", ref.toString())), auth)
                    .header("Accept", String.join(", ", ManifestAnswer.TYPES))
                    .GET()
                    .build());
    if (r.statusCode() == 404) {
      throw new NotFoundException(
          what + ": not found in the registry" + Answers.detail(Answers.errorBody(r)));
    }
    if (r.statusCode() != 200) {
      throw unexpected(what, r);
    }
    return ManifestAnswer.check(r, ref, what, transport.options().maxManifestBytes());
  }

  @Override
  public Digest putManifest(String tagOrDigest, String mediaType, byte[] raw) throws IOException {
    Object ref = parseRef(tagOrDigest);
    Digest ours = Digest.of(raw);
    String what = where(origin, ref);
    if (ref instanceof Digest d && !d.equals(ours)) {
      throw new DigestMismatchException(d, ours, what + ": manifest to push does not hash to it");
    }
    if (raw.length > transport.options().maxManifestBytes()) {
      throw ManifestAnswer.tooLarge(
          what, raw.length + " bytes", transport.options().maxManifestBytes());
    }
    return retry.run(
        what,
        () -> {
          HttpResponse<InputStream> r =
              exchange(
                  origin,
                  scopes,
                  false,
                  what,
                  auth ->
                      request(origin.endpoint().resolve(path("manifests", ref.toString())), auth)
                          .header("Content-Type", mediaType)
                          .PUT(HttpRequest.BodyPublishers.ofByteArray(raw))
                          .build());
          if (r.statusCode() != 201 && r.statusCode() != 200) {
            throw unexpected(what, r);
          }
          Answers.errorBody(r);
          Optional<String> ack = r.headers().firstValue("Docker-Content-Digest");
          if (ack.isPresent() && !ack.get().equals(ours.toString())) {
            throw new RegistryException(
                what
                    + ": the registry acknowledged digest "
                    + ack.get()
                    + " for a manifest of digest "
                    + ours);
          }
          return ours;
        });
  }

  // ---- blobs ------------------------------------------------------------------------------

  @Override
  public InputStream blob(Descriptor d) throws IOException {
    Target[] used = new Target[1];
    InputStream first =
        fromPullTargets(
            t -> {
              InputStream in = openBlob(t, d, 0);
              used[0] = t;
              return in;
            });
    Target t = used[0];
    return new VerifiedBlobStream(
        d, where(t, d.digest()), first, offset -> openBlob(t, d, offset), retry.maxAttempts());
  }

  /** GET of a blob from byte {@code offset}: 206 at that offset, or 200 with the prefix skipped. */
  private InputStream openBlob(Target t, Descriptor d, long offset) throws IOException {
    String what = where(t, d.digest());
    HttpResponse<InputStream> r =
        exchange(
            t,
            scopes,
            true,
            what,
            auth -> {
              HttpRequest.Builder b =
                  request(t.endpoint().resolve(path("blobs", d.digest().toString())), auth).GET();
              if (offset > 0) {
                b.header("Range", "bytes=" + offset + "-");
              }
              return b.build();
            });
    int status = r.statusCode();
    if (status == 404) {
      throw new RegistryException(
          what + ": blob not found in the registry" + Answers.detail(Answers.errorBody(r)),
          404,
          null);
    }
    if (status == 206 && offset > 0) {
      Matcher m = CONTENT_RANGE.matcher(r.headers().firstValue("Content-Range").orElse(""));
      if (m.matches() && Long.parseLong(m.group(1)) == offset) {
        return checkedLength(r, d.size() - offset, d, what);
      }
      // A range we did not ask for: start over rather than guess where it fits.
      Answers.errorBody(r);
      LOG.info(
          "{}: registry answered another range than bytes={}-; reading from the start",
          what,
          offset);
      return skip(openBlob(t, d, 0), offset, what);
    }
    if (status != 200) {
      throw unexpected(what, r);
    }
    InputStream body = checkedLength(r, d.size(), d, what);
    return offset == 0 ? body : skip(body, offset, what);
  }

  /**
   * The body, once its announced length is the one expected: a registry announcing another size
   * than the descriptor's is refused before a byte is read.
   */
  private static InputStream checkedLength(
      HttpResponse<InputStream> r, long expected, Descriptor d, String what) throws IOException {
    long announced = r.headers().firstValueAsLong("Content-Length").orElse(-1);
    if (announced >= 0 && announced != expected) {
      r.body().close();
      throw new DigestMismatchException(
          d.digest(),
          announced + " bytes",
          what
              + ": the registry announces "
              + announced
              + " bytes where "
              + expected
              + " were expected (descriptor size "
              + d.size()
              + ")");
    }
    return r.body();
  }

  private static InputStream skip(InputStream in, long n, String what) throws IOException {
    long left = n;
    while (left > 0) {
      long s = in.skip(left);
      if (s <= 0) {
        if (in.read() < 0) {
          in.close();
          throw new IOException(
              what + ": body ended before byte " + n + " on a restarted download");
        }
        s = 1;
      }
      left -= s;
    }
    return in;
  }

  @Override
  public boolean hasBlob(Digest d) throws IOException {
    String what = where(origin, d);
    return retry.run(
        what,
        () -> {
          HttpResponse<InputStream> r =
              exchange(
                  origin,
                  scopes,
                  true,
                  what,
                  auth ->
                      request(origin.endpoint().resolve(path("blobs", d.toString())), auth)
                          .method("HEAD", HttpRequest.BodyPublishers.noBody())
                          .build());
          if (r.statusCode() == 200) {
            Answers.errorBody(r);
            return true;
          }
          if (r.statusCode() == 404) {
            Answers.errorBody(r);
            return false;
          }
          throw unexpected(what, r);
        });
  }

  @Override
  public boolean mountBlob(Digest d, String fromRepository) throws IOException {
    String what = where(origin, d) + ", mounted from " + fromRepository;
    List<String> needed = new ArrayList<>(scopes);
    needed.add("repository:" + fromRepository + ":pull");
    return retry.run(
        what,
        () -> {
          URI uri =
              origin
                  .endpoint()
                  .resolve(
                      "/v2/"
                          + repository
                          + "/blobs/uploads/?mount="
                          + enc(d.toString())
                          + "&from="
                          + enc(fromRepository));
          HttpResponse<InputStream> r =
              exchange(
                  origin,
                  needed,
                  false,
                  what,
                  auth -> request(uri, auth).POST(HttpRequest.BodyPublishers.noBody()).build());
          if (r.statusCode() == 201) {
            Answers.errorBody(r);
            return true;
          }
          if (r.statusCode() == 202) {
            Answers.errorBody(r);
            cancelUpload(what, location(what, r, uri));
            return false;
          }
          throw unexpected(what, r);
        });
  }

  void cancelUpload(String what, URI location) {
    try {
      HttpResponse<InputStream> r =
          exchange(origin, scopes, false, what, auth -> request(location, auth).DELETE().build());
      Answers.errorBody(r);
    } catch (IOException e) {
      // An abandoned upload session expires on the registry by itself.
      LOG.debug("{}: cancelling the upload session failed: {}", what, e.toString());
    }
  }

  @Override
  public void putBlob(Digest d, long size, BlobContent content) throws IOException {
    String what = where(origin, d);
    retry.run(
        what,
        () -> {
          new BlobUpload(this, what, d, size, content).run();
          return null;
        });
  }

  @Override
  public Descriptor putBlob(String mediaType, BlobWriter writer) throws IOException {
    String what = where(origin) + " (a " + mediaType + " blob)";
    // Only the registry's transient failures are retried, each by a new session and a new run of
    // the writer; the writer's own failure is final.
    StreamingUpload[] attempt = new StreamingUpload[1];
    return retry.run(
        what,
        () -> {
          attempt[0] = new StreamingUpload(this, what, mediaType, writer);
          return attempt[0].run();
        },
        e -> attempt[0].registryFailed());
  }

  // ---- what BlobUpload needs of the session ------------------------------------------------

  HttpResponse<InputStream> exchangeWithOrigin(String what, RequestMaker maker) throws IOException {
    return exchange(origin, scopes, false, what, maker);
  }

  Tuning tuning() {
    return tuning;
  }

  java.time.Duration readTimeout() {
    return transport.options().readTimeout();
  }

  URI uploadsUri() {
    return origin.endpoint().resolve("/v2/" + repository + "/blobs/uploads/");
  }

  RegistryException unexpectedAnswer(String what, HttpResponse<InputStream> r) {
    return unexpected(what, r);
  }

  static URI location(String what, HttpResponse<?> r, URI requested) throws RegistryException {
    String loc =
        r.headers()
            .firstValue("Location")
            .orElseThrow(
                () ->
                    new RegistryException(
                        what + ": the registry's answer " + r.statusCode() + " has no Location"));
    try {
      return requested.resolve(loc);
    } catch (IllegalArgumentException e) {
      throw new RegistryException(what + ": the registry gave an invalid Location \"" + loc + "\"");
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
