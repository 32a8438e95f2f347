package io.layerstore.cli;

import io.layerstore.LayerStore;
import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * {@code layerstore}: a docker-like command line over a store directory.
 *
 * <pre>
 * layerstore [--root DIR] [--driver NAME] [--debug] COMMAND ...
 * </pre>
 *
 * <p>The arguments are parsed by picocli from specs built in code (no annotation scanning at
 * start-up); each command group ({@link ImageCommands}, {@link ContainerCommands}, {@link
 * StoreCommands}, {@link BenchCommands}, {@link Completion}) declares its commands. Exit status as
 * docker's: 0 on success, 1 when the operation failed, {@value #USAGE_ERROR} for a usage error.
 */
public final class Main {

  /** The exit status of a usage error: a bad command, flag, value or number of arguments. */
  static final int USAGE_ERROR = 125;

  static final String NAME = "layerstore";

  private final InputStream in;
  private final PrintStream out;
  private final PrintStream err;

  Main(PrintStream out, PrintStream err) {
    this(System.in, out, err);
  }

  /** A command line reading {@code in} where a command reads stdin ({@code load} without -i). */
  Main(InputStream in, PrintStream out, PrintStream err) {
    this.in = in;
    this.out = out;
    this.err = err;
  }

  public static void main(String[] args) {
    startPreparing();
    ProcessExit.exit(new Main(System.out, System.err).run(args));
  }

  /**
   * Classes nearly every command initializes, slow to initialize and independent of the command
   * line: Jackson's {@code ObjectMapper} (its date formats: about 25 ms) and the C library through
   * JNA (unpacking and loading JNA's native part: about 30 ms). The main thread meanwhile builds
   * and runs the parser; when it reaches one of these, it waits for the initialization under way
   * (the JVM's class initialization lock) instead of doing it again. The two take about 55 ms of
   * CPU, but the second core is busy with the JIT at start-up too: a listing starts about 10 ms
   * sooner (medians of 21). Class names, not class literals: a literal would initialize nothing and
   * load the class on the main thread.
   */
  static final List<String> PREPARED =
      List.of("com.fasterxml.jackson.databind.ObjectMapper", "io.layerstore.platform.LibC");

  private static void startPreparing() {
    if (!System.getProperty("os.name", "").startsWith("Linux")) {
      return; // LibC is Linux's; elsewhere its failure belongs to the platform check
    }
    Thread t =
        new Thread(
            () -> {
              ClassLoader loader = Main.class.getClassLoader();
              for (String name : PREPARED) {
                try {
                  Class.forName(name, true, loader);
                } catch (ClassNotFoundException | LinkageError e) {
                  // the command meets the same failure where it needs the class, and reports it
                }
              }
            },
            "layerstore-prepare");
    t.setDaemon(true);
    t.start();
  }

  /**
   * The global options, before the command: {@code --root}, {@code --driver}, {@code --debug},
   * {@code --help}. Parsing stops at the command's name; the rest is the command's.
   */
  private static CommandSpec globalSpec() {
    CommandSpec root = CommandSpec.create().name(NAME);
    root.usageMessage()
        .customSynopsis("[OPTIONS] COMMAND")
        .description("A Docker-compatible image store without a daemon.");
    root.addOption(Cli.option(Path.class, Types.PATH, "DIR", "The store directory", "--root"));
    root.addOption(
        Cli.option("NAME", "The graph driver: overlay2 (default) or aufs", "-s", "--driver"));
    root.addOption(Cli.flag("Print stack traces of errors", "-D", "--debug"));
    root.addOption(
        OptionSpec.builder("-h", "--help").usageHelp(true).description("Print usage").build());
    root.addOption(
        OptionSpec.builder("-v", "--version")
            .versionHelp(true)
            .description("Print version information and quit")
            .build());
    root.parser().stopAtPositional(true);
    return root;
  }

  /** The command groups. */
  static List<Cli.Group> groups() {
    ImageCommands images = new ImageCommands();
    return List.of(
        images,
        new ContainerCommands(images),
        new BuildCommand(),
        new StoreCommands(),
        new RegistryCommands(),
        new BenchCommands(),
        new Completion());
  }

  /** Every command's spec. */
  static List<CommandSpec> commands() {
    List<CommandSpec> all = new ArrayList<>();
    for (Cli.Group g : groups()) {
      for (String name : g.names()) {
        all.add(g.spec(name));
      }
    }
    return all;
  }

