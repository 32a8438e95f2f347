package io.layerstore.trust;

import io.layerstore.Digest;
import io.layerstore.NotFoundException;
import io.layerstore.Reference;
import io.layerstore.format.MediaTypes;
import io.layerstore.registry.FetchedManifest;
import io.layerstore.registry.RepositorySession;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signatures of images in a registry repository: sigstore signatures attached to it ({@link
 * SigstoreAttachment}, read and written through a {@link RepositorySession}) and simple signatures
 * beside it (the lookaside of {@link SignatureStorage}). Pull and push call this; it is the one
 * place that knows where each kind of signature goes.
 */
public final class RegistrySignatures {

  private static final Logger LOG = LoggerFactory.getLogger(RegistrySignatures.class);

  /** Opens a repository session when first needed: a check may never read attachments. */
  @FunctionalInterface
  public interface SessionSupplier {
    /**
     * The session.
     *
     * @return a session on the image's repository
     * @throws IOException when the registry cannot be reached
     */
    RepositorySession open() throws IOException;
  }

  private RegistrySignatures() {}

  /**
   * Reads the sigstore attachments of the session's repository.
   *
   * @param session opens the repository the image is in
   * @return the reader a {@link TrustChecker} uses
   */
  public static TrustChecker.SigstoreAttachments attachments(SessionSupplier session) {
    return digest -> read(session.open(), digest);
  }

  private static List<SigstoreSignature> read(RepositorySession s, Digest manifest)
      throws IOException {
    String tag = SigstoreSignature.attachmentTag(manifest);
    FetchedManifest m;
    try {
      m = s.manifest(tag);
    } catch (NotFoundException e) {
      return List.of();
    }
    return SigstoreAttachment.read(
        m.raw(),
        s.registry() + "/" + s.repository() + ":" + tag,
        layer -> {
          try (InputStream in = s.blob(layer)) {
            return in.readAllBytes();
          }
        });
  }

  /**
   * Signs a manifest just pushed and stores the signature: a simple signature in the lookaside (its
   * staging one when registries.d names it), a sigstore signature attached to the repository after
   * those already there.
   *
   * @param signer the key
   * @param storage the registries.d that says where the lookaside is
   * @param ref the reference pushed (the identity signed)
   * @param manifest the digest the registry acknowledged
   * @param session a push session on the repository
   * @return where the signature went, for a person
   * @throws IOException when the signature cannot be made or stored
   */
  public static String sign(
      ImageSigner signer,
      SignatureStorage storage,
      Reference ref,
      Digest manifest,
      RepositorySession session)
      throws IOException {
    String where =
        switch (signer.kind()) {
          case OPENPGP ->
              storage
                  .writeSimpleSignature(ref, manifest, signer.simpleSignature(ref, manifest))
                  .toString();
          case SIGSTORE -> attach(signer.sigstoreSignature(ref, manifest), manifest, session);
        };
    LOG.debug("{}: {} signature of {} stored at {}", ref, signer.kind(), manifest, where);
    return where;
  }

  /** Adds a signature to the manifest's attachment image, after those already there. */
  private static String attach(SigstoreSignature sig, Digest manifest, RepositorySession session)
      throws IOException {
    List<SigstoreSignature> all = new ArrayList<>(read(session, manifest));
    all.add(sig);
    SigstoreAttachment.Image image = SigstoreAttachment.build(all);
    putBlob(session, image.config());
    for (byte[] layer : image.layers()) {
      putBlob(session, layer);
    }
    String tag = SigstoreSignature.attachmentTag(manifest);
    session.putManifest(tag, MediaTypes.OCI_MANIFEST, image.manifest());
    return session.registry() + "/" + session.repository() + ":" + tag;
  }

  private static void putBlob(RepositorySession session, byte[] blob) throws IOException {
    Digest d = Digest.of(blob);
    if (!session.hasBlob(d)) {
      session.putBlob(d, blob.length, () -> new ByteArrayInputStream(blob));
    }
  }
}
