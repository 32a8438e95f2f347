package io.layerstore.cli;

import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.NotFoundException;
import io.layerstore.RemoveOptions;
import io.layerstore.container.CommitOptions;
import io.layerstore.container.Container;
import io.layerstore.container.Containers;
import io.layerstore.container.CreateOptions;
import io.layerstore.container.FileChange;
import io.layerstore.container.InitFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * The container commands: create, ps, diff, commit, export, rm, and mount/umount of a container.
 */
final class ContainerCommands implements Cli.Group {

  private final ImageCommands images;

  ContainerCommands(ImageCommands images) {
    this.images = images;
  }

  @Override
  public List<String> names() {
    return List.of("create", "ps", "diff", "commit", "export", "rm", "mount", "umount");
  }

  @Override
  public CommandSpec spec(String name) {
    return switch (name) {
      case "create" ->
          Cli.command(
                  name,
                  "[OPTIONS] IMAGE",
                  "Create a container (init layer + read-write layer) from an image",
                  this::create,
                  false)
              .addOption(Cli.option("string", "Assign a name to the container", "--name"))
              .addOption(Cli.option("string", "Container host name", "-h", "--hostname"))
              .addOption(
                  Cli.repeated(
                      Types.HOST_IP,
                      "list",
                      "Add a custom host-to-IP mapping (host:ip)",
                      "--add-host"))
              .addOption(Cli.repeated(null, "list", "Set custom DNS servers", "--dns"))
              .addOption(Cli.flag("Write no init layer files (/etc/hosts, ...)", "--no-init"))
              .addPositional(Cli.args("0", "1", "IMAGE"));
      case "ps" ->
          Cli.command(name, "[OPTIONS]", "List containers", this::ps)
              .addOption(Cli.flag("Show all containers (every one is: none runs)", "-a", "--all"))
              .addOption(Cli.flag("Only display container IDs", "-q", "--quiet"))
              .addOption(Cli.flag("Don't truncate output", "--no-trunc"));
      case "diff" ->
          Cli.command(
                  name,
                  "CONTAINER",
                  "Inspect changes to files or directories on a container's filesystem",
                  this::diff)
              .addPositional(Cli.args("0", "1", "CONTAINER"));
      case "commit" ->
          Cli.command(
                  name,
                  "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
                  "Create a new image from a container's changes",
                  this::commit)
              .addOption(
                  Cli.option("string", "Author (e.g., \"John Hannibal Smith\")", "-a", "--author"))
              .addOption(Cli.option("string", "Commit message", "-m", "--message"))
              .addOption(
                  Cli.repeated(
                      null,
                      "list",
                      "Apply Dockerfile instruction to the created image",
                      "-c",
                      "--change"))
              .addPositional(Cli.args("0", "1", "CONTAINER"))
              .addPositional(
                  Cli.args("1", "0..1", String.class, Types.REFERENCE, "REPOSITORY[:TAG]"));
      case "export" ->
          Cli.command(
                  name,
                  "[OPTIONS] CONTAINER",
                  "Export a container's filesystem as a tar archive",
                  this::export)
              .addOption(Cli.output())
              .addPositional(Cli.args("0", "1", "CONTAINER"));
      case "rm" ->
          Cli.command(name, "[OPTIONS] CONTAINER [CONTAINER...]", "Remove containers", this::rm)
              .addOption(Cli.flag("Force the removal of a mounted container", "-f", "--force"))
              .addPositional(Cli.args("0..*", "1..*", "CONTAINER"));
      case "mount" ->
          Cli.command(
                  name,
                  "IMAGE|CONTAINER",
                  "Mount an image's (read-only) or a container's (read-write) root filesystem and print its path",
                  this::mount)
              .addPositional(Cli.args("0", "1", "IMAGE|CONTAINER"));
      case "umount" ->
          Cli.command(
                  name,
                  "[OPTIONS] [IMAGE|CONTAINER]",
                  "Give back one mount of an image (each mount needs its own umount) or unmount a container",
                  this::umount)
              .addOption(
                  Cli.flag(
                      "Unmount it whoever mounted it, dropping every mount count", "-f", "--force"))
              .addOption(
                  Cli.flag(
                      "Unmount every mounted image and container, dropping every count",
                      "-a",
                      "--all"))
              .addPositional(Cli.args("0", "0..1", "IMAGE|CONTAINER"));
      default -> throw new IllegalArgumentException("no command " + name);
    };
  }

  int create(Main.Context ctx, ParseResult args) throws IOException {
    CreateOptions options = CreateOptions.defaults();
    String name = Cli.value(args, "--name", null);
    if (name != null) {
      options = options.name(name);
    }
    InitFiles init = InitFiles.docker();
    String hostname = Cli.value(args, "--hostname", null);
    if (hostname != null) {
      init = init.hostname(hostname);
    }
    for (String hostIp : Cli.values(args, "--add-host")) {
      int colon = hostIp.indexOf(':');
      init = init.addHost(hostIp.substring(0, colon), hostIp.substring(colon + 1));
    }
    StringBuilder dns = new StringBuilder();
    for (String ip : Cli.values(args, "--dns")) {
      dns.append("nameserver ").append(ip).append('\n');
    }
    if (dns.length() > 0) {
      init = init.resolvConf(dns.toString());
    }
    if (Cli.has(args, "--no-init")) {
      if (!init.equals(InitFiles.docker())) {
        throw new Main.UsageException(
            "--no-init cannot be combined with --hostname, --add-host or --dns");
      }
      init = InitFiles.none();
    }
    String image = Cli.<String>positionals(args).get(0);
    Container c = ctx.store().containers().create(image, options.init(init));
    ctx.out.println(c.id());
    return 0;
  }

