package io.layerstore;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.archive.UnpackOptions;
import io.layerstore.build.ImageBuilder;
import io.layerstore.build.internal.BuildArea;
import io.layerstore.container.Containers;
import io.layerstore.container.internal.ContainerArea;
import io.layerstore.format.Descriptor;
import io.layerstore.format.ImageConfig;
import io.layerstore.format.OciIndex;
import io.layerstore.format.OciPlatform;
import io.layerstore.platform.Platform;
import io.layerstore.spi.BranchIntrospection;
import io.layerstore.spi.DriverProvider;
import io.layerstore.spi.GraphDriver;
import io.layerstore.store.AtomicFiles;
import io.layerstore.store.DockerArchiveWriter;
import io.layerstore.store.Fsck;
import io.layerstore.store.GarbageCollector;
import io.layerstore.store.ImageBigData;
import io.layerstore.store.ImageDb;
import io.layerstore.store.ImageLoader;
import io.layerstore.store.ImageResolver;
import io.layerstore.store.LayerDb;
import io.layerstore.store.LayerRecord;
import io.layerstore.store.LayerStaging;
import io.layerstore.store.MountPins;
import io.layerstore.store.OciLayoutLoader;
import io.layerstore.store.OciLayoutWriter;
import io.layerstore.store.PinnedMount;
import io.layerstore.store.Publisher;
import io.layerstore.store.Puller;
import io.layerstore.store.Pusher;
import io.layerstore.store.Recovery;
import io.layerstore.store.ReferenceStore;
import io.layerstore.store.SaveOutput;
import io.layerstore.store.SaveRequest;
import io.layerstore.store.Scratch;
import io.layerstore.store.StoreContext;
import io.layerstore.store.StoreLayout;
import io.layerstore.store.StoreLocks;
import io.layerstore.store.Transaction;
import io.layerstore.store.TransactionRunner;
import io.layerstore.trust.ImageSigner;
import io.layerstore.trust.RegistrySignatures;
import io.layerstore.trust.SignatureStorage;
import io.layerstore.trust.TrustChecker;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container image store kept exactly the way Docker keeps it: the root is a Docker data-root
 * ({@code image/<driver>/layerdb}, {@code imagedb}, {@code repositories.json} and the driver's
 * layer directories), so a Docker daemon can read a store written here and this store can read
 * Docker's.
 *
 * <pre>{@code
 * try (LayerStore store = LayerStore.open(root)) {
 *   ImageId id = store.load(Path.of("app.tar")).get(0);
 *   try (Mount m = store.mount(id)) {
 *     String os = Files.readString(m.root().resolve("etc/os-release"));
 *   }
 * }
 * }</pre>
 *
 * <p>Containers (an init layer and a read-write layer on an image, as {@code docker create} makes
 * them; changes, commit, export) are reached through {@link #containers()}.
 *
 * <p>Once {@link #close()}d, a store refuses every call (and so do its {@link #containers()}) with
 * {@link IllegalStateException}.
 *
 * <p>Thread safe. Several processes may share a root (file locks order their changes); open one
 * instance per root in a process. Every change is atomic: after a crash the store shows the old or
 * the new state, and leftovers of interrupted work are cleaned when the store is opened.
 */
public final class LayerStore implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(LayerStore.class);

  /** The default graph driver. */
  public static final String DEFAULT_DRIVER = "overlay2";

  private final StoreContext store;
  private final StoreLayout layout;
  private final Platform platform;
  private final GraphDriver driver;
  private final AtomicFiles files;
  private final ObjectMapper json;
  private final LayerDb layerDb;
  private final ImageDb imageDb;
  private final ReferenceStore refs;
  private final StoreLocks locks;
  private final LayerStaging staging;
  private final GarbageCollector gc;
  private final TransactionRunner transactions;
  private final MountPins pins;
  private final Publisher publisher;
  private final ImageResolver resolver;
  private final ContainerArea containers;
  private final BuildArea builds;

  /** Takes a store that {@link #open(Path, StoreContext.Options, DriverProvider)} has recovered. */
  private LayerStore(StoreContext store, ContainerArea containers) {
    this.store = store;
    this.layout = store.layout();
    this.platform = store.platform();
    this.driver = store.driver();
    this.files = store.files();
    this.json = store.json();
    this.layerDb = store.layerDb();
    this.imageDb = store.imageDb();
    this.refs = store.refs();
    this.locks = store.locks();
    this.staging = store.staging();
    this.gc = store.gc();
    this.transactions = store.transactions();
    this.pins = store.pins();
    this.publisher = store.publisher();
    this.resolver = new ImageResolver(store);
    this.containers = containers;
    this.builds = new BuildArea(store);
  }

  /**
   * Makes the store's parts, finishes what interrupted work left (the store's changes, then the
   * containers'), and only then makes the facade: nothing can reach a store that is not recovered.
   */
  private static LayerStore open(Path root, StoreContext.Options options, DriverProvider provider)
      throws IOException {
    StoreContext store = StoreContext.open(root, options, provider);
    ContainerArea containers;
    try {
      new Recovery(store).run();
      containers = new ContainerArea(store);
      containers.recover();
    } catch (IOException | RuntimeException e) {
      store.driver().close();
      throw e;
    }
    return new LayerStore(store, containers);
  }

  /**
   * Opens (creating if needed) the store at {@code root} with default options: the driver it
   * already has layers of (else {@value #DEFAULT_DRIVER}), durable, {@link DevicePolicy#STANDARD}.
   * Finishes or rolls back whatever an interrupted process left before returning.
   *
   * @param root the data-root directory; created if missing
   * @return the open store; close it to release its mounts' pins and the driver
   * @throws ConflictException if the store holds layers of several drivers
   * @throws NotFoundException if the driver it needs is not on the class path
   * @throws IOException if the root cannot be created or read, or recovery fails
   */
  public static LayerStore open(Path root) throws IOException {
    return builder(root).open();
  }

  /**
   * Starts configuring a store at {@code root}; nothing is touched until {@link Builder#open()}.
   *
   * @param root the data-root directory; created if missing when the store is opened
   * @return a builder with the defaults {@link #open(Path)} uses
   */
  public static Builder builder(Path root) {
    return new Builder(root);
  }

  /** Options for opening a store. */
  public static final class Builder {
    private final Path root;
    private String driver;
    private PlatformMode mode = PlatformMode.AUTO;
    private Platform platform;
    private boolean durable = true;
    private DevicePolicy devicePolicy = DevicePolicy.STANDARD;
    private long maxLayerBytes = 64L << 30;
    private long maxImageBytes = 128L << 30;
    private final Map<String, String> driverOptions = new HashMap<>();
    private RegistryOptions registry = null;

    private Builder(Path root) {
      this.root = root;
    }

    /**
     * The graph driver ({@code overlay2}, {@code aufs}). Default: the driver the store already has
     * layers of, else {@value #DEFAULT_DRIVER}. A store with layers of another driver is refused.
     *
     * @param name the driver's name, as its {@link io.layerstore.spi.DriverProvider} gives it, or
     *     {@code null} for the default
     * @return this builder
     */
    public Builder driver(String name) {
      this.driver = name;
      return this;
    }

    /**
     * How file metadata and mounts are done; default {@link PlatformMode#AUTO}: native where the
     * host allows it, else emulated.
     *
     * @param mode the platform mode
     * @return this builder
     * @throws NullPointerException if {@code mode} is null
     */
    public Builder platform(PlatformMode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      this.platform = null;
      return this;
    }

    /**
     * A platform made by the caller (a test's emulated or recording platform); not API, since
     * {@link Platform} is internal: core's tests call it here, other tests choose a {@link
     * PlatformMode}.
     */
    Builder platform(Platform p) {
      this.platform = Objects.requireNonNull(p, "platform");
      return this;
    }

    /**
     * Whether finished operations are fsynced so that they survive a power loss (default true).
     * Off, a crash may lose the last operations, never consistency.
     *
     * @param d {@code false} to skip the fsyncs (tests, scratch stores)
     * @return this builder
     */
    public Builder durable(boolean d) {
      this.durable = d;
      return this;
    }

    /**
     * Which device nodes layers may create; default {@link DevicePolicy#STANDARD}.
     *
     * @param p the policy applied to every layer unpacked through this store
     * @return this builder
     */
    public Builder devicePolicy(DevicePolicy p) {
      this.devicePolicy = p;
      return this;
    }

    /**
     * Most uncompressed bytes one layer may expand to (decompression bombs); default 64 GiB. A
     * layer beyond it fails with an {@link InvalidArchiveException} and leaves nothing behind.
     *
     * @param bytes the limit in bytes
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is not positive
     */
    public Builder maxLayerBytes(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxLayerBytes must be positive");
      }
      this.maxLayerBytes = bytes;
      return this;
    }

    /**
     * Most uncompressed bytes the layers read for one image may expand to together; default 128 GiB
     * (the largest public images are a few tens). Stops a bomb spread over many layers that each
     * stay under {@link #maxLayerBytes}.
     *
     * @param bytes the limit in bytes
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is not positive
     */
    public Builder maxImageBytes(long bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("maxImageBytes must be positive");
      }
      this.maxImageBytes = bytes;
      return this;
    }

    /**
     * An option handed to the driver as is (for aufs, for instance, where {@code /proc} and {@code
     * /sys} are). Options the driver does not know are ignored; a later value for a key replaces
     * the earlier.
     *
     * @param key the option's name, as the driver documents it
     * @param value its value
     * @return this builder
     */
    public Builder driverOption(String key, String value) {
      driverOptions.put(key, value);
      return this;
    }

    /**
     * How the store reaches registries for {@link #pull pull} and {@link #push push}: credentials,
     * certificates, mirrors, insecure registries, concurrency, timeouts. Default: {@link
     * RegistryOptions#defaults()}, from the environment as docker reads it.
     *
     * @param options the registry options
     * @return this builder
     * @throws NullPointerException if {@code options} is null
     */
    public Builder registry(RegistryOptions options) {
      this.registry = Objects.requireNonNull(options, "options");
      return this;
    }

    /**
     * Opens (creating if needed) the store: picks the driver among those {@link
     * java.util.ServiceLoader} finds, refuses a store that holds layers of another driver
     * (including one not on the class path), and finishes or rolls back whatever an interrupted
     * process left before returning.
     *
     * @return the open store; close it to release its mounts' pins and the driver
     * @throws ConflictException if the store holds layers of several drivers and none was chosen,
     *     or of another driver than the one chosen
     * @throws NotFoundException if the driver is not on the class path
     * @throws IOException if the root cannot be created or read, or recovery fails
     */
    public LayerStore open() throws IOException {
      AtomicFiles.ensureDirectory(root, StoreLayout.ROOT_MODE);
      Map<String, DriverProvider> providers = new LinkedHashMap<>();
      for (DriverProvider p :
          ServiceLoader.load(DriverProvider.class, LayerStore.class.getClassLoader())) {
        providers.putIfAbsent(p.name(), p);
      }
      List<String> withLayers = new ArrayList<>();
      StoreLayout probe = new StoreLayout(root, "");
      for (Map.Entry<String, DriverProvider> p : providers.entrySet()) {
        String name = p.getKey();
        if (hasLayers(probe.layerRecords(name)) || p.getValue().hasLayers(probe.driverHome(name))) {
          withLayers.add(name);
        }
      }
      // Layers of a driver that is not on the class path count too: never a mixed store.
      if (Files.isDirectory(probe.imageTop(), LinkOption.NOFOLLOW_LINKS)) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(probe.imageTop())) {
          for (Path dir : ds) {
            String name = dir.getFileName().toString();
            if (!providers.containsKey(name) && hasLayers(probe.layerRecords(name))) {
              withLayers.add(name);
            }
          }
        }
      }
      String chosen = driver;
      if (chosen == null) {
        if (withLayers.size() > 1) {
          throw new ConflictException(
              "store " + root + " has layers of several drivers " + withLayers + "; choose one");
        }
        chosen = withLayers.isEmpty() ? DEFAULT_DRIVER : withLayers.get(0);
      } else if (!withLayers.isEmpty() && !withLayers.contains(chosen)) {
        throw new ConflictException(
            "store "
                + root
                + " holds layers of driver "
                + withLayers.get(0)
                + "; it cannot be opened with driver "
                + chosen
                + " (open it with "
                + withLayers.get(0)
                + ")");
      }
      DriverProvider provider = providers.get(chosen);
      if (provider == null) {
        throw new NotFoundException(
            "no graph driver called \""
                + chosen
                + "\" is on the class path (have: "
                + providers.keySet()
                + "); "
                + (chosen.equals("overlay2") || chosen.equals("aufs")
                    ? "add the artifact io.layerstore:layerstore-" + chosen + " to the dependencies"
                    : "the drivers are the artifacts io.layerstore:layerstore-overlay2 and io.layerstore:layerstore-aufs"));
      }
      UnpackOptions unpack = UnpackOptions.DEFAULTS.withDevicePolicy(devicePolicy);
      return LayerStore.open(
          root,
          new StoreContext.Options(
              chosen,
              platform(),
              durable,
              unpack,
              maxLayerBytes,
              maxImageBytes,
              Map.copyOf(driverOptions),
              registry),
          provider);
    }

    /** The platform {@link #platform(PlatformMode)} asks for; null: the store's default (auto). */
    private Platform platform() throws LayerStoreException {
      if (platform != null) {
        return platform;
      }
      return switch (mode) {
        case AUTO -> null;
        case EMULATED -> Platform.emulated();
        case NATIVE -> {
          Platform p = Platform.forRoot(root);
          if (!p.isNative()) {
            throw new LayerStoreException(
                root + ": the native platform is not available: " + Platform.whyNotNative(root));
          }
          yield p;
        }
      };
    }

    private static boolean hasLayers(Path dir) throws IOException {
      if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
        return false;
      }
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
        for (Path p : ds) {
          String n = p.getFileName().toString();
          if (!n.equals("l") && !n.startsWith(".")) {
            return true;
          }
        }
      }
      return false;
    }
  }

  // ---- facts ----------------------------------------------------------------------------------

  /**
   * The store's data-root.
   *
   * @return the root directory the store was opened at
   */
  public Path root() {
    store.ensureOpen();
    return layout.root();
  }

  /**
   * The graph driver the store was opened with.
   *
   * @return its name, such as {@code overlay2}
   */
  public String driverName() {
    store.ensureOpen();
    return driver.name();
  }

  /**
   * The driver, for tools and tests that work below the image level. Changing layers through it
   * behind the store's back makes the store inconsistent ({@link #check} reports it).
   *
   * @return the open driver; closed with the store
   */
  public GraphDriver driver() {
    store.ensureOpen();
    return driver;
  }

  /**
   * How this store keeps file metadata and mounts, as chosen when it was opened: {@link
   * PlatformMode#NATIVE} or {@link PlatformMode#EMULATED}.
   *
   * @return the mode the store runs in, never {@link PlatformMode#AUTO}
   */
  public PlatformMode platform() {
    store.ensureOpen();
    return platform.isNative() ? PlatformMode.NATIVE : PlatformMode.EMULATED;
  }

  /**
   * What {@code docker info} says about storage: the driver and its facts (for overlay2 computed as
   * a dockerd on this machine computes them), the numbers of images and containers, the data-root.
   *
   * @return the facts, read now
   * @throws IOException if the store or the driver's facts cannot be read
   */
  public StoreInfo info() throws IOException {
    store.ensureOpen();
    transactions.settle();
    return new StoreInfo(
        driver.name(),
        driver.status(),
        imageDb.list().size(),
        containers.list().size(),
        layout.root());
  }

  // ---- load / import --------------------------------------------------------------------------

  /**
   * Loads a {@code docker save} archive or an OCI image layout (a directory, or a tar of one),
   * telling them apart by their content; from a multi-platform index it takes the host's platform
   * ({@link #load(Path, LoadOptions)} picks others). All or nothing: on any error (a layer that
   * does not hash to its diffID or blob digest, a bad manifest, an unsafe entry) nothing is added.
   * Layers the store already has are not read again.
   *
   * @param archive the archive: a tar in a regular file (read with seeks, so not a pipe: {@link
   *     #loadDetailed(InputStream, String, LoadOptions)} reads streams), or an OCI layout
   *     directory; a compressed tar (gzip, zstd, bzip2) is decompressed into a scratch file first
   * @return the loaded image ids, in manifest order
   * @throws InvalidArchiveException if the archive, a manifest, config or layer cannot be accepted
   * @throws DigestMismatchException if a layer or config does not hash to its digest
   * @throws IOException if reading the archive or writing the store fails
   */
  public List<ImageId> load(Path archive) throws IOException {
    return load(archive, LoadOptions.defaults());
  }

  /**
   * Like {@link #load(Path)}, taking from a multi-platform index the images {@code options} pick.
   *
   * @param archive a {@code docker save} archive, or an OCI layout (directory or tar)
   * @param options which platform(s) to take from an index
   * @return the loaded image ids, in the order of the manifest or of the layout's index
   * @throws InvalidArchiveException if the input, a manifest, index, config or layer cannot be
   *     accepted, or an index has no image for the platform asked for
   * @throws DigestMismatchException if a layer does not hash to its config's diffID
   * @throws IOException if reading the input or writing the store fails
   */
  public List<ImageId> load(Path archive, LoadOptions options) throws IOException {
    store.ensureOpen();
    List<ImageId> out = new ArrayList<>();
    for (LoadedImage l : loadDetailed(archive, options)) {
      out.add(l.id());
    }
    return out;
  }

  /**
   * Like {@link #load} but also says which tags each image got.
   *
   * @param archive the archive: a tar in a regular file, plain or compressed, as {@link
   *     #load(Path)} takes it
   * @return one entry per loaded image, in manifest order
   * @throws InvalidArchiveException if the archive, a manifest, config or layer cannot be accepted
   * @throws DigestMismatchException if a layer or config does not hash to its digest
   * @throws IOException if reading the archive or writing the store fails
   */
  public List<LoadedImage> loadDetailed(Path archive) throws IOException {
    return loadDetailed(archive, LoadOptions.defaults());
  }

  /**
   * Like {@link #load(Path, LoadOptions)} but also says which tags each image got.
   *
   * @param archive a {@code docker save} archive, or an OCI layout (directory or tar)
   * @param options which platform(s) to take from an index
   * @return one entry per loaded image
   * @throws InvalidArchiveException if the input cannot be accepted
   * @throws DigestMismatchException if a layer does not hash to its config's diffID
   * @throws IOException if reading the input or writing the store fails
   */
  public List<LoadedImage> loadDetailed(Path archive, LoadOptions options) throws IOException {
    store.ensureOpen();
    return loader(options).load(archive);
  }

  /** The loader of the images {@code options} pick from an index (the host's by default). */
  private ImageLoader loader(LoadOptions options) {
    OciPlatform platform = options.platform().map(OciPlatform::parse).orElse(OciPlatform.host());
    return new ImageLoader(
        store,
        new OciLayoutLoader.Selection(
            platform, options.isAllPlatforms(), options.platform().isPresent()));
  }

  /**
   * Loads the archive a stream holds, as {@code docker load} reads stdin: a {@code docker save}
   * archive or an OCI layout tar, plain or compressed (gzip, zstd, bzip2). The stream is read to
   * its end into a scratch file of the store (an archive is read with seeks), which is deleted
   * afterwards, also when this fails; a killed process's scratch is removed when the store next
   * opens. The stream is not closed. All or nothing, as {@link #load(Path)}.
   *
   * @param in the archive's bytes
   * @param source what to call the stream in errors, e.g. {@code "stdin"}
   * @param options which platform(s) to take from an index
   * @return one entry per loaded image
   * @throws InvalidArchiveException if the input cannot be accepted
   * @throws DigestMismatchException if a layer does not hash to its config's diffID
   * @throws IOException if reading the stream or writing the store fails
   */
  public List<LoadedImage> loadDetailed(InputStream in, String source, LoadOptions options)
      throws IOException {
    store.ensureOpen();
    return loader(options).load(in, source);
  }

  // ---- pull and push -------------------------------------------------------------------------

  /**
   * Pulls an image from its registry, as {@code docker pull} does: the manifest by tag ({@code
   * latest} when none is written) or by digest; from a multi-platform index the image for the
   * platform {@code options} pick (the host's by default), or all of them; then the config and
   * every layer the store lacks, each streamed once (download, verify, inflate, unpack) with up to
   * {@link RegistryOptions#maxConcurrentDownloads()} at once. Layers the store has are not
   * downloaded. The image is tagged {@code ref} (a digest reference is kept as {@code
   * name@digest}).
   *
   * <p>All or nothing: on any error, or if the process dies, there is no new image and no half
   * layer; layers completed before the failure may stay unreferenced, for {@link #prune} to remove,
   * and a later pull reuses them.
   *
   * @param ref {@code [registry/]name[:tag|@digest]}, such as {@code debian:bookworm}
   * @param options platform choice and progress listener
   * @return the digest of the manifest (or index) {@code ref} named, docker's {@code Digest:}
   * @throws InvalidReferenceException if {@code ref} is not a valid reference
   * @throws NotFoundException if the registry has no such manifest
   * @throws RegistryException if the registry refuses or answers badly (naming the registry,
   *     repository and digest)
   * @throws InvalidArchiveException if a manifest, index or config cannot be accepted (schema 1,
   *     unknown media types, no image for the platform)
   * @throws DigestMismatchException if a blob or layer does not hash to its digest or diffID
   * @throws SignatureRefusedException if the options' trust policy refuses the image (nothing is
   *     stored)
   * @throws IOException if the registry cannot be reached or the store cannot be written
   */
  public Digest pull(String ref, PullOptions options) throws IOException {
    store.ensureOpen();
    Reference r = Reference.parse(ref);
    LoadOptions p = options.platforms();
    OciPlatform platform = p.platform().map(OciPlatform::parse).orElse(OciPlatform.host());
    return new Puller(
            store,
            new OciLayoutLoader.Selection(platform, p.isAllPlatforms(), p.platform().isPresent()),
            options.listener(),
            options.policy().orElse(null))
        .pull(r);
  }

  /**
   * Pushes the image {@code ref} names to the registry and repository it names, as {@code docker
   * push} does. Each layer, up to {@link RegistryOptions#maxConcurrentUploads()} at once: skipped
   * if the repository has its blob, mounted from another repository of the same registry where the
   * store recorded it, else rebuilt from the store, compressed (in parallel, deterministically) and
   * uploaded in one pass. When every layer's blob is the one the image was pulled or loaded with,
   * the manifest is pushed as it came, so its digest is unchanged; else a new one is made (Docker
   * schema 2 for gzip, OCI for zstd) and kept for the next push. With {@link
   * PushOptions#signBy(SignBy)}, the manifest the registry acknowledged is then signed under {@code
   * ref} (see {@code docs/signing.md}); the key is unlocked first, so a bad key or passphrase fails
   * before anything is uploaded.
   *
   * @param ref {@code [registry/]name[:tag]}, a tag of an image of this store
   * @param options layer compression, progress listener and signing key
   * @return the digest of the manifest pushed
   * @throws InvalidReferenceException if {@code ref} is not a valid reference, or names a digest
   * @throws NotFoundException if no image has that tag
   * @throws RegistryException if the registry refuses (naming the registry and repository)
   * @throws LayerStoreException if the signing key cannot be read or unlocked, or registries.d is
   *     malformed or, for a sigstore key, does not turn {@code use-sigstore-attachments} on for the
   *     repository
   * @throws IOException if a layer cannot be read, the registry cannot be reached, or the signature
   *     cannot be stored
   */
  public Digest push(String ref, PushOptions options) throws IOException {
    store.ensureOpen();
    Reference r = Reference.parse(ref).withDefaultTag();
    if (r.digest() != null) {
      throw new InvalidReferenceException(
          "cannot push a digest reference: " + ref + " (push a tag: name:tag)");
    }
    ImageId id = resolve(r.familiarString());
    // The key is unlocked before anything is uploaded: a wrong passphrase costs no upload.
    ImageSigner signer = null;
    SignatureStorage storage = null;
    if (options.signBy().isPresent()) {
      signer = ImageSigner.load(options.signBy().get());
      storage = SignatureStorage.load(options.registriesD());
      storage.checkWritable(signer.kind(), r);
    }
    Digest pushed = new Pusher(store, options, builds.keptBlobs()).push(r, config(id));
    if (signer != null) {
      RegistrySignatures.sign(signer, storage, r, pushed, store.registry().session(r, true));
    }
    return pushed;
  }

  /**
   * Checks a stored image against a trust policy again, as a pull with {@link
   * PullOptions#policy(TrustPolicy)} checked it: the signatures (read anew from the lookaside or
   * the registry, as registries.d says) must be for the manifest bytes the store kept when the
   * image was pulled, under the name {@code image} gives.
   *
   * @param image the stored image, {@code name[:tag]} or {@code name@digest} (a reference, since
   *     signatures name a repository)
   * @param policy the policy and registries.d
   * @return what the policy accepted
   * @throws InvalidReferenceException if {@code image} is not a reference (an id names no
   *     repository)
   * @throws NotFoundException if the store has no such image, or kept no manifest for it (it was
   *     not pulled, pushed or loaded from an OCI layout)
   * @throws SignatureRefusedException if the policy refuses it
   * @throws IOException if the policy, keys or signatures cannot be read
   */
  public Verification verify(String image, TrustPolicy policy) throws IOException {
    store.ensureOpen();
    Reference r = Reference.parse(image);
    Reference named = r.digest() == null ? r.withDefaultTag() : r;
    ImageId id = resolve(image);
    ImageBigData.ImageWire wire =
        store
            .bigData()
            .image(id)
            .orElseThrow(
                () ->
                    new NotFoundException(
                        "image "
                            + image
                            + " has no manifest kept (it was not pulled, pushed or loaded from an"
                            + " OCI layout): there is nothing a signature could be checked against"));
    // Signatures are of the outermost manifest the image came with: the index, when there was one.
    Descriptor top = wire.indexes().isEmpty() ? wire.manifest() : wire.indexes().get(0);
    byte[] raw =
        store
            .bigData()
            .blob(top.digest())
            .orElseThrow(
                () ->
                    new NotFoundException(
                        "the kept manifest " + top.digest() + " of " + image + " is gone"));
    if (r.digest() != null && !r.digest().equals(top.digest())) {
      throw new NotFoundException(
          "image " + image + " came with manifest " + top.digest() + ", not " + r.digest());
    }
    return TrustChecker.load(policy)
        .check(
            named,
            raw,
            RegistrySignatures.attachments(() -> store.registry().session(named, false)));
  }

  /**
   * Checks credentials against a registry and stores them as {@code docker login} does, in {@code
   * config.json} (or the credential helper it names), so docker and this store share them.
   *
   * @param host the registry, {@code host[:port]}; {@code docker.io} for Docker Hub
   * @param user the user name
   * @param password the password or token
   * @throws RegistryException if the registry refuses the credentials
   * @throws IOException if the registry cannot be reached or the credentials cannot be stored
   */
  public void login(String host, String user, String password) throws IOException {
    store.ensureOpen();
    store.registry().login(host, user, password);
  }

  /**
   * Forgets the stored credentials of a registry, as {@code docker logout} does.
   *
   * @param host the registry, {@code host[:port]}
   * @return false if there were none
   * @throws IOException if the credential store cannot be written
   */
  public boolean logout(String host) throws IOException {
    store.ensureOpen();
    return store.registry().logout(host);
  }

  /**
   * The multi-platform index {@code reference} stands for: kept when a load took every platform of
   * it ({@link LoadOptions#allPlatforms()}), for as long as the reference still tags an image of
   * that index.
   *
   * @param reference {@code name[:tag]}
   * @return the index's digest, media type and platforms; empty if the reference has none
   * @throws InvalidReferenceException if {@code reference} is not a valid reference
   * @throws IOException if the store cannot be read
   */
  public Optional<PlatformIndex> platformIndex(String reference) throws IOException {
    store.ensureOpen();
    Reference ref = Reference.parse(reference).withDefaultTag();
    Optional<Descriptor> kept = store.bigData().index(ref.familiarString());
    ImageId tagged = refs.get(ref);
    if (kept.isEmpty() || tagged == null) {
      return Optional.empty();
    }
    Optional<ImageBigData.ImageWire> wire = store.bigData().image(tagged);
    if (wire.isEmpty() || !wire.get().indexes().contains(kept.get())) {
      return Optional.empty(); // the tag has moved to another image since
    }
    Optional<byte[]> raw = store.bigData().blob(kept.get().digest());
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    OciIndex index =
        OciIndex.parse(raw.get(), kept.get().mediaType(), "index " + kept.get().digest(), json);
    return Optional.of(
        new PlatformIndex(
            kept.get().digest(), index.mediaType(), OciLayoutLoader.platforms(index)));
  }

  /**
   * Makes a one-layer image from a layer tarball (plain, gzip, zstd or bzip2), like {@code docker
   * import}: the config gets {@code created}, {@code history} "Imported from &lt;source&gt;", the
   * host's architecture and os {@code linux}. A tag without a tag part gets {@code latest}.
   *
   * @param tarball the layer; may be a pipe such as {@code /dev/stdin}
   * @param reference {@code name[:tag]} to tag it with, or null
   * @return the new image's id
   * @throws InvalidReferenceException if {@code reference} is not a valid reference
   * @throws InvalidArchiveException if the tarball cannot be accepted (unsafe entry, too large)
   * @throws IOException if reading the tarball or writing the store fails
   */
  public ImageId importLayer(Path tarball, String reference) throws IOException {
    store.ensureOpen();
    Reference ref = reference == null ? null : Reference.parse(reference).withDefaultTag();
    try (InputStream in = readable(tarball)) {
      return importLayer(in, tarball.toString(), "-", ref);
    }
  }

  /**
   * A stream over {@code file}, which may be a pipe ({@code /dev/stdin}, a fifo): the JDK's stream
   * over a pipe fails {@code available()} with "Illegal seek" (it asks the channel for its
   * position), which buffering readers call; here that answers 0 instead.
   */
  private static InputStream readable(Path file) throws IOException {
    InputStream in = Files.newInputStream(file);
    if (Files.isRegularFile(file)) {
      return in;
    }
    return new java.io.FilterInputStream(in) {
      @Override
      public int available() {
        try {
          return in.available();
        } catch (IOException e) {
          return 0;
        }
      }
    };
  }

  private ImageId importLayer(InputStream in, String source, String comment, Reference ref)
      throws IOException {
    LayerStaging.Staged s = staging.stage(in, source, LayerStaging.Parent.NONE, null);
    Instant now = Instant.now();
    byte[] config = io.layerstore.format.ConfigWriter.imported(s.diffId(), now, comment);
    ImageId id = ImageId.ofConfig(config);
    Transaction.Builder b = Transaction.builder("import").image(config);
    List<LayerStaging.Staged> layers = new ArrayList<>(List.of(s));
    try (StoreLocks.Held chain = locks.lock(GarbageCollector.chainLock(s.chainId()))) {
      transactions.settle();
      if (layerDb.exists(s.chainId())) {
        staging.discard(s); // the store has this layer already
        layers.clear();
      }
      if (ref != null) {
        b.lastUpdated(id, now);
      }
      publisher.publish(b, layers, ref == null ? List.of() : List.of(Map.entry(ref, id)));
    } catch (IOException | RuntimeException | Error e) {
      staging.discardAll(layers, e);
      throw e;
    }
    return id;
  }

  // ---- queries --------------------------------------------------------------------------------

  /**
   * Every image, newest first (like {@code docker images}); images without a creation time come
   * last. Images whose config cannot be read, or whose layers are missing, are left out (and
   * logged).
   *
   * @return a new list of summaries
   * @throws IOException if the image or reference store cannot be read
   */
  public List<ImageSummary> images() throws IOException {
    store.ensureOpen();
    transactions.settle();
    Map<ImageId, List<String>> tags = tagTable();
    List<ImageSummary> out = new ArrayList<>();
    for (ImageId id : imageDb.list()) {
      try {
        ImageConfig c = config(id);
        if (!layersPresent(c)) {
          LOG.warn("image {} is missing layers; not listed", id);
          continue;
        }
        out.add(new ImageSummary(id, tags.getOrDefault(id, List.of()), c.created(), size(c)));
      } catch (IOException e) {
        LOG.warn("skipping unreadable image {}: {}", id, e.getMessage());
      }
    }
    out.sort(
        (a, b) -> {
          if (a.created() == null || b.created() == null) {
            return a.created() == null ? (b.created() == null ? 0 : 1) : -1;
          }
          return b.created().compareTo(a.created());
        });
    return out;
  }

  private Map<ImageId, List<String>> tagTable() throws IOException {
    Map<ImageId, List<String>> tags = new HashMap<>();
    for (TreeMap<String, ImageId> repo : refs.read().values()) {
      for (Map.Entry<String, ImageId> e : repo.entrySet()) {
        tags.computeIfAbsent(e.getValue(), k -> new ArrayList<>()).add(e.getKey());
      }
    }
    return tags;
  }

  private boolean layersPresent(ImageConfig c) {
    for (ChainId chain : ChainId.chain(c.diffIds())) {
      if (!layerDb.exists(chain)) {
        return false;
      }
    }
    return true;
  }

  private long size(ImageConfig c) throws IOException {
    long total = 0;
    for (ChainId chain : ChainId.chain(c.diffIds())) {
      total += layerDb.require(chain).size();
    }
    return total;
  }

  private ImageConfig config(ImageId id) throws IOException {
    return imageDb.config(id, json);
  }

  /**
   * Resolves {@code name:tag}, {@code name} (tag latest), {@code name@digest}, a full id ({@code
   * sha256:...} or 64 hex) or a unique id prefix, the way the docker CLI does.
   *
   * @param refOrId what the user typed
   * @return the image's id
   * @throws InvalidReferenceException if {@code refOrId} is empty, or neither a reference nor hex
   * @throws NotFoundException if nothing matches
   * @throws ConflictException if an id prefix matches several images
   * @throws IOException if the stores cannot be read
   */
  public ImageId resolve(String refOrId) throws IOException {
    store.ensureOpen();
    return resolver.resolve(refOrId);
  }

  /**
   * Everything about one image ({@code docker inspect}).
   *
   * @param refOrId a reference or id, resolved as {@link #resolve} does
   * @return the image's facts, including the driver's data on its top layer
   * @throws NotFoundException if nothing matches, or a layer of the image is missing
   * @throws IOException if the image's config or layers cannot be read
   */
  public Image image(String refOrId) throws IOException {
    store.ensureOpen();
    ImageId id = resolve(refOrId);
    ImageConfig c = config(id);
    List<ChainId> chain = ChainId.chain(c.diffIds());
    Optional<LayerRecord> top = layerDb.top(c.diffIds());
    Map<String, String> driverData =
        top.isPresent() ? driver.metadata(top.get().cacheId()) : Map.of();
    List<String> tags = refs.referencesTo(id);
    return new Image(
        id,
        tags,
        imageDb.parent(id).orElse(null),
        c.created(),
        imageDb.lastUpdated(id).orElse(null),
        c.architecture(),
        c.os(),
        size(c),
        c.diffIds(),
        chain,
        driverData,
        c.raw());
  }

  // ---- tags -----------------------------------------------------------------------------------

  /**
   * Points {@code target} ({@code name[:tag]}) at the image {@code source} names. A tag that
   * already points elsewhere is moved, as {@code docker tag} does.
   *
   * @param source a reference or id, resolved as {@link #resolve} does
   * @param target the new tag; {@code latest} is added when no tag is written
   * @throws InvalidReferenceException if {@code target} is not a valid reference, or carries a
   *     digest
   * @throws NotFoundException if {@code source} names no image
   * @throws IOException if the reference store cannot be written
   */
  public void tag(String source, String target) throws IOException {
    store.ensureOpen();
    Reference ref = Reference.parse(target).withDefaultTag();
    if (ref.digest() != null) {
      throw new InvalidReferenceException(
          "refusing to create a tag with a digest reference: " + target);
    }
    try (StoreLocks.Held store = transactions.lockStore()) {
      ImageId id = resolve(source);
      transactions.run(
          Transaction.builder("tag")
              .lastUpdated(id, Instant.now())
              .tag(ref, id, refs.get(ref))
              .build());
    }
  }

  // ---- mount ----------------------------------------------------------------------------------

  /**
   * Mounts the image's root filesystem read-only. Close the mount to give it back. Taken under the
   * store lock, so that a concurrent {@link #remove} either sees the mount (and refuses) or has
   * removed the image first (and this fails with {@link NotFoundException}).
   *
   * @param id the image
   * @return the mount; several mounts of the same image share one underlying mount
   * @throws NotFoundException if the image, or one of its layers, is not in the store
   * @throws LayerStoreException if the image has no layers, so there is nothing to mount
   * @throws IOException if the driver cannot mount it
   */
  public Mount mount(ImageId id) throws IOException {
    store.ensureOpen();
    try (StoreLocks.Held store = transactions.lockStore()) {
      return mountLocked(id);
    }
  }

  /** {@link #mount(ImageId)} with the store lock held. */
  private Mount mountLocked(ImageId id) throws IOException {
    String top =
        topLayer(id)
            .orElseThrow(
                () ->
                    new LayerStoreException(
                        "image " + id + " has no layers; there is no filesystem to mount"));
    return PinnedMount.of(pins, "image " + id, top, () -> driver.get(top, false));
  }

  /**
   * The driver id of the image's top layer, or empty for an image without layers: what mounting,
   * unmounting and asking about a mount of the image need. The top chainID is kept per image
   * ({@link ImageDb#topChain}); the layer's driver id is read each time, since a layer removed and
   * loaded again has a new one.
   */
  private Optional<String> topLayer(ImageId id) throws IOException {
    Optional<ChainId> top = imageDb.topChain(id, json);
    return top.isEmpty() ? Optional.empty() : Optional.of(layerDb.cacheId(top.get()));
  }

  /**
   * Mounts the image named by {@code refOrId}, as {@link #mount(ImageId)} does.
   *
   * @param refOrId a reference or id, resolved as {@link #resolve} does
   * @return the read-only mount
   * @throws NotFoundException if nothing matches
   * @throws IOException if the driver cannot mount it
   */
  public Mount mount(String refOrId) throws IOException {
    store.ensureOpen();
    // resolved under the lock the mount takes anyway: one lock and one look at the journal
    try (StoreLocks.Held store = transactions.lockStore()) {
      return mountLocked(resolver.resolve(refOrId));
    }
  }

  /**
   * Whether the image's root filesystem is mounted now (by this process or another).
   *
   * @param id the image
   * @return {@code true} if a kernel mount of its top layer exists or any process holds a mount of
   *     it; {@code false} for an image without layers
   * @throws NotFoundException if the image is not in the store
   * @throws IOException if the store or the mount table cannot be read
   */
  public boolean isMounted(ImageId id) throws IOException {
    store.ensureOpen();
    transactions.settle();
    Optional<String> top = topLayer(id);
    return top.isPresent() && (driver.isMounted(top.get()) || pins.isPinned(top.get()));
  }

  /**
   * Gives back one mount of the image left with {@link Mount#leaveMounted()} (by this process or
   * another): left-behind mounts are counted, as containers/storage counts {@code podman image
   * mount}s, so each {@code layerstore mount} needs its own {@code umount}, and the mount goes with
   * the last reference anybody holds. Handles open on it elsewhere keep it up.
   *
   * @param id the image
   * @return whether a left-behind mount was there to give back; {@code false} changes nothing
   * @throws NotFoundException if the image is not in the store
   * @throws IOException if the count cannot be changed or the driver cannot unmount it
   */
  public boolean unmount(ImageId id) throws IOException {
    store.ensureOpen();
    Optional<String> top = topLayer(id);
    return top.isPresent() && driver.unmount(top.get());
  }

  /**
   * Drops every reference on the image's mount, whoever took it, left behind or held, and unmounts
   * it ({@code umount --force}). Handles still open on it should not be used afterwards. Does
   * nothing for an image that is not mounted.
   *
   * @param id the image
   * @throws NotFoundException if the image is not in the store
   * @throws IOException if the driver cannot unmount it
   */
  public void unmountAll(ImageId id) throws IOException {
    store.ensureOpen();
    Optional<String> top = topLayer(id);
    if (top.isPresent()) {
      driver.unmountAll(top.get());
    }
  }

  /**
   * Whether the driver can show a mount's branch stack ({@link #mountBranches}): aufs can, overlay2
   * cannot.
   *
   * @return whether {@link #mountBranches} can return anything
   */
  public boolean showsMountBranches() {
    store.ensureOpen();
    return driver instanceof BranchIntrospection;
  }

  /**
   * The branch stack of the image's mount (aufs: its {@code si} id and {@code br<N>} list), for
   * drivers that can show one ({@link #showsMountBranches}).
   *
   * @param id the image
   * @return the branches, or empty when the driver cannot show them, the image has no layers or is
   *     not mounted
   * @throws NotFoundException if the image is not in the store
   * @throws IOException if the mount's state cannot be read
   */
  public Optional<BranchIntrospection.MountBranches> mountBranches(ImageId id) throws IOException {
    store.ensureOpen();
    if (!showsMountBranches()) {
      return Optional.empty();
    }
    Optional<String> top = topLayer(id);
    if (top.isEmpty()) {
      return Optional.empty();
    }
    return ((BranchIntrospection) driver).branches(top.get());
  }

  // ---- save -----------------------------------------------------------------------------------

  /**
   * Writes a {@code docker save} archive of the named images to {@code out}: the archive is written
   * to a temp file next to it and moved over it atomically, so {@code out} is either untouched or
   * the whole archive.
   *
   * @param refsOrIds references or ids, resolved as {@link #resolve} does; images named by a
   *     reference carry that tag in the archive
   * @param out the archive file, replaced if it exists
   * @throws IllegalArgumentException if {@code refsOrIds} is empty
   * @throws NotFoundException if a name matches no image
   * @throws IOException if a layer cannot be read or the archive cannot be written
   */
  public void save(List<String> refsOrIds, Path out) throws IOException {
    store.ensureOpen();
    List<SaveRequest> requests = saveRequests(refsOrIds);
    new SaveOutput(files)
        .file(out, os -> new DockerArchiveWriter(layerDb, driver).write(requests, os));
  }

  /**
   * Writes the named images as {@code options} say: a {@code docker save} archive, or an OCI image
   * layout as a tar or a directory (with {@code oci-layout}, {@code index.json} and, as Docker ≥ 25
   * writes, a {@code manifest.json} that Docker's {@code load} reads), its layers uncompressed or
   * compressed. The same images saved twice give the same bytes. Like {@link #save(List, Path)}, it
   * is all or nothing: a tar is written beside {@code out} and moved over it, a directory is made
   * beside it and renamed to it.
   *
   * @param refsOrIds references or ids, resolved as {@link #resolve} does; images named by a
   *     reference carry that tag in the archive
   * @param out the archive file, replaced if it exists; for {@link SaveOptions.Format#OCI_DIR} the
   *     directory, which must not exist or be empty
   * @param options the format and the layers' compression
   * @throws IllegalArgumentException if {@code refsOrIds} is empty, or the options compress the
   *     layers of a {@code docker save} archive
   * @throws NotFoundException if a name matches no image
   * @throws io.layerstore.ConflictException if the directory to write exists and is not empty, or
   *     is not a directory
   * @throws IOException if a layer cannot be read or the archive cannot be written
   */
  public void save(List<String> refsOrIds, Path out, SaveOptions options) throws IOException {
    store.ensureOpen();
    if (options.format() == SaveOptions.Format.DOCKER) {
      requireUncompressed(options);
      save(refsOrIds, out);
      return;
    }
    List<SaveRequest> requests = saveRequests(refsOrIds);
    OciLayoutWriter writer = ociWriter(options);
    if (options.format() == SaveOptions.Format.OCI_DIR) {
      new SaveOutput(files).directory(out, dir -> writer.writeDirectory(requests, dir));
    } else {
      new SaveOutput(files).file(out, (os, scratch) -> writer.writeTar(requests, scratch, os));
    }
  }

  /**
   * Writes a {@code docker save} archive of the named images to a stream. The stream is not closed;
   * on failure it holds part of an archive.
   *
   * @param refsOrIds references or ids, resolved as {@link #resolve} does; images named by a
   *     reference carry that tag in the archive
   * @param out where the tar goes
   * @throws IllegalArgumentException if {@code refsOrIds} is empty
   * @throws NotFoundException if a name matches no image
   * @throws IOException if a layer cannot be read or the stream cannot be written
   */
  public void save(List<String> refsOrIds, OutputStream out) throws IOException {
    store.ensureOpen();
    new DockerArchiveWriter(layerDb, driver).write(saveRequests(refsOrIds), out);
  }

  /**
   * Writes the named images to a stream as {@code options} say: a {@code docker save} archive, or
   * an OCI image layout as a tar (whose compressed layers, if any, wait in a scratch directory of
   * the store until the tar's index is written). The stream is not closed; on failure it holds part
   * of an archive.
   *
   * @throws IllegalArgumentException if {@code refsOrIds} is empty, the format is {@link
   *     SaveOptions.Format#OCI_DIR} (a directory is no stream), or the options compress the layers
   *     of a {@code docker save} archive
   * @throws NotFoundException if a name matches no image
   * @throws IOException if a layer cannot be read or the stream cannot be written
   */
  public void save(List<String> refsOrIds, OutputStream out, SaveOptions options)
      throws IOException {
    store.ensureOpen();
    switch (options.format()) {
      case DOCKER -> {
        requireUncompressed(options);
        save(refsOrIds, out);
      }
      case OCI_DIR ->
          throw new IllegalArgumentException(
              "an OCI layout directory cannot be written to a stream: save it to a path");
      case OCI -> {
        List<SaveRequest> requests = saveRequests(refsOrIds);
        OciLayoutWriter writer = ociWriter(options);
        try (Scratch scratch = Scratch.directory(store)) {
          writer.writeTar(requests, scratch.path(), out);
        }
      }
    }
  }

  /** A docker save archive holds uncompressed layers, as Docker writes them. */
  private static void requireUncompressed(SaveOptions options) {
    if (options.compression() != SaveOptions.Compression.NONE) {
      throw new IllegalArgumentException(
          "a docker save archive holds uncompressed layers; compressing them ("
              + options.compression()
              + ") needs the OCI format");
    }
  }

  /** The writer of an OCI layout with the layers' compression {@code options} ask for. */
  private OciLayoutWriter ociWriter(SaveOptions options) {
    return new OciLayoutWriter(
        layerDb, driver, io.layerstore.archive.Compression.valueOf(options.compression().name()));
  }

  /** Resolves the names to save: every one must name an image before anything is written. */
  private List<SaveRequest> saveRequests(List<String> refsOrIds) throws IOException {
    if (refsOrIds.isEmpty()) {
      throw new IllegalArgumentException("nothing to save: name at least one image");
    }
    transactions.settle();
    List<SaveRequest> requests = new ArrayList<>();
    for (String r : refsOrIds) {
      ImageId id = resolve(r);
      String tag = null;
      if (!Digest.isValid(r)
          && !id.digest().hex().startsWith(r.startsWith("sha256:") ? r.substring(7) : r)) {
        tag = Reference.parse(r).withDefaultTag().familiarString();
      }
      requests.add(new SaveRequest(id, config(id), tag));
    }
    return requests;
  }

  // ---- remove ---------------------------------------------------------------------------------

  /**
   * What {@link #remove} did, in {@code docker rmi}'s words.
   *
   * @param untagged the references removed, in familiar form ({@code Untagged:})
   * @param deleted the images deleted ({@code Deleted:}); empty when only a tag went
   * @param layersDeleted the layers deleted with them, because nothing else used them
   */
  public record Removal(List<String> untagged, List<ImageId> deleted, List<ChainId> layersDeleted) {
    /**
     * Copies the lists, so the record cannot change after it is made.
     *
     * @param untagged the references removed, in familiar form
     * @param deleted the images deleted
     * @param layersDeleted the layers deleted with them
     */
    public Removal {
      untagged = List.copyOf(untagged);
      deleted = List.copyOf(deleted);
      layersDeleted = List.copyOf(layersDeleted);
    }
  }

  /**
   * Removes a reference, or an image: {@code name:tag} untags, and deletes the image when no other
   * tag points at it; an id deletes the image (when {@linkplain RemoveOptions#force() forced} even
   * if tagged more than once). Layers no other image uses are deleted with it. An image that is the
   * parent of another is kept unless forced; a mounted image cannot be removed.
   *
   * @param refOrId a reference or id, resolved as {@link #resolve} does
   * @param options whether to force
   * @return what was untagged and deleted
   * @throws NotFoundException if nothing matches
   * @throws ConflictException if the image is tagged more than once or has child images (and it is
   *     not forced), is used by a container (even forced), or is mounted
   * @throws IOException if the store cannot be changed
   */
  public Removal remove(String refOrId, RemoveOptions options) throws IOException {
    store.ensureOpen();
    boolean force = options.forced();
    try (StoreLocks.Held store = transactions.lockStore()) {
      ImageId id = resolve(refOrId);
      List<String> tags = refs.referencesTo(id);
      boolean byRef = false;
      Reference ref = null;
      try {
        ref = Reference.parse(refOrId).withDefaultTag();
        byRef = id.equals(refs.get(ref));
      } catch (InvalidReferenceException e) {
        // an id
      }
      if (byRef && tags.size() > 1) {
        TransactionRunner.Outcome o =
            transactions.run(Transaction.builder("untag").untag(ref, id).build());
        return new Removal(o.untagged(), List.of(), List.of());
      }
      if (!byRef && tags.size() > 1 && !force) {
        throw new ConflictException(
            "conflict: unable to delete "
                + id.shortId()
                + " (must be forced) - image is referenced in multiple repositories");
      }
      if (!force) {
        for (ImageId other : imageDb.list()) {
          if (!other.equals(id) && imageDb.parent(other).map(id::equals).orElse(false)) {
            throw new ConflictException(
                "conflict: unable to delete "
                    + id.shortId()
                    + " - image has dependent child images");
          }
        }
      }
      refuseIfContainersUse(id);
      if (isMounted(id)) {
        throw new ConflictException(
            "conflict: unable to delete " + id.shortId() + " - its filesystem is mounted");
      }
      Transaction.Builder b = Transaction.builder("remove");
      for (String t : tags) {
        b.untag(Reference.parse(t), id);
      }
      b.deleteImage(id);
      List<ChainId> chain = ChainId.chain(config(id).diffIds());
      for (int i = chain.size() - 1; i >= 0; i--) {
        Optional<LayerRecord> rec = layerDb.get(chain.get(i));
        if (rec.isPresent()) {
          b.release(rec.get().chainId(), rec.get().cacheId());
        }
      }
      TransactionRunner.Outcome o = transactions.run(b.build());
      return new Removal(o.untagged(), o.deletedImages(), o.deletedLayers());
    }
  }

  /**
   * What {@link #prune} removed.
   *
   * @param images the images deleted
   * @param layers the layers deleted
   * @param bytesFreed the layers' sizes added up, in bytes (their content, as the layerdb records
   *     it)
   */
  public record Pruned(List<ImageId> images, List<ChainId> layers, long bytesFreed) {
    /**
     * Copies the lists, so the record cannot change after it is made.
     *
     * @param images the images deleted
     * @param layers the layers deleted
     * @param bytesFreed the layers' sizes added up, in bytes
     */
    public Pruned {
      images = List.copyOf(images);
      layers = List.copyOf(layers);
    }
  }

  /**
   * Removes dangling images (no tag, not the parent of another image, no container on them; with
   * {@link PruneOptions#all()}, also untagged parents) and every layer that no remaining image or
   * container uses — including layers left unreferenced by Docker or by an interrupted load. Layers
   * that are mounted, or pinned by a running load, stay. What builds kept for layers the store no
   * longer has (cache entries, compressed blobs) goes too.
   *
   * @param options whether to remove untagged parents too
   * @return what was removed; empty lists when there was nothing to prune
   * @throws IOException if the store cannot be read or changed
   */
  public Pruned prune(PruneOptions options) throws IOException {
    store.ensureOpen();
    try (StoreLocks.Held store = transactions.lockStore()) {
      TransactionRunner.Outcome o = transactions.run(gc.planPrune(options.untaggedParents()));
      // lock files of chains that are gone (the per-chain files of earlier versions)
      locks.removeStaleChainFiles(hex -> Digest.isValid(hex) && layerDb.exists(ChainId.parse(hex)));
      // what builds kept of layers that are gone: their gzip blobs would otherwise stay forever
      builds.prune();
      return new Pruned(o.deletedImages(), o.deletedLayers(), o.bytesFreed());
    }
  }

  // ---- fsck -----------------------------------------------------------------------------------

  /**
   * Checks that layers, driver directories, images, references and container layers agree, and with
   * {@link CheckOptions#deep()} that every layer's files still rebuild its tar to its diffID. With
   * {@link CheckOptions#repair()}, removes what is safe to remove (leftovers of interrupted work,
   * unused layers, references and records of images that are gone) and reports the rest.
   *
   * @param options how deep to go and whether to repair
   * @return what was found (and repaired); problems are reported, not thrown
   * @throws IOException if the store cannot be read at all, or a repair fails
   */
  public CheckReport check(CheckOptions options) throws IOException {
    store.ensureOpen();
    return new Fsck(store, containers::driverIds)
        .check(options.rehashLayers(), options.repairing());
  }

  /**
   * {@code check(CheckOptions.defaults())}: a read-only metadata check.
   *
   * @return what was found
   * @throws IOException if the store cannot be read at all
   */
  public CheckReport check() throws IOException {
    store.ensureOpen();
    return check(CheckOptions.defaults());
  }

  // ---- containers -----------------------------------------------------------------------------

  /**
   * Starts building an image from files on {@code baseRefOrId}, as Jib does: reproducible layers
   * cached by their inputs, no container (see {@link io.layerstore.build}).
   *
   * @param baseRefOrId the base image, resolved as {@link #resolve} does
   * @return a builder; nothing is stored until its {@code tag} or {@code build}
   * @throws NotFoundException if nothing matches
   * @throws IOException if the stores cannot be read
   */
  public ImageBuilder build(String baseRefOrId) throws IOException {
    store.ensureOpen();
    return builds.start(resolve(baseRefOrId));
  }

  /**
   * Starts building an image from files on nothing ({@code FROM scratch}).
   *
   * @return a builder; nothing is stored until its {@code tag} or {@code build}
   */
  public ImageBuilder build() {
    store.ensureOpen();
    return builds.start(null);
  }

  /**
   * The store's containers: create, mount, changes, commit, export, remove.
   *
   * @return the containers of this store; one instance per store, closed with it
   */
  public Containers containers() {
    store.ensureOpen();
    return containers;
  }

  /**
   * An image a container was made from stays until the container is removed, even when forced: the
   * container's layers sit on the image's, and its commits need the image's config.
   */
  private void refuseIfContainersUse(ImageId id) throws IOException {
    Optional<String> user = containers.userOf(id);
    if (user.isPresent()) {
      throw new ConflictException(
          "conflict: unable to delete "
              + id.shortId()
              + " - image is being used by container "
              + user.get()
              + " (remove the container first)");
    }
  }

  /**
   * Releases the pins this process holds on mounts (logging, not throwing, if that fails) and
   * closes the driver, which unmounts what this process still has mounted. Mounts left with {@link
   * Mount#leaveMounted()} stay; other open mounts should be closed first: those still open are
   * named in a warning, because their roots stop working (an in-process root's file system is
   * closed, a kernel mount point shows the empty directory below it). Afterwards every method but
   * this one throws {@link IllegalStateException}; closing again does nothing.
   *
   * @throws IOException if the driver cannot be closed
   */
  @Override
  public void close() throws IOException {
    if (!store.markClosed()) {
      return;
    }
    List<String> open = pins.openMounts();
    if (!open.isEmpty()) {
      LOG.warn(
          "store {} closed with {} mount(s) still open, which end now and must not be used: {}",
          layout.root(),
          open.size(),
          String.join(", ", open));
    }
    try {
      pins.releaseAll();
    } catch (IOException e) {
      LOG.warn("could not release mount pins: {}", e.toString());
    }
    try {
      driver.close();
    } finally {
      try {
        locks.close();
      } finally {
        store.closePlatform(); // its mount thread would otherwise outlive the store
      }
    }
  }
}
