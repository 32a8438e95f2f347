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

/**
 * The container commands: create, ps, diff, commit, export, rm, and mount/umount of a container.
 */
final class ContainerCommands {

  private final ImageCommands images;

  ContainerCommands(ImageCommands images) {
    this.images = images;
  }

  int create(Main.Context ctx, List<String> args) throws IOException {
    String usage =
        "Usage: layerstore create [--name NAME] [--hostname NAME] [--add-host HOST:IP]... [--dns IP]... "
            + "[--no-init] IMAGE";
    CreateOptions options = CreateOptions.defaults();
    InitFiles init = InitFiles.docker();
    boolean noInit = false;
    StringBuilder dns = new StringBuilder();
    String image = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "--name":
          options = options.name(value(args, ++i, a, usage));
          break;
        case "--hostname":
        case "-h":
          init = init.hostname(value(args, ++i, a, usage));
          break;
        case "--add-host":
          String hostIp = value(args, ++i, a, usage);
          int colon = hostIp.indexOf(':');
          if (colon <= 0) {
            throw new Main.UsageException(
                "invalid argument \"" + hostIp + "\" for \"--add-host\": expected HOST:IP");
          }
          init = init.addHost(hostIp.substring(0, colon), hostIp.substring(colon + 1));
          break;
        case "--dns":
          dns.append("nameserver ").append(value(args, ++i, a, usage)).append('\n');
          break;
        case "--no-init":
          noInit = true;
          break;
        default:
          if (a.startsWith("-") || image != null) {
            throw new Main.UsageException(
                (a.startsWith("-") ? "unknown flag: " + a : "too many arguments") + "\n" + usage);
          }
          image = a;
      }
    }
    if (image == null) {
      throw new Main.UsageException("\"create\" requires at least 1 argument.\n" + usage);
    }
    if (dns.length() > 0) {
      init = init.resolvConf(dns.toString());
    }
    if (noInit) {
      if (!init.equals(InitFiles.docker())) {
        throw new Main.UsageException(
            "--no-init cannot be combined with --hostname, --add-host or --dns");
      }
      init = InitFiles.none();
    }
    Container c = ctx.store().containers().create(image, options.init(init));
    ctx.out.println(c.id());
    return 0;
  }

  int ps(Main.Context ctx, List<String> args) throws IOException {
    boolean quiet = false;
    boolean noTrunc = false;
    for (String a : args) {
      switch (a) {
        case "-a":
        case "--all":
          break; // our containers never run: every one is listed
        case "-q":
        case "--quiet":
          quiet = true;
          break;
        case "--no-trunc":
          noTrunc = true;
          break;
        default:
          throw new Main.UsageException(
              "unknown flag: " + a + "\nUsage: layerstore ps [-a] [-q] [--no-trunc]");
      }
    }
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

  int diff(Main.Context ctx, List<String> args) throws IOException {
    if (args.size() != 1 || args.get(0).startsWith("-")) {
      throw new Main.UsageException(
          "\"diff\" requires exactly 1 argument.\nUsage: layerstore diff CONTAINER");
    }
    for (FileChange c : ctx.store().containers().changes(args.get(0))) {
      ctx.out.println(c);
    }
    return 0;
  }

  int commit(Main.Context ctx, List<String> args) throws IOException {
    String usage =
        "Usage: layerstore commit [-a AUTHOR] [-m MESSAGE] [-c CHANGE]... CONTAINER [REPOSITORY[:TAG]]";
    CommitOptions options = CommitOptions.defaults();
    List<String> positional = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      switch (a) {
        case "-a":
        case "--author":
          options = options.author(value(args, ++i, a, usage));
          break;
        case "-m":
        case "--message":
          options = options.message(value(args, ++i, a, usage));
          break;
        case "-c":
        case "--change":
          options = options.change(value(args, ++i, a, usage));
          break;
        default:
          if (a.startsWith("-")) {
            throw new Main.UsageException("unknown flag: " + a + "\n" + usage);
          }
          positional.add(a);
      }
    }
    if (positional.isEmpty() || positional.size() > 2) {
      throw new Main.UsageException(
          "\"commit\" requires at least 1 and at most 2 arguments.\n" + usage);
    }
    if (positional.size() == 2) {
      options = options.reference(positional.get(1));
    }
    ImageId id = ctx.store().containers().commit(positional.get(0), options);
    ctx.out.println(id);
    return 0;
  }

  int export(Main.Context ctx, List<String> args) throws IOException {
    String usage =
        "Usage: layerstore export -o FILE CONTAINER (writing to stdout is not supported)";
    String output = null;
    String container = null;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("-o") || a.equals("--output")) {
        output = value(args, ++i, a, usage);
      } else if (a.startsWith("--output=")) {
        output = a.substring(9);
      } else if (a.startsWith("-") || container != null) {
        throw new Main.UsageException(
            (a.startsWith("-") ? "unknown flag: " + a : "too many arguments") + "\n" + usage);
      } else {
        container = a;
      }
    }
    if (output == null || container == null) {
      throw new Main.UsageException(usage);
    }
    ctx.store().containers().export(container, Path.of(output));
    return 0;
  }

  int rm(Main.Context ctx, List<String> args) throws IOException {
    RemoveOptions options = RemoveOptions.defaults();
    List<String> names = new ArrayList<>();
    for (String a : args) {
      if (a.equals("-f") || a.equals("--force")) {
        options = options.force();
      } else if (a.startsWith("-")) {
        throw new Main.UsageException("unknown flag: " + a);
      } else {
        names.add(a);
      }
    }
    if (names.isEmpty()) {
      throw new Main.UsageException(
          "\"rm\" requires at least 1 argument.\nUsage: layerstore rm [-f] CONTAINER...");
    }
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
  int mount(Main.Context ctx, List<String> args) throws IOException {
    if (args.size() != 1) {
      throw new Main.UsageException(
          "\"mount\" requires exactly 1 argument.\nUsage: layerstore mount CONTAINER|IMAGE");
    }
    Container c = container(ctx.store(), args.get(0));
    if (c == null) {
      return images.mount(ctx, args);
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
  int umount(Main.Context ctx, List<String> args) throws IOException {
    if (args.size() != 1) {
      throw new Main.UsageException(
          "\"umount\" requires exactly 1 argument.\nUsage: layerstore umount CONTAINER|IMAGE");
    }
    Container c = container(ctx.store(), args.get(0));
    if (c == null) {
      return images.umount(ctx, args);
    }
    Containers containers = ctx.store().containers();
    if (!containers.isMounted(c.id().hex())) {
      ctx.err.println("Error: container " + args.get(0) + " is not mounted");
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

  private static String value(List<String> args, int i, String flag, String usage) {
    if (i >= args.size()) {
      throw new Main.UsageException("flag needs an argument: " + flag + "\n" + usage);
    }
    return args.get(i);
  }
}
