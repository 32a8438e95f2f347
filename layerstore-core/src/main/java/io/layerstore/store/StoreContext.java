package io.layerstore.store;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.RegistryOptions;
import io.layerstore.archive.UnpackOptions;
import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.platform.Platform;
import io.layerstore.platform.Tree;
import io.layerstore.registry.RegistryClient;
import io.layerstore.spi.DriverContext;
import io.layerstore.spi.DriverProvider;
import io.layerstore.spi.GraphDriver;
import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The parts of one open store, made once when the store is opened and shared by everything that
 * works on it: the {@code LayerStore} facade, loads and saves, recovery, fsck and the container
 * area take this instead of the parts one by one.
 *
 * <p>Internal: only {@code LayerStore} makes one, and hands it to its collaborators; it is public
 * because the facade and the container area are in other packages. Making it does no recovery:
 * {@code LayerStore} runs {@link Recovery} on the finished context before anything else uses it.
 */
public final class StoreContext {

  /** How a store is opened; see {@code LayerStore.Builder}. */
  public record Options(
      String driver,
      Platform platform,
      boolean durable,
      UnpackOptions unpack,
      long maxLayerBytes,
      long maxImageBytes,
      Map<String, String> driverOptions,
      RegistryOptions registry) {}

  private final StoreLayout layout;
  private final Platform platform;

  /**
   * Whether this store chose its platform, and so closes it (a platform handed in is the caller's).
   */
  private final boolean ownsPlatform;

  private final LayerTrees trees;
  private final GraphDriver driver;
  private final AtomicFiles files;
  private final ObjectMapper json = new ObjectMapper();
  private final LayerDb layerDb;
  private final ImageDb imageDb;
  private final ReferenceStore refs;
  private final StoreLocks locks;
  private final LayerStaging staging;
  private final MountPins pins;
  private final GarbageCollector gc;
  private final TransactionRunner transactions;
  private final Publisher publisher;
  private final DistributionMetadata distribution;
  private final ImageBigData bigData;

  /** The caller's registry options; null until the first pull or push reads the environment's. */
  private RegistryOptions registryOptions;

  /** Made on the first pull or push: a store that never talks to a registry opens none. */
  private RegistryClient registry;

  /** Set by {@link #close}; every public operation of the store checks it first. */
  private final AtomicBoolean closed = new AtomicBoolean();

  private StoreContext(Path root, Options options, DriverProvider provider) throws IOException {
    this.layout = new StoreLayout(root, options.driver());
    this.ownsPlatform = options.platform() == null;
    this.platform = ownsPlatform ? Platform.forRoot(root) : options.platform();
    this.trees = new LayerTrees(platform, layout.stateDir());
    this.files = new AtomicFiles(new SecureRandom(), options.durable());
    this.locks = new StoreLocks(layout.locksDir());
    AtomicFiles.ensureDirectory(layout.imageTop(), StoreLayout.IMAGE_DIR_MODE);
    AtomicFiles.ensureDirectory(layout.imageRoot(), StoreLayout.IMAGE_DIR_MODE);
    AtomicFiles.ensureDirectory(layout.stateDir(), StoreLayout.STATE_DIR_MODE);
    // made here, not by the first scratch: an operation that fails leaves the store as it was
    AtomicFiles.ensureDirectory(layout.scratchDir(), 0700);
    this.layerDb = new LayerDb(layout.layerDb(), files);
    this.imageDb = new ImageDb(layout.imageDb(), files);
    this.refs = new ReferenceStore(layout.repositoriesJson(), files, json);
    layerDb.initialize();
    imageDb.initialize();
    this.driver =
        provider.open(new DriverContext(root, layout.stateDir(), trees, options.driverOptions()));
    this.staging =
        new LayerStaging(
            layerDb,
            driver,
            files,
            locks,
            trees,
            options.unpack(),
            options.maxLayerBytes(),
            options.maxImageBytes());
    this.pins = new MountPins(layout.locksDir());
    // The collector keeps the parts it works on, all set above; it does nothing until a change
    // runs.
    this.gc = new GarbageCollector(this);
    this.transactions =
        new TransactionRunner(
            new Journal(layout.journalDir(), files, json),
            layerDb,
            imageDb,
            refs,
            driver,
            locks,
            gc);
    this.publisher = new Publisher(staging, transactions, refs);
    this.distribution = new DistributionMetadata(layout, files, json, locks);
    this.bigData = new ImageBigData(layout, files, json, locks);
    // Without options of the caller's, the environment's are read on the first pull or push
    // (daemon.json included), so a store that never talks to a registry never reads them.
    this.registryOptions = options.registry();
  }