  int ps(Main.Context ctx, ParseResult args) throws IOException {
    // -a: our containers never run, every one is listed
    boolean quiet = Cli.has(args, "--quiet");
    boolean noTrunc = Cli.has(args, "--no-trunc");
    Containers containers = ctx.store().containers();
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "NAMES"});
    Instant now = Instant.now();
    for (Container c : containers.list()) {
      String id = noTrunc ? c.id().hex() : c.id().shortId();
      if (quiet) {
        ctx.out.println(id);
        continue;
      }
      String command = String.join(" ", c.command());
      if (!noTrunc && command.codePointCount(0, command.length()) > 20) {
        command = command.substring(0, command.offsetByCodePoints(0, 19)) + "…";
      }
      String status = containers.isMounted(c) ? "Mounted" : "Created";
      rows.add(
          new String[] {
            id,
            c.imageReference(),
            "\"" + command + "\"",
            Human.duration(Duration.between(c.created(), now)) + " ago",
            status,
            c.name()
          });
    }
    if (!quiet) {
      ctx.out.print(Human.table(rows));
    }
    return 0;
  }

  int diff(Main.Context ctx, ParseResult args) throws IOException {
    String container = Cli.<String>positionals(args).get(0);
    for (FileChange c : ctx.store().containers().changes(container)) {
      ctx.out.println(c);
    }
    return 0;
  }

  int commit(Main.Context ctx, ParseResult args) throws IOException {
    CommitOptions options = CommitOptions.defaults();
    String author = Cli.value(args, "--author", null);
    if (author != null) {
      options = options.author(author);
    }
    String message = Cli.value(args, "--message", null);
    if (message != null) {
      options = options.message(message);
    }
    for (String change : Cli.values(args, "--change")) {
      options = options.change(change);
    }
    List<String> positional = Cli.positionals(args);
    if (positional.size() == 2) {
      options = options.reference(positional.get(1));
    }
    ImageId id = ctx.store().containers().commit(positional.get(0), options);
    ctx.out.println(id);
    return 0;
  }

  int export(Main.Context ctx, ParseResult args) throws IOException {
    Path output = Cli.value(args, "--output", null);
    String container = Cli.<String>positionals(args).get(0);
    if (output != null) {
      ctx.store().containers().export(container, output);
    } else {
      StdStreams.writeArchive(ctx, os -> ctx.store().containers().export(container, os));
    }
    return 0;
  }

  int rm(Main.Context ctx, ParseResult args) throws IOException {
    RemoveOptions options =
        Cli.has(args, "--force") ? RemoveOptions.defaults().force() : RemoveOptions.defaults();
    List<String> names = Cli.positionals(args);
    int status = 0;
    for (String n : names) {
      try {
        ctx.store().containers().remove(n, options);
        ctx.out.println(n);
      } catch (IOException | IllegalArgumentException e) {
        ctx.err.println("Error: " + e.getMessage());
        status = 1;
      }
    }
    return status;
  }

  /** {@code mount CONTAINER|IMAGE}: a container by that name or id first, else an image. */
  int mount(Main.Context ctx, ParseResult args) throws IOException {
    String name = Cli.<String>positionals(args).get(0);
    Container c = container(ctx.store(), name);
    if (c == null) {
      return images.mount(ctx, name);
    }
    Mount m = ctx.store().containers().mount(c.id().hex());
    try {
      m.leaveMounted();
    } catch (IOException e) {
      m.close();
      throw e;
    }
    ctx.out.println(m.root());
    return 0;
  }

  /** {@code umount CONTAINER|IMAGE}. */
  int umount(Main.Context ctx, ParseResult args) throws IOException {
    List<String> names = Cli.positionals(args);
    boolean all = Cli.has(args, "--all");
    if (all != names.isEmpty()) {
      throw new Main.UsageException(
          all
              ? "\"layerstore umount --all\" takes no IMAGE or CONTAINER"
              : "\"layerstore umount\" requires an IMAGE or CONTAINER, or --all");
    }
    if (all) {
      for (Container c : ctx.store().containers().list()) {
        if (ctx.store().containers().isMounted(c)) {
          ctx.store().containers().unmount(c.id().hex());
          ctx.out.println(c.id().shortId());
        }
      }
      return images.umountAll(ctx);
    }
    String name = names.get(0);
    Container c = container(ctx.store(), name);
    if (c == null) {
      return images.umount(ctx, name, Cli.has(args, "--force"));
    }
    Containers containers = ctx.store().containers();
    if (!containers.isMounted(c.id().hex())) {
      ctx.err.println("Error: container " + name + " is not mounted");
      return 1;
    }
    containers.unmount(c.id().hex());
    ctx.out.println(c.id().shortId());
    return 0;
  }

  private static Container container(LayerStore store, String nameOrId) throws IOException {
    try {
      return store.containers().get(nameOrId);
    } catch (NotFoundException e) {
      return null;
    }
  }
}