  /**
   * The whole command line, global options and every command, for completion and suggestions. A run
   * builds only the {@link CommandLine} of the command it runs (start-up time).
   */
  static CommandLine commandLine() {
    CommandSpec root = globalSpec();
    root.parser().stopAtPositional(false);
    CommandLine cl = new CommandLine(root);
    for (CommandSpec c : commands()) {
      cl.addSubcommand(c.name(), new CommandLine(c));
    }
    configure(cl);
    return cl;
  }

  /** The parser's settings, docker's way: a repeated flag's last value wins; no @file expansion. */
  static void configure(CommandLine cl) {
    cl.setOverwrittenOptionsAllowed(true);
    cl.setExpandAtFiles(false);
  }

  /** Runs one command; returns the exit status. */
  int run(String[] argv) {
    CommandSpec global = globalSpec();
    global.addPositional(Cli.args("0..*", "0..*", "COMMAND"));
    CommandLine cl = new CommandLine(global);
    configure(cl);
    ParseResult parsed;
    try {
      parsed = cl.parseArgs(argv);
    } catch (ParameterException e) {
      return usageError(e, Boolean.TRUE.equals(global.findOption("--debug").getValue()));
    }
    boolean debug = parsed.hasMatchedOption("--debug");
    if (parsed.isUsageHelpRequested()) {
      usage(out);
      return 0;
    }
    if (parsed.isVersionHelpRequested()) {
      out.println(version());
      return 0;
    }
    List<String> rest = Cli.positionals(parsed);
    if (rest.isEmpty()) {
      usage(err);
      return USAGE_ERROR;
    }
    String name = rest.get(0);
    Cli.Group group = null;
    for (Cli.Group g : groups()) {
      if (g.names().contains(name)) {
        group = g;
      }
    }
    if (group == null) {
      return usageError(unknownCommand(name), debug);
    }
    CommandSpec spec = group.spec(name);
    CommandLine commandLine = new CommandLine(spec);
    configure(commandLine);
    ParseResult args;
    try {
      args = commandLine.parseArgs(rest.subList(1, rest.size()).toArray(String[]::new));
    } catch (ParameterException e) {
      return usageError(e, debug);
    }
    if (args.isUsageHelpRequested()) {
      out.print(Cli.help(spec));
      return 0;
    }
    Path root = parsed.matchedOptionValue("--root", null);
    String driver = parsed.matchedOptionValue("--driver", null);
    Context ctx = new Context(root == null ? defaultRoot() : root, driver, in, out, err);
    try {
      return Cli.action(spec).run(ctx, args);
    } catch (UsageException e) {
      err.println(e.getMessage());
      err.println(see(spec));
      return USAGE_ERROR;
    } catch (LayerStoreException | IllegalArgumentException | FileSystemException e) {
      // a file system error's message names the file and what is wrong with it
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

  /**
   * {@code layerstore version 0.1.0}, as {@code docker --version} words it: the version the build
   * wrote into the jar's manifest ({@code development build} when run from classes).
   */
  static String version() {
    String v = Main.class.getPackage().getImplementationVersion();
    return NAME + " version " + (v == null ? "(development build)" : v);
  }

  /** {@code See 'layerstore images --help'.} */
  private static String see(CommandSpec spec) {
    return "See '" + Cli.qualifiedName(spec) + " --help'.";
  }

  /** picocli's error for a command that is none, with its suggestions (from every command). */
  private static UnmatchedArgumentException unknownCommand(String name) {
    CommandLine all = commandLine();
    return new UnmatchedArgumentException(all, List.of(name));
  }

  /**
   * A usage error, as docker prints it: one line saying what is wrong (with a suggestion where one
   * is near), {@code See 'layerstore COMMAND --help'.}, and for a wrong number of arguments the
   * usage line. Exit status {@value #USAGE_ERROR}; a reference {@link Types#REFERENCE} refused is
   * an operation error instead, as docker has it (exit status 1).
   */
  private int usageError(ParameterException error, boolean debug) {
    ParameterException e = flagsFirst(error);
    if (e.getCause() instanceof Types.BadReference bad) {
      err.println("Error: " + bad.getMessage());
      if (debug) {
        e.printStackTrace(err);
      }
      return 1;
    }
    CommandSpec spec = e.getCommandLine().getCommandSpec();
    err.println(describe(e));
    if (e instanceof UnmatchedArgumentException u) {
      List<String> suggestions = u.getSuggestions();
      if (!suggestions.isEmpty()) {
        err.println("Did you mean " + suggestions.get(0) + "?");
      }
    }
    err.println(see(spec));
    if (isArgumentCount(e)) {
      err.println();
      err.println(Cli.usageLine(spec));
      err.println();
      err.println(String.join("\n", spec.usageMessage().description()));
    }
    if (debug) {
      e.printStackTrace(err);
    }
    return USAGE_ERROR;
  }

  /**
   * The error to tell: picocli finds a missing argument before an unknown flag; docker tells the
   * flag first, and so do we.
   */
  static ParameterException flagsFirst(ParameterException e) {
    List<String> unmatched = e.getCommandLine().getUnmatchedArguments();
    if (e instanceof MissingParameterException && !unmatched.isEmpty()) {
      return new UnmatchedArgumentException(e.getCommandLine(), unmatched);
    }
    return e;
  }

  /** Whether the error is about the number of positional arguments. */
  private static boolean isArgumentCount(ParameterException e) {
    if (e instanceof MissingParameterException m) {
      return m.getMissing().stream().noneMatch(ArgSpec::isOption);
    }
    if (e instanceof UnmatchedArgumentException u) {
      String first = u.getUnmatched().isEmpty() ? "" : u.getUnmatched().get(0);
      return !isRoot(e.getCommandLine().getCommandSpec()) && !looksLikeFlag(first);
    }
    return false;
  }

  private static boolean isRoot(CommandSpec spec) {
    return spec.name().equals(NAME);
  }

  private static boolean looksLikeFlag(String arg) {
    return arg.length() > 1 && arg.startsWith("-");
  }

  /** What is wrong, in one line. */
  static String describe(ParameterException e) {
    CommandSpec spec = e.getCommandLine().getCommandSpec();
    if (e instanceof UnmatchedArgumentException u) {
      String first = u.getUnmatched().isEmpty() ? "" : u.getUnmatched().get(0);
      if (looksLikeFlag(first)) {
        int eq = first.indexOf('=');
        return "unknown flag: "
            + (first.startsWith("--") && eq > 0 ? first.substring(0, eq) : first);
      }
      if (isRoot(spec)) {
        return NAME + ": '" + first + "' is not a " + NAME + " command.";
      }
      return argumentCount(spec);
    }
    if (e instanceof MissingParameterException m) {
      for (ArgSpec a : m.getMissing()) {
        if (a.isOption()) {
          return "flag needs an argument: " + ((OptionSpec) a).longestName();
        }
      }
      return argumentCount(spec);
    }
    ArgSpec arg = e.getArgSpec();
    if (arg != null && e.getValue() != null && e.getCause() instanceof TypeConversionException t) {
      String what = arg.isOption() ? ((OptionSpec) arg).longestName() : arg.paramLabel();
      return "invalid value \"" + e.getValue() + "\" for " + what + ": " + t.getMessage();
    }
    String message = e.getMessage();
    int nl = message.indexOf('\n');
    return nl < 0 ? message : message.substring(0, nl);
  }

  /** {@code "layerstore tag" requires exactly 2 arguments.}, docker's words. */
  private static String argumentCount(CommandSpec spec) {
    int min = 0;
    int max = 0;
    for (PositionalParamSpec p : spec.positionalParameters()) {
      min += p.arity().min();
      max =
          max == Integer.MAX_VALUE
                  || p.arity().isUnspecified()
                  || p.arity().max() == Integer.MAX_VALUE
              ? Integer.MAX_VALUE
              : max + p.arity().max();
    }
    String cmd = "\"" + Cli.qualifiedName(spec) + "\" ";
    if (max == 0) {
      return cmd + "accepts no arguments.";
    }
    if (min == max) {
      return cmd + "requires exactly " + min + " argument" + (min == 1 ? "." : "s.");
    }
    if (max == Integer.MAX_VALUE) {
      return cmd + "requires at least " + min + " argument" + (min == 1 ? "." : "s.");
    }
    if (min == 0) {
      return cmd + "accepts at most " + max + " argument" + (max == 1 ? "." : "s.");
    }
    return cmd + "requires at least " + min + " and at most " + max + " arguments.";
  }

  /** {@code $XDG_DATA_HOME/layerstore}, else {@code ~/.local/share/layerstore}. */
  static Path defaultRoot() {
    String xdg = System.getenv("XDG_DATA_HOME");
    if (xdg != null && !xdg.isEmpty()) {
      return Path.of(xdg, "layerstore");
    }
    return Path.of(System.getProperty("user.home"), ".local", "share", "layerstore");
  }

  static void usage(PrintStream s) {
    s.println("Usage: layerstore [--root DIR] [--driver NAME] [--debug] [--version] COMMAND");
    s.println();
    s.println("A Docker-compatible image store without a daemon.");
    s.println();
    s.println("Commands:");
    s.println(
        "  load [-i FILE]            Load images from a docker save archive or OCI layout (or stdin)");
    s.println("  images                    List images");
    s.println("  inspect IMAGE...          Show details of images as JSON");
    s.println(
        "  inspect --mount IMAGE...  Show the branches of an image's mount (aufs: si, br0..brN)");
    s.println(
        "  mount IMAGE|CONTAINER     Mount an image's (read-only) or a container's (read-write)");
    s.println("                            root filesystem and print its path");
    s.println(
        "  umount IMAGE|CONTAINER    Give back one mount of it (-f: all of them; --all: everything)");
    s.println(
        "  save [-o FILE] IMAGE...   Save images to a docker save archive (or stdout; --format oci)");
    s.println("  rmi [-f] IMAGE...         Remove images");
    s.println("  tag SOURCE TARGET         Create a tag TARGET that refers to SOURCE");
    s.println(
        "  import FILE [REPO[:TAG]]  Create an image from a layer tarball (plain, gzip or zstd)");
    s.println(
        "  pull [-q] NAME[:TAG]      Download an image from a registry (--platform P, --all-platforms)");
    s.println("  push [-q] NAME[:TAG]      Upload an image to a registry");
    s.println("  login [-u USER] [SERVER]  Log in to a registry (--password-stdin)");
    s.println("  logout [SERVER]           Log out from a registry");
    s.println(
        "  create [--name N] IMAGE   Create a container (init layer + read-write layer) from an image");
    s.println("  ps                        List containers");
    s.println("  diff CONTAINER            List what a container changed (A/C/D)");
    s.println("  commit CONTAINER [REPO[:TAG]]  Make an image from a container's changes");
    s.println(
        "  export [-o FILE] CONTAINER  Write a container's file system as a tar (or to stdout)");
    s.println("  rm [-f] CONTAINER...      Remove containers");
    s.println(
        "  prune [-a]                Remove dangling (-a: untagged) images and layers nothing uses");
    s.println("  info                      Show the storage facts docker info shows");
    s.println(
        "  fsck [--repair] [--deep]  Check the store (--deep: re-hash every layer); --repair fixes what is safe");
    s.println("  demo                      Show the library at work in a temporary store");
    s.println(
        "  bench-load [FILE...]      Time load in both pairs (CLI, API) beside docker and the floor");
    s.println(
        "  bench-commit FILE...      Time create, commit and rmi beside docker and the floor");
    s.println("  bench-save FILE           Time save beside docker save and the floor");
    s.println("  bench-mount               Time mount of a 125-layer image beside mount(2)");
    s.println("  bench-start               Time the start-up of layerstore images beside docker's");
    s.println("  bench-durability FILE     Time load, tag and rmi with and without fsync");
    s.println("  bench-pull FILE           Time pull from a loopback registry beside docker pull");
    s.println("  bench-push FILE           Time push beside docker push and skopeo copy");
    s.println("  completion bash|zsh       Print the shell completion script");
    s.println();
    s.println(
        "IMAGE is name[:tag], a full or short image id; CONTAINER a name, a full or short container id.");
    s.println("--root defaults to " + defaultRoot() + ".");
    s.println("--driver is overlay2 (default) or aufs; a store keeps the driver it has layers of.");
    s.println();
    s.println("Run 'layerstore COMMAND --help' for more information on a command.");
  }

  /** Wrong use of a command: printed without "Error:", exit status {@value #USAGE_ERROR}. */
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
    final InputStream in;
    final PrintStream out;
    final PrintStream err;
    private LayerStore store;

    Context(Path root, String driver, InputStream in, PrintStream out, PrintStream err) {
      this.root = root;
      this.driver = driver;
      this.in = in;
      this.out = out;
      this.err = err;
    }

    /** Whether {@link #in} is the process's stdin (not a test's stream). */
    boolean readsStdin() {
      return in == System.in;
    }

    /** Whether {@link #out} is the process's stdout (not a test's stream). */
    boolean writesStdout() {
      return out == System.out;
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
