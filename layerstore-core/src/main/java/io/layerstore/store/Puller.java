package io.layerstore.store;

import io.layerstore.Digest;
import io.layerstore.InvalidArchiveException;
import io.layerstore.Reference;
import io.layerstore.TransferEvent;
import io.layerstore.TransferListener;
import io.layerstore.TrustPolicy;
import io.layerstore.format.Descriptor;
import io.layerstore.format.MediaTypes;
import io.layerstore.registry.FetchedManifest;
import io.layerstore.registry.RepositorySession;
import io.layerstore.trust.RegistrySignatures;
import io.layerstore.trust.TrustChecker;
import java.io.IOException;
import java.io.InputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pulls an image from a registry ({@code LayerStore.pull}): the manifest by tag or digest, then
 * everything below it exactly as an OCI layout is loaded ({@link OciLayoutLoader}): the platform
 * chosen from an index by the same rules, configs read and checked, and the layers the store lacks
 * staged by the same code as a load, each streamed once (download, verify, inflate, hash, unpack)
 * with no copy of the blob on disk, {@code maxConcurrentDownloads} at a time. Layers whose chain
 * the store has are never requested: the staging looks them up, under their chain locks, before any
 * layer is opened, so a concurrent pull (in this process or another) of an image sharing them waits
 * for the first one's layers and then reuses them.
 *
 * <p>All or nothing for the image: it appears, tagged, only once every layer is staged and checked;
 * a failure or a kill leaves no image and no half layer (layers staged but not published are
 * discarded, or rolled back by recovery). Unlike a load, each layer is published (unreferenced) as
 * soon as it and the layers below it are complete and checked, so a network failure or a kill keeps
 * the completed layers and the next pull downloads only what is missing; they stay for {@code
 * prune} if no pull comes. A failure that shows the registry's content is bad (a digest that lies,
 * an invalid layer) removes the layers this pull published, so a bad registry leaves nothing.
 */
public final class Puller {
  private static final Logger LOG = LoggerFactory.getLogger(Puller.class);

  private final StoreContext store;
  private final OciLayoutLoader.Selection selection;
  private final TransferListener listener;
  private final TrustPolicy policy;

  /**
   * A puller.
   *
   * @param policy the trust policy the manifest must pass before anything below it is fetched, or
   *     null to check none
   */
  public Puller(
      StoreContext store,
      OciLayoutLoader.Selection selection,
      TransferListener listener,
      TrustPolicy policy) {
    this.store = store;
    this.selection = selection;
    this.listener = listener;
    this.policy = policy;
  }

  /**
   * Pulls {@code ref} (a tag, {@code latest} when none is written, or a digest) and tags it so.
   *
   * @return the digest of the manifest or index the reference named
   */
  public Digest pull(Reference ref) throws IOException {
    Reference named = ref.digest() == null ? ref.withDefaultTag() : ref;
    RepositorySession session = store.registry().session(named, false);
    FetchedManifest top =
        session.manifest(named.digest() != null ? named.digest().toString() : named.tag());
    if (named.digest() != null && !top.digest().equals(named.digest())) {
      throw new InvalidArchiveException(
          source(session),
          null,
          "the registry answered manifest " + top.digest() + " for " + named.digest());
    }
    if (policy != null) {
      // Before any config or layer is fetched: a refused image leaves nothing in the store.
      TrustChecker.load(policy)
          .check(named, top.raw(), RegistrySignatures.attachments(() -> session));
    }
    Descriptor d = Descriptor.of(top.mediaType(), top.digest(), top.raw().length);
    LOG.debug("{}: {} is {} {}", source(session), named, top.mediaType(), top.digest());
    RegistrySource src =
        new RegistrySource(
            session, top, source(session), store.registryOptions().maxConcurrentDownloads());
    new OciLayoutLoader(store, selection).load(src.listenedBy(listener), d, named);
    return top.digest();
  }

  private static String source(RepositorySession s) {
    return s.registry() + "/" + s.repository();
  }

  /** A repository as a source of blobs, telling {@code listener} how each layer moves along. */
  private record RegistrySource(
      RepositorySession session, FetchedManifest top, String source, int parallelism)
      implements ImageSource {

    @Override
    public byte[] read(Descriptor d, String where, int limit) throws IOException {
      if (d.size() > limit) {
        throw new InvalidArchiveException(
            source, where, d.digest() + " is " + d.size() + " bytes, more than " + limit);
      }
      if (MediaTypes.isManifest(d.mediaType()) || MediaTypes.isIndex(d.mediaType())) {
        FetchedManifest m =
            d.digest().equals(top.digest()) ? top : session.manifest(d.digest().toString());
        if (!m.digest().equals(d.digest()) || m.raw().length != d.size()) {
          throw new InvalidArchiveException(
              source,
              where,
              "manifest "
                  + d.digest()
                  + " came as "
                  + m.raw().length
                  + " bytes hashing to "
                  + m.digest()
                  + ", not the "
                  + d.size()
                  + " its descriptor declares");
        }
        return m.raw();
      }
      // A config: the stream checks size and digest at its end, which readAllBytes reaches.
      try (InputStream in = session.blob(d)) {
        return in.readAllBytes();
      }
    }

    @Override
    public InputStream openLayer(Descriptor d, String where) throws IOException {
      return session.blob(d);
    }

    /** A layer downloaded costs a download again: kept across a failure or a kill. */
    @Override
    public boolean keepsCompletedLayers() {
      return true;
    }

    /** With progress events, and layer streams that read to the end (so the digest is checked). */
    ImageSource listenedBy(TransferListener listener) {
      return new ListenedSource(this, listener);
    }
  }

  /** Adds the progress events to a source's layers. */
  private record ListenedSource(ImageSource inner, TransferListener listener)
      implements ImageSource {

    @Override
    public String source() {
      return inner.source();
    }

    @Override
    public byte[] read(Descriptor d, String where, int limit) throws IOException {
      return inner.read(d, where, limit);
    }

    /** Called for every layer of the images chosen, before any is staged: all wait their turn. */
    @Override
    public void checkLayer(Descriptor d, String where) throws IOException {
      inner.checkLayer(d, where);
      tell(TransferEvent.of(TransferEvent.Kind.WAITING, d.digest(), d.size()));
    }

    @Override
    public InputStream openLayer(Descriptor d, String where) throws IOException {
      return ProgressStream.download(inner.openLayer(d, where), d.digest(), d.size(), this::tell);
    }

    @Override
    public int parallelism() {
      return inner.parallelism();
    }

    @Override
    public boolean keepsCompletedLayers() {
      return inner.keepsCompletedLayers();
    }

    @Override
    public void layerPresent(Descriptor d) {
      tell(TransferEvent.of(TransferEvent.Kind.ALREADY_EXISTS, d.digest(), d.size()));
    }

    @Override
    public void layerStaged(Descriptor d) {
      tell(TransferEvent.of(TransferEvent.Kind.DONE, d.digest(), d.size()));
    }

    private void tell(TransferEvent e) {
      ProgressStream.safely(listener).accept(e);
    }
  }
}