  /**
   * Makes the parts of the store at {@code root} (creating its directories) and opens its driver
   * with {@code provider}. Close {@link #driver()} when done.
   */
  public static StoreContext open(Path root, Options options, DriverProvider provider)
      throws IOException {
    return new StoreContext(root, options, provider);
  }

  /**
   * Throws unless the store is open: a closed store's driver has given back its mounts and pins, so
   * whatever a call did next would work on a store nothing guards any more.
   *
   * @throws IllegalStateException if {@link #close} was called
   */
  public void ensureOpen() {
    if (closed.get()) {
      throw new IllegalStateException("store " + layout.root() + " is closed");
    }
  }

  /**
   * Marks the store closed; later calls of {@link #ensureOpen} throw.
   *
   * @return whether this call closed it ({@code false} if it was closed already)
   */
  public boolean markClosed() {
    boolean now = closed.compareAndSet(false, true);
    if (now) {
      synchronized (this) {
        if (registry != null) {
          registry.close();
          registry = null;
        }
      }
    }
    return now;
  }

  /** Closes the platform if this store chose it; the last step of closing the store. */
  public void closePlatform() {
    if (ownsPlatform) {
      platform.close();
    }
  }

  /** How this store reaches registries. */
  public synchronized RegistryOptions registryOptions() throws IOException {
    if (registryOptions == null) {
      registryOptions = RegistryOptions.fromEnvironment();
    }
    return registryOptions;
  }

  /** The store's one registry client (thread-safe; its connections and tokens are shared). */
  public synchronized RegistryClient registry() throws IOException {
    ensureOpen();
    if (registry == null) {
      registry = RegistryClient.create(registryOptions());
    }
    return registry;
  }

  public StoreLayout layout() {
    return layout;
  }

  public Platform platform() {
    return platform;
  }

  /** The trees of the driver's layer directories, shared with the driver's mounts. */
  public LayerTrees trees() {
    return trees;
  }

  /** The tree of the driver's layer {@code id} (which must exist), shared with its mounts. */
  public Tree tree(String id) throws IOException {
    return trees.diff(driver, id);
  }

  /** How the driver's layer directories record deletions. */
  public WhiteoutFormat whiteouts() {
    return LayerTrees.whiteouts(driver);
  }

  public GraphDriver driver() {
    return driver;
  }

  public AtomicFiles files() {
    return files;
  }

  public ObjectMapper json() {
    return json;
  }

  public LayerDb layerDb() {
    return layerDb;
  }

  public ImageDb imageDb() {
    return imageDb;
  }

  public ReferenceStore refs() {
    return refs;
  }

  public StoreLocks locks() {
    return locks;
  }

  public LayerStaging staging() {
    return staging;
  }

  public MountPins pins() {
    return pins;
  }

  public GarbageCollector gc() {
    return gc;
  }

  /** Runs the store's journaled transactions (the journal is its own). */
  public TransactionRunner transactions() {
    return transactions;
  }

  public Publisher publisher() {
    return publisher;
  }

  /** Docker's record of layers' compressed blobs ({@code image/<driver>/distribution/}). */
  DistributionMetadata distribution() {
    return distribution;
  }

  /** The manifest and index bytes images came with, and the indexes references stand for. */
  public ImageBigData bigData() {
    return bigData;
  }
}
