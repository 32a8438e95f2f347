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
    switch (name) {
      case "create" -> {
        CommandSpec create =
            Cli.command(
                "create",
                "[OPTIONS] IMAGE",
                "Create a container (init layer + read-write layer) from an image",
                false);
        create.addOption(Cli.option("string", "Assign a name to the container", "--name"));
        create.addOption(Cli.option("string", "Container host name", "-h", "--hostname"));
        create.addOption(
            Cli.repeated(
                Types.HOST_IP, "list", "Add a custom host-to-IP mapping (host:ip)", "--add-host"));
        create.addOption(Cli.repeated(null, "list", "Set custom DNS servers", "--dns"));
        create.addOption(Cli.flag("Write no init layer files (/etc/hosts, ...)", "--no-init"));
        create.addPositional(Cli.args("0", "1", "IMAGE"));
        return create;
      }
      case "ps" -> {
        CommandSpec ps = Cli.command("ps", "[OPTIONS]", "List containers");
        ps.addOption(Cli.flag("Show all containers (every one is: none runs)", "-a", "--all"));
        ps.addOption(Cli.flag("Only display container IDs", "-q", "--quiet"));
        ps.addOption(Cli.flag("Don't truncate output", "--no-trunc"));
        return ps;
      }
      case "diff" -> {
        CommandSpec diff =
            Cli.command(
                "diff",
                "CONTAINER",
                "Inspect changes to files or directories on a container's filesystem");
        diff.addPositional(Cli.args("0", "1", "CONTAINER"));
        return diff;
      }
      case "commit" -> {
        CommandSpec commit =
            Cli.command(
                "commit",
                "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
                "Create a new image from a container's changes");
        commit.addOption(
            Cli.option("string", "Author (e.g., \"John Hannibal Smith\")", "-a", "--author"));
        commit.addOption(Cli.option("string", "Commit message", "-m", "--message"));
        commit.addOption(
            Cli.repeated(
                null,
                "list",
                "Apply Dockerfile instruction to the created image",
                "-c",
                "--change"));
        commit.addPositional(Cli.args("0", "1", "CONTAINER"));
        commit.addPositional(
            Cli.args("1", "0..1", String.class, Types.REFERENCE, "REPOSITORY[:TAG]"));
        return commit;
      }
      case "export" -> {
        CommandSpec export =
            Cli.command(
                "export",
                "[OPTIONS] CONTAINER",
                "Export a container's filesystem as a tar archive");
        export.addOption(
            Cli.option(Path.class, Types.PATH, "path", "Write to a file", "-o", "--output"));
        export.addPositional(Cli.args("0", "1", "CONTAINER"));
        return export;
      }
      case "rm" -> {
        CommandSpec rm =
            Cli.command("rm", "[OPTIONS] CONTAINER [CONTAINER...]", "Remove containers");
        rm.addOption(Cli.flag("Force the removal of a mounted container", "-f", "--force"));
        rm.addPositional(Cli.args("0..*", "1..*", "CONTAINER"));
        return rm;
      }
      case "mount" -> {
        CommandSpec mount =
            Cli.command(
                "mount",
                "IMAGE|CONTAINER",
                "Mount an image's (read-only) or a container's (read-write) root filesystem and print"
                    + " its path");
        mount.addPositional(Cli.args("0", "1", "IMAGE|CONTAINER"));
        return mount;
      }
      case "umount" -> {
        CommandSpec umount =
            Cli.command(
                "umount", "IMAGE|CONTAINER", "Unmount an image's or a container's root filesystem");
        umount.addPositional(Cli.args("0", "1", "IMAGE|CONTAINER"));
        return umount;
      }
      default -> throw new IllegalArgumentException("no command " + name);
    }
  }

  @Override
  public int run(String name, Main.Context ctx, ParseResult args) throws IOException {
    return switch (name) {
      case "create" -> create(ctx, args);
      case "ps" -> ps(ctx, args);
      case "diff" -> diff(ctx, args);
      case "commit" -> commit(ctx, args);
      case "export" -> export(ctx, args);
      case "rm" -> rm(ctx, args);
      case "mount" -> mount(ctx, args);
      case "umount" -> umount(ctx, args);
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
    if (output == null) {
      throw new Main.UsageException(
          "\"layerstore export\" needs -o FILE (writing to stdout is not supported)");
    }
    ctx.store().containers().export(Cli.<String>positionals(args).get(0), output);
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
    String name = Cli.<String>positionals(args).get(0);
    Container c = container(ctx.store(), name);
    if (c == null) {
      return images.umount(ctx, name);
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
