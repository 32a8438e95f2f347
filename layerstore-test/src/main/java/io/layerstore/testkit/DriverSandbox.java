package io.layerstore.testkit;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.LayerStore;
import io.layerstore.PlatformMode;
import io.layerstore.platform.KernelMounts;
import io.layerstore.platform.Platform;
import io.layerstore.spi.DriverContext;
import io.layerstore.spi.DriverProvider;
import io.layerstore.spi.GraphDriver;
import io.layerstore.store.LayerTrees;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;

/**
 * A throw-away data-root for one contract test: a temporary directory on disk or a fresh jimfs, the
 * platform for it, and the driver under test opened on it through its {@link DriverProvider} (as
 * the store finds drivers). Closing closes the driver and the store, checks that nothing stayed
 * mounted below the root, and deletes everything.
 */
public final class DriverSandbox implements Closeable {

  /** The jimfs configuration stores on jimfs use: unix paths with every view the union needs. */
  public static final Configuration JIMFS_CONFIG =
      Configuration.unix().toBuilder()
          .setAttributeViews("basic", "owner", "posix", "unix", "user")
          .build();

  private final String driverName;
  private final Backing backing;
  private final Map<String, String> options;
  private final FileSystem jimfs;
  private final Path base;
  private final Path dataRoot;
  private final Platform platform;
  private GraphDriver driver;
  private LayerOps layerOps;
  private LayerStore store;

  private DriverSandbox(String driverName, Backing backing, Map<String, String> options)
      throws IOException {
    this.driverName = driverName;
    this.backing = backing;
    this.options = Map.copyOf(options);
    if (backing == Backing.JIMFS) {
      jimfs = Jimfs.newFileSystem(JIMFS_CONFIG);
      base = jimfs.getPath("/sandbox");
      Files.createDirectories(base);
      dataRoot = base.resolve("data-root");
      platform = Platform.emulated();
    } else {
      jimfs = null;
      base = Files.createTempDirectory("layerstore-kit-").toRealPath();
      dataRoot = base.resolve("data-root");
      platform = Platform.forRoot(dataRoot);
    }
    Files.createDirectories(dataRoot);
  }

  /**
   * A fresh sandbox; the driver is opened on first use. On disk, the sandbox is a new temporary
   * directory (resolved to its real path, so that mount points compare equal); on jimfs, a new file
   * system of {@link #JIMFS_CONFIG} with an emulated platform.
   *
   * @param driverName the driver under test, as its {@link DriverProvider} names it
   * @param backing where the data-root lives
   * @param options the driver options, copied
   * @return the sandbox; close it to clean up
   * @throws IOException if the directories cannot be made
   */
  public static DriverSandbox create(
      String driverName, Backing backing, Map<String, String> options) throws IOException {
    return new DriverSandbox(driverName, backing, options);
  }

  /**
   * Where the data-root lives.
   *
   * @return the backing the sandbox was created with
   */
  public Backing backing() {
    return backing;
  }

  /**
   * The data-root the driver and the store are opened on.
   *
   * @return {@code <sandbox>/data-root}, on the sandbox's file system
   */
  public Path dataRoot() {
    return dataRoot;
  }

  /**
   * Scratch space beside the data-root (same file system), for archives and trees a test builds.
   *
   * @return {@code <sandbox>/scratch}, created if missing; deleted with the sandbox
   * @throws IOException if it cannot be created
   */
  public Path scratch() throws IOException {
    Path p = base.resolve("scratch");
    Files.createDirectories(p);
    return p;
  }

  /**
   * The platform for the sandbox's file system: {@link Platform#forRoot} on disk, {@link
   * Platform#emulated()} on jimfs.
   *
   * @return the platform the driver and the store are opened with
   */
  public Platform platform() {
    return platform;
  }

  /**
   * The sandbox's platform as a store option: a store opened with it gets the platform the driver
   * has (emulated on jimfs, else whatever the host allows).
   *
   * @return {@link PlatformMode#NATIVE} where the sandbox's platform is native, else {@link
   *     PlatformMode#EMULATED}
   */
  public PlatformMode platformMode() {
    return platform.isNative() ? PlatformMode.NATIVE : PlatformMode.EMULATED;
  }

  /**
   * The driver under test.
   *
   * @return its name, as its {@link DriverProvider} gives it
   */
  public String driverName() {
    return driverName;
  }

  /**
   * What the driver is opened with: a fresh view of the layer directories on the sandbox's platform
   * each time, as a new process would have.
   *
   * @return a new context on the data-root, with state under {@code <data-root>/layerstore}, the
   *     sandbox's platform and driver options
   */
  public DriverContext context() {
    return new DriverContext(dataRoot, stateDir(), trees(), options);
  }

  /** A fresh view of the layer directories on the sandbox's platform. */
  private LayerTrees trees() {
    return new LayerTrees(platform, stateDir());
  }

  private Path stateDir() {
    return dataRoot.resolve("layerstore");
  }

  /**
   * The provider registered under the driver's name, as {@link java.util.ServiceLoader} finds it
   * through this class's loader.
   *
   * @param name the driver's name
   * @return the first provider with that name
   * @throws IllegalStateException if none is on the class path
   */
  public static DriverProvider provider(String name) {
    for (DriverProvider p :
        ServiceLoader.load(DriverProvider.class, DriverSandbox.class.getClassLoader())) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    throw new IllegalStateException("no DriverProvider named " + name + " on the test class path");
  }

