package io.layerstore.cli;

import io.layerstore.LayerStore;
import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code layerstore}: a docker-like command line over a store directory.
 *
 * <pre>
 * layerstore [--root DIR] [--driver NAME] [--debug] COMMAND ...
 * </pre>
 */
public final class Main {

  private final PrintStream out;
  private final PrintStream err;

  Main(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    System.exit(new Main(System.out, System.err).run(args));
  }

  /** Runs one command; returns the exit status. */
  int run(String[] argv) {
    Deque<String> args = new ArrayDeque<>(List.of(argv));
    Path root = null;
    String driver = null;
    boolean debug = false;
    while (!args.isEmpty() && args.peek().startsWith("-")) {
      String a = args.poll();
      switch (a) {
        case "--root":
          root = Path.of(need(args, a));
          break;
        case "--driver":
        case "-s":
          driver = need(args, a);
          break;
        case "--debug":
        case "-D":
          debug = true;
          break;
        case "-h":
        case "--help":
          usage(out);
          return 0;
        default:
          if (a.startsWith("--root=")) {
            root = Path.of(a.substring(7));
          } else if (a.startsWith("--driver=")) {
            driver = a.substring(9);
          } else {
            err.println("unknown flag: " + a);
            usage(err);
            return 2;
          }
      }
    }
    if (args.isEmpty()) {
      usage(err);
      return 2;
    }
    String command = args.poll();
    Map<String, Command> commands = commands();
    Command c = commands.get(command);
    if (c == null) {
      err.println("layerstore: '" + command + "' is not a layerstore command.");
      usage(err);
      return 2;
    }
    Context ctx = new Context(root == null ? defaultRoot() : root, driver, out, err);
    try {
      return c.run(ctx, new ArrayList<>(args));
    } catch (UsageException e) {
      err.println(e.getMessage());
      return 2;
    } catch (LayerStoreException | IllegalArgumentException e) {
      err.println("Error: " + e.getMessage());
      if (debug) {
        e.printStackTrace(err);
      }
      return 1;
    } catch (IOException | RuntimeException e) {
      err.println("Error: " + e);
      if (debug) {
        e.printStackTrace(err);
      }
      return 1;
    } finally {
      ctx.close();
    }
  }

  private static String need(Deque<String> args, String flag) {
    String v = args.poll();
    if (v == null) {
      throw new IllegalArgumentException("flag needs an argument: " + flag);
    }
    return v;
  }

  /** {@code $XDG_DATA_HOME/layerstore}, else {@code ~/.local/share/layerstore}. */
  static Path defaultRoot() {
    String xdg = System.getenv("XDG_DATA_HOME");
    if (xdg != null && !xdg.isEmpty()) {
      return Path.of(xdg, "layerstore");
    }
    return Path.of(System.getProperty("user.home"), ".local", "share", "layerstore");
  }

  private Map<String, Command> commands() {
    Map<String, Command> m = new TreeMap<>();
    ImageCommands images = new ImageCommands();
    ContainerCommands containers = new ContainerCommands(images);
    m.put("load", images::load);
    m.put("images", images::images);
    m.put("inspect", images::inspect);
    m.put("mount", containers::mount);
    m.put("umount", containers::umount);
    m.put("save", images::save);
    m.put("rmi", images::rmi);
    m.put("tag", images::tag);
    m.put("import", images::importLayer);
    m.put("create", containers::create);
    m.put("ps", containers::ps);
    m.put("diff", containers::diff);
    m.put("commit", containers::commit);
    m.put("export", containers::export);
    m.put("rm", containers::rm);
    m.put("bench-commit", new CommitBenchmark()::run);
    StoreCommands store = new StoreCommands();
    m.put("fsck", store::fsck);
    m.put("prune", store::prune);
    m.put("demo", new Demo()::run);
    m.put("bench-load", new LoadBenchmark()::run);
    m.put("bench-durability", new DurabilityBenchmark()::run);
    return m;
  }

  static void usage(PrintStream s) {
    s.println("Usage: layerstore [--root DIR] [--driver NAME] [--debug] COMMAND");
    s.println();
    s.println("A Docker-compatible image store without a daemon.");
    s.println();
    s.println("Commands:");
    s.println("  load -i FILE              Load images from a docker save archive");
    s.println("  images                    List images");
    s.println("  inspect IMAGE...          Show details of images as JSON");
    s.println(
        "  inspect --mount IMAGE...  Show the branches of an image's mount (aufs: si, br0..brN)");
    s.println(
        "  mount IMAGE|CONTAINER     Mount an image's (read-only) or a container's (read-write)");
    s.println("                            root filesystem and print its path");
    s.println("  umount IMAGE|CONTAINER    Unmount it");
    s.println("  save -o FILE IMAGE...     Save images to a docker save archive");
    s.println("  rmi [-f] IMAGE...         Remove images");
    s.println("  tag SOURCE TARGET         Create a tag TARGET that refers to SOURCE");
    s.println(
        "  import FILE [REPO[:TAG]]  Create an image from a layer tarball (plain, gzip or zstd)");
    s.println(
        "  create [--name N] IMAGE   Create a container (init layer + read-write layer) from an image");
    s.println("  ps                        List containers");
    s.println("  diff CONTAINER            List what a container changed (A/C/D)");
    s.println("  commit CONTAINER [REPO[:TAG]]  Make an image from a container's changes");
    s.println("  export -o FILE CONTAINER  Write a container's file system as a tar");
    s.println("  rm [-f] CONTAINER...      Remove containers");
    s.println(
        "  prune [-a]                Remove dangling (-a: untagged) images and layers nothing uses");
    s.println(
        "  fsck [--repair] [--deep]  Check the store (--deep: re-hash every layer); --repair fixes what is safe");
    s.println("  demo                      Show the library at work in a temporary store");
    s.println(
        "  bench-load FILE           Time loading an archive beside docker load and tar+sha256sum");
    s.println("  bench-commit FILE...      Time creating and committing a container beside docker");
    s.println("  bench-durability FILE     Time load, tag and rmi with and without fsync");
    s.println();
    s.println(
        "IMAGE is name[:tag], a full or short image id; CONTAINER a name, a full or short container id.");
    s.println("--root defaults to " + defaultRoot() + ".");
    s.println("--driver is overlay2 (default) or aufs; a store keeps the driver it has layers of.");
  }

  /** One CLI command. */
  interface Command {
    int run(Context ctx, List<String> args) throws IOException;
  }

  /** Wrong use of a command: printed without "Error:", exit status 2. */
  static final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /** What a command runs with; opens the store lazily. */
  static final class Context {
    final Path root;
    final String driver;
    final PrintStream out;
    final PrintStream err;
    private LayerStore store;

    Context(Path root, String driver, PrintStream out, PrintStream err) {
      this.root = root;
      this.driver = driver;
      this.out = out;
      this.err = err;
    }

    LayerStore store() throws IOException {
      if (store == null) {
        LayerStore.Builder b = LayerStore.builder(root);
        if (driver != null) {
          b.driver(driver);
        }
        store = b.open();
      }
      return store;
    }

    void close() {
      if (store != null) {
        try {
          store.close();
        } catch (IOException e) {
          err.println("warning: " + e.getMessage());
        }
      }
    }
  }
}
