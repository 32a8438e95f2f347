package io.layerstore.cli;

import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.NotFoundException;
import io.layerstore.PullOptions;
import io.layerstore.PushOptions;
import io.layerstore.Reference;
import io.layerstore.SignBy;
import io.layerstore.TrustPolicy;
import io.layerstore.Verification;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * The registry commands: pull, push, login, logout, with docker's syntax and output: a progress
 * line per layer ({@link TransferProgress}), then docker's summary lines.
 */
final class RegistryCommands implements Cli.Group {

  /** An option spec belongs to one command, so each command is given a new one. */
  private static OptionSpec policyOption() {
    return Cli.option(
        "FILE",
        "Trust policy (containers-policy.json); default: the user's, as podman reads it",
        "--policy");
  }

  private static OptionSpec registriesDOption() {
    return Cli.option(
        "DIR",
        "Signature storage configuration (containers-registries.d); default: the user's",
        "--registries.d");
  }

  @Override
  public List<String> names() {
    return List.of("pull", "push", "login", "logout", "verify");
  }

  @Override
  public CommandSpec spec(String name) {
    return switch (name) {
      case "pull" ->
          Cli.command(
                  name,
                  "[OPTIONS] NAME[:TAG|@DIGEST]",
                  "Download an image from a registry",
                  this::pull)
              .addOption(
                  Cli.option(
                      Types.Platform.class,
                      Types.PLATFORM_TYPE,
                      "string",
                      "Set platform if server is multi-platform capable",
                      "--platform"))
              .addOption(
                  Cli.flag("Pull every platform of a multi-platform image", "--all-platforms"))
              .addOption(Cli.flag("Suppress verbose output", "-q", "--quiet"))
              .addOption(policyOption())
              .addOption(registriesDOption())
              .addPositional(Cli.args("0", "1", String.class, Types.REFERENCE, "NAME"));
      case "push" ->
          Cli.command(name, "[OPTIONS] NAME[:TAG]", "Upload an image to a registry", this::push)
              .addOption(Cli.flag("Suppress verbose output", "-q", "--quiet"))
              .addOption(
                  Cli.option(
                      "N",
                      "gzip level of layers compressed for the push, 1 (fastest, the default, as"
                          + " crane) to 9; docker uses 6",
                      "--compression-level"))
              .addOption(
                  Cli.option(
                      "SECRET.asc",
                      "Sign with this OpenPGP secret key (gpg --armor --export-secret-keys)",
                      "--sign-by-key"))
              .addOption(
                  Cli.option(
                      "KEY.pem",
                      "Sign with this sigstore private key (PEM, or cosign's encrypted key)",
                      "--sign-by-sigstore-key"))
              .addOption(
                  Cli.option(
                      "FILE",
                      "Read the signing key's passphrase from FILE",
                      "--sign-passphrase-file"))
              .addOption(registriesDOption())
              .addPositional(Cli.args("0", "1", String.class, Types.REFERENCE, "NAME"));
      case "verify" ->
          Cli.command(
                  name,
                  "[OPTIONS] IMAGE",
                  "Check a stored image's signatures against a trust policy",
                  this::verify)
              .addOption(policyOption())
              .addOption(registriesDOption())
              .addPositional(Cli.args("0", "1", String.class, Types.REFERENCE, "IMAGE"));
      case "login" ->
          Cli.command(name, "[OPTIONS] [SERVER]", "Log in to a registry", this::login)
              .addOption(Cli.option("string", "Username", "-u", "--username"))
              .addOption(Cli.option("string", "Password", "-p", "--password"))
              .addOption(Cli.flag("Take the password from stdin", "--password-stdin"))
              .addPositional(Cli.args("0", "0..1", "SERVER"));
      case "logout" ->
          Cli.command(name, "[SERVER]", "Log out from a registry", this::logout)
              .addPositional(Cli.args("0", "0..1", "SERVER"));
      default -> throw new IllegalArgumentException("no command " + name);
    };
  }

  /** Whether progress may be redrawn in place: stdout (and stdin) is a terminal. */
  private static boolean terminal(Main.Context ctx) {
    return ctx.out == System.out && System.console() != null;
  }