  /**
   * The driver under test (opened once). Not thread-safe, like the rest of the sandbox: one test,
   * one thread.
   *
   * @return the open driver; closed with the sandbox, or by {@link #reopen()}
   * @throws IOException if the driver cannot be opened
   */
  public GraphDriver driver() throws IOException {
    if (driver == null) {
      DriverContext context = context();
      driver = provider(driverName).open(context);
      layerOps = new LayerOps(driver, (LayerTrees) context.platform());
    }
    return driver;
  }

  /**
   * The store's operations on the layers of the driver under test (opened if it is not yet),
   * through the view of the layer directories that driver was opened with; after {@link #reopen()}
   * ask again, for the new driver's.
   *
   * @return the operations on {@link #driver()}'s layers
   * @throws IOException if the driver cannot be opened
   */
  public LayerOps layerOps() throws IOException {
    driver();
    return layerOps;
  }

  /**
   * Closes the current driver instance and opens a new one on the same root, like a restart.
   *
   * @return the new driver
   * @throws IOException if the old driver cannot be closed or the new one opened
   */
  public GraphDriver reopen() throws IOException {
    if (driver != null) {
      GraphDriver old = driver;
      driver = null;
      layerOps = null;
      old.close();
    }
    return driver();
  }

  /**
   * A store on the sandbox root with the driver under test (opened once; closed with the sandbox).
   *
   * @return the open store, from {@link #storeBuilder()}
   * @throws IOException if the store cannot be opened
   */
  public LayerStore store() throws IOException {
    if (store == null) {
      store = storeBuilder().open();
    }
    return store;
  }

  /**
   * A builder for a store on the sandbox root with this driver, platform and driver options, for
   * tests that need other store options; the caller closes what it opens.
   *
   * @return a new builder
   */
  public LayerStore.Builder storeBuilder() {
    LayerStore.Builder b = LayerStore.builder(dataRoot).driver(driverName).platform(platformMode());
    options.forEach(b::driverOption);
    return b;
  }

  /**
   * Closes the store opened by {@link #store()}, if any; the next {@link #store()} opens a new one.
   *
   * @throws IOException if closing the store fails
   */
  public void closeStore() throws IOException {
    if (store != null) {
      LayerStore s = store;
      store = null;
      s.close();
    }
  }

  /**
   * Kernel mount points at or below the data-root, from {@code /proc/self/mountinfo} (none on
   * jimfs, where nothing can be mounted, or where there is no mountinfo).
   *
   * @return the mount points in mountinfo order, unescaped
   * @throws IOException if mountinfo cannot be read
   */
  public List<String> kernelMountsBelow() throws IOException {
    List<String> out = new ArrayList<>();
    Path info = Path.of("/proc/self/mountinfo");
    if (jimfs != null || !Files.isReadable(info)) {
      return out;
    }
    String prefix = dataRoot.toString();
    for (String line : Files.readAllLines(info, StandardCharsets.ISO_8859_1)) {
      String[] f = line.split(" ");
      if (f.length < 5) {
        continue;
      }
      String mp = unescape(f[4]);
      if (mp.equals(prefix) || mp.startsWith(prefix + "/")) {
        out.add(mp);
      }
    }
    return out;
  }

  /** Undoes the kernel's octal escapes of a mountinfo field. */
  static String unescape(String field) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] s = field.getBytes(StandardCharsets.ISO_8859_1);
    for (int i = 0; i < s.length; i++) {
      if (s[i] == '\\' && i + 3 < s.length) {
        b.write(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
        i += 3;
      } else {
        b.write(s[i]);
      }
    }
    return new String(b.toByteArray(), StandardCharsets.UTF_8);
  }

  /**
   * Closes store and driver, then fails if anything is still mounted below the root (after
   * unmounting it, so one failing test does not leave the machine dirty), and deletes the sandbox.
   *
   * @throws AssertionError if something was still mounted below the data-root
   * @throws IOException if closing the store or the driver, or deleting the sandbox, failed (the
   *     first such failure)
   */
  @Override
  public void close() throws IOException {
    IOException failure = null;
    try {
      closeStore();
    } catch (IOException e) {
      failure = e;
    }
    if (driver != null) {
      try {
        driver.close();
      } catch (IOException e) {
        failure = failure == null ? e : failure;
      }
      driver = null;
      layerOps = null;
    }
    List<String> left = kernelMountsBelow();
    if (!left.isEmpty()) {
      KernelMounts km =
          Objects.requireNonNull(platform.kernelMounts().orElse(null), "kernel mounts");
      for (int i = left.size() - 1; i >= 0; i--) {
        try {
          km.unmount(Path.of(left.get(i)), KernelMounts.MNT_DETACH);
        } catch (IOException e) {
          // reported below anyway
        }
      }
    }
    try {
      if (jimfs != null) {
        jimfs.close();
      } else {
        platform.deleteRecursively(base);
      }
    } catch (IOException e) {
      failure = failure == null ? e : failure;
    }
    if (!left.isEmpty()) {
      throw new AssertionError("still mounted after the driver was closed: " + left);
    }
    if (failure != null) {
      throw failure;
    }
  }
}
