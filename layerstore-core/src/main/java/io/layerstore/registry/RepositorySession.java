package io.layerstore.registry;

import io.layerstore.Digest;
import io.layerstore.format.Descriptor;
import java.io.IOException;
import java.io.InputStream;

/**
 * One repository of one registry, reached with the credentials and scope the session was opened
 * with. Thread-safe: a pull downloads several blobs of one session at once. Every failure names the
 * registry, the repository and, when one is involved, the digest.
 */
public interface RepositorySession {

  /**
   * The registry as the reference named it.
   *
   * @return {@code host[:port]}; {@code docker.io} for Docker Hub
   */
  String registry();

  /**
   * The repository's path.
   *
   * @return the path, such as {@code library/debian}
   */
  String repository();

  /**
   * Fetches a manifest or index, asking for the OCI and Docker schema 2 forms. Its bytes are
   * checked against the digest asked for (when asked by digest) and against the registry's {@code
   * Docker-Content-Digest}.
   *
   * @param tagOrDigest a tag, or a digest as {@code sha256:<hex>}
   * @return the checked manifest
   * @throws io.layerstore.NotFoundException if the registry does not have it
   * @throws io.layerstore.DigestMismatchException if its bytes do not hash to the digest
   * @throws io.layerstore.RegistryException if it is too large, not JSON, schema 1, or of a media
   *     type this client does not take, or the registry refused the request
   * @throws IOException if the registry could not be reached
   */
  FetchedManifest manifest(String tagOrDigest) throws IOException;

  /**
   * Streams a blob. Redirects are followed, a broken download resumes with {@code Range} (or starts
   * over where the registry ignores it), server errors are retried with backoff. The stream throws
   * {@link io.layerstore.DigestMismatchException} once its bytes outgrow {@code d.size()}, and at
   * the end if they do not hash to {@code d.digest()} or fall short of the size: a caller must read
   * to the end before trusting what it read.
   *
   * @param d the blob's descriptor (digest and size)
   * @return the blob's bytes; the caller closes the stream
   * @throws io.layerstore.RegistryException if the registry refused the request (404 included)
   * @throws IOException if the registry could not be reached
   */
  InputStream blob(Descriptor d) throws IOException;

  /**
   * Whether the repository has a blob ({@code HEAD}).
   *
   * @param d the blob's digest
   * @return whether the registry answered 200
   * @throws IOException if the registry could not be reached or answered neither 200 nor 404
   */
  boolean hasBlob(Digest d) throws IOException;

  /**
   * Mounts a blob of another repository of this registry into this one, without uploading it.
   *
   * @param d the blob's digest
   * @param fromRepository the repository that has it, such as {@code library/debian}
   * @return true when mounted; false when the registry answered with an upload session instead
   *     (which is cancelled)
   * @throws IOException if the registry could not be reached or refused the request
   */
  boolean mountBlob(Digest d, String fromRepository) throws IOException;

  /**
   * Uploads a blob: monolithically when small, else in chunks (no smaller than the registry's
   * {@code OCI-Chunk-Min-Length}) and a closing {@code PUT}. A failed attempt starts over from
   * {@code content.open()}.
   *
   * @param d the blob's digest
   * @param size the blob's length in bytes
   * @param content its bytes
   * @throws io.layerstore.RegistryException if the content's length is not {@code size}, or the
   *     registry refused the blob (a wrong digest included)
   * @throws IOException if the content could not be read or the registry reached
   */
  void putBlob(Digest d, long size, BlobContent content) throws IOException;

  /**
   * Uploads a blob as {@code writer} writes it, when its digest is known only at the end (a layer
   * compressed on the fly): {@code POST}, a {@code PATCH} per chunk (no smaller than the registry's
   * {@code OCI-Chunk-Min-Length}) sent while the writer fills the next one, and {@code PUT
   * ?digest=} with the last bytes. Nothing is spooled to disk. A failed request starts the upload
   * over and runs {@code writer} again; a failure of the writer itself is not retried.
   *
   * @param mediaType the media type of the descriptor returned
   * @param writer writes the blob's bytes, the same ones on every call
   * @return the blob's descriptor: the digest and length of what was written
   * @throws io.layerstore.RegistryException if the registry refused the blob
   * @throws IOException if the writer failed or the registry could not be reached
   */
  Descriptor putBlob(String mediaType, BlobWriter writer) throws IOException;

  /**
   * Stores a manifest or index under a tag or its digest.
   *
   * @param tagOrDigest the tag, or the manifest's digest
   * @param mediaType the document's media type, sent as its {@code Content-Type}
   * @param raw the document
   * @return the digest the registry acknowledged, checked to be the digest of {@code raw}
   * @throws io.layerstore.RegistryException if the registry refused it or acknowledged another
   *     digest
   * @throws IOException if the registry could not be reached
   */
  Digest putManifest(String tagOrDigest, String mediaType, byte[] raw) throws IOException;
}