  int pull(Main.Context ctx, ParseResult args) throws IOException {
    String name = Cli.<String>positionals(args).get(0);
    boolean quiet = Cli.has(args, "--quiet");
    Reference ref = Reference.parse(name);
    Reference full = ref.digest() == null ? ref.withDefaultTag() : ref;
    PullOptions options = PullOptions.defaults();
    Types.Platform platform = Cli.value(args, "--platform", null);
    if (platform != null) {
      options = options.platform(platform.toString());
    }
    if (Cli.has(args, "--all-platforms")) {
      options = options.allPlatforms();
    }
    if (Cli.has(args, "--policy") || Cli.has(args, "--registries.d")) {
      options = options.policy(trustPolicy(args));
    }
    LayerStore store = ctx.store();
    Optional<ImageId> before = existing(store, full.familiarString());
    TransferProgress progress = new TransferProgress(ctx.out, terminal(ctx));
    if (!quiet) {
      if (ref.tag() == null && ref.digest() == null) {
        ctx.out.println("Using default tag: " + Reference.DEFAULT_TAG);
      }
      ctx.out.println(
          (full.digest() != null ? full.digest().toString() : full.tag())
              + ": Pulling from "
              + full.path());
      options = options.listener(progress);
    }
    Digest digest = store.pull(name, options);
    if (!quiet) {
      ctx.out.println("Digest: " + digest);
      Optional<ImageId> after = existing(store, full.familiarString());
      boolean upToDate = before.isPresent() && before.equals(after) && progress.transferred() == 0;
      ctx.out.println(
          "Status: "
              + (upToDate ? "Image is up to date for " : "Downloaded newer image for ")
              + full.familiarString());
    }
    // The canonical name last, as docker prints it (what a script captures with -q).
    ctx.out.println(
        full.domain()
            + "/"
            + full.path()
            + (full.tag() != null ? ":" + full.tag() : "")
            + (full.digest() != null ? "@" + full.digest() : ""));
    return 0;
  }

  private static Optional<ImageId> existing(LayerStore store, String ref) throws IOException {
    try {
      return Optional.of(store.resolve(ref));
    } catch (NotFoundException e) {
      return Optional.empty();
    }
  }

  int push(Main.Context ctx, ParseResult args) throws IOException {
    String name = Cli.<String>positionals(args).get(0);
    boolean quiet = Cli.has(args, "--quiet");
    Reference ref = Reference.parse(name).withDefaultTag();
    PushOptions options = signing(args, PushOptions.defaults());
    String level = Cli.value(args, "--compression-level", null);
    if (level != null) {
      try {
        options = options.gzipLevel(Integer.parseInt(level));
      } catch (IllegalArgumentException e) {
        throw new Main.UsageException(
            "invalid --compression-level \"" + level + "\": use a gzip level from 1 to 9");
      }
    }
    if (existing(ctx.store(), ref.familiarString()).isEmpty()) {
      throw new NotFoundException(
          "An image does not exist locally with the tag: " + ref.domain() + "/" + ref.path());
    }
    TransferProgress progress = null;
    if (!quiet) {
      ctx.out.println("The push refers to repository [" + ref.domain() + "/" + ref.path() + "]");
      progress = new TransferProgress(ctx.out, terminal(ctx));
      options = options.listener(progress);
    }
    Digest digest = ctx.store().push(name, options);
    ctx.out.println(
        quiet
            ? ref.familiarString()
            : ref.tag() + ": digest: " + digest + " size: " + progress.manifestSize());
    if (!quiet && options.signBy().isPresent()) {
      ctx.out.println(
          "Signed " + ref.familiarString() + " (" + options.signBy().get().kind() + ")");
    }
    return 0;
  }

  /** The signing options of push: one key, its passphrase from a file, where signatures go. */
  private static PushOptions signing(ParseResult args, PushOptions options) throws IOException {
    String pgp = Cli.value(args, "--sign-by-key", null);
    String sigstore = Cli.value(args, "--sign-by-sigstore-key", null);
    if (pgp != null && sigstore != null) {
      throw new Main.UsageException(
          "--sign-by-key and --sign-by-sigstore-key are mutually exclusive");
    }
    String passFile = Cli.value(args, "--sign-passphrase-file", null);
    if (pgp == null && sigstore == null) {
      if (passFile != null) {
        throw new Main.UsageException("--sign-passphrase-file needs a key to sign with");
      }
      return options;
    }
    // As skopeo reads --sign-passphrase-file: the first line, without its line ending.
    char[] passphrase =
        passFile == null
            ? new char[0]
            : Files.readString(Path.of(passFile), StandardCharsets.UTF_8)
                .lines()
                .findFirst()
                .orElse("")
                .toCharArray();
    SignBy by =
        pgp != null
            ? SignBy.openPgp(Path.of(pgp), passphrase)
            : SignBy.sigstore(Path.of(sigstore), passphrase);
    Arrays.fill(passphrase, '\0');
    String dir = Cli.value(args, "--registries.d", null);
    options = options.signBy(by);
    return dir == null ? options : options.registriesD(Path.of(dir));
  }

  /** --policy and --registries.d, each defaulting to the user's file as podman finds it. */
  private static TrustPolicy trustPolicy(ParseResult args) {
    TrustPolicy defaults = TrustPolicy.defaults();
    String policy = Cli.value(args, "--policy", null);
    String dir = Cli.value(args, "--registries.d", null);
    return TrustPolicy.fromFiles(
        policy != null ? Path.of(policy) : defaults.policyFile(),
        dir != null ? Path.of(dir) : defaults.registriesDir());
  }

  int verify(Main.Context ctx, ParseResult args) throws IOException {
    String image = Cli.<String>positionals(args).get(0);
    Verification v = ctx.store().verify(image, trustPolicy(args));
    ctx.out.println(
        "Verified " + v.identity() + " (" + v.manifestDigest() + ") under " + v.scope());
    for (Verification.Acceptance a : v.accepted()) {
      ctx.out.println(
          "  "
              + a.requirement()
              + (a.signer() == null
                  ? ""
                  : ": signed by " + a.signer() + " as " + a.signedIdentity()));
    }
    return 0;
  }

  int login(Main.Context ctx, ParseResult args) throws IOException {
    List<String> pos = Cli.positionals(args);
    String host = pos.isEmpty() ? Reference.DEFAULT_DOMAIN : pos.get(0);
    String user = Cli.value(args, "--username", null);
    String password = Cli.value(args, "--password", null);
    boolean fromStdin = Cli.has(args, "--password-stdin");
    if (password != null && fromStdin) {
      throw new Main.UsageException("--password and --password-stdin are mutually exclusive");
    }
    if (fromStdin && user == null) {
      throw new Main.UsageException("Must provide --username with --password-stdin");
    }
    if (password != null) {
      ctx.err.println("WARNING! Using --password via the CLI is insecure. Use --password-stdin.");
    }
    Console console = System.console();
    if (user == null) {
      if (console == null) {
        throw new Main.UsageException("Cannot perform an interactive login from a non TTY device");
      }
      user = console.readLine("Username: ");
    }
    if (fromStdin) {
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line = in.readLine();
      password = line == null ? "" : line.strip();
    } else if (password == null) {
      if (console == null) {
        throw new Main.UsageException("Cannot perform an interactive login from a non TTY device");
      }
      char[] typed = console.readPassword("Password: "); // no echo
      password = typed == null ? "" : new String(typed);
    }
    if (user == null || user.isEmpty() || password.isEmpty()) {
      throw new Main.UsageException("Error: Username and password required");
    }
    ctx.store().login(host, user, password);
    ctx.out.println("Login Succeeded");
    return 0;
  }

  int logout(Main.Context ctx, ParseResult args) throws IOException {
    List<String> pos = Cli.positionals(args);
    String host = pos.isEmpty() ? Reference.DEFAULT_DOMAIN : pos.get(0);
    if (ctx.store().logout(host)) {
      ctx.out.println("Removing login credentials for " + host);
    } else {
      ctx.out.println("Not logged in to " + host);
    }
    return 0;
  }
}
