package io.layerstore.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.build.ImageBuilder;
import io.layerstore.build.ImageSettings;
import io.layerstore.build.LayerSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/**
 * {@code layerstore build}: an image from a base image (or scratch) and files, without a container,
 * reproducibly. Each {@code --add} makes one layer, as each {@code COPY} of a Dockerfile does: a
 * change to one source rebuilds that layer alone. {@code --chown}, {@code --chmod} and {@code
 * --keep-mtimes} apply to every layer. When {@code SOURCE_DATE_EPOCH} is set it is the image's
 * created time and, without {@code --keep-mtimes}, every entry's mtime.
 */
final class BuildCommand implements Cli.Group {

  @Override
  public List<String> names() {
    return List.of("build");
  }

  @Override
  public CommandSpec spec(String name) {
    return Cli.command(
            name,
            "--from IMAGE|scratch --add SRC:DEST [--add ...] [OPTIONS] -t REF",
            "Build an image from a base image and files, reproducibly (one layer per --add)",
            this::build)
        .addOption(required(Cli.option("IMAGE", "The base image, or scratch", "--from")))
        .addOption(
            Cli.repeated(
                null,
                "SRC:DEST",
                "Add a file or a directory's content at DEST in the image (one layer each)",
                "--add"))
        .addOption(Cli.option("U:G", "Numeric owner of the added files (default 0:0)", "--chown"))
        .addOption(
            Cli.option(
                "MODE",
                "Octal mode of the added files and directories (default 644/755)",
                "--chmod"))
        .addOption(Cli.flag("Keep the sources' mtimes (default: epoch + 1 s)", "--keep-mtimes"))
        .addOption(Cli.option("JSON", "Entrypoint, a JSON array of strings", "--entrypoint"))
        .addOption(Cli.option("JSON", "Command, a JSON array of strings", "--cmd"))
        .addOption(Cli.repeated(null, "K=V", "Set an environment variable", "--env", "-e"))
        .addOption(Cli.repeated(null, "K=V", "Set a label", "--label"))
        .addOption(Cli.option("U", "The user the image runs as", "--user"))
        .addOption(Cli.option("DIR", "The working directory", "--workdir"))
        .addOption(Cli.repeated(null, "PORT", "Expose a port (8080, 53/udp)", "--expose"))
        .addOption(
            required(
                Cli.option(String.class, Types.REFERENCE, "REF", "Tag the image", "-t", "--tag")));
  }

  private static picocli.CommandLine.Model.OptionSpec required(
      picocli.CommandLine.Model.OptionSpec o) {
    return o.toBuilder().required(true).build();
  }

  int build(Main.Context ctx, ParseResult args) throws IOException {
    String sourceDateEpoch = System.getenv("SOURCE_DATE_EPOCH");
    List<LayerSpec> layers = new ArrayList<>();
    for (String add : Cli.values(args, "--add")) {
      layers.add(layer(args, add, sourceDateEpoch));
    }
    ImageSettings.Builder settings = ImageSettings.builder();
    if (sourceDateEpoch != null) {
      settings.createdFromSourceDateEpoch(sourceDateEpoch);
    }
    String entrypoint = Cli.value(args, "--entrypoint", null);
    if (entrypoint != null) {
      settings.entrypoint(argv("--entrypoint", entrypoint));
    }
    String cmd = Cli.value(args, "--cmd", null);
    if (cmd != null) {
      settings.cmd(argv("--cmd", cmd));
    }
    for (String kv : Cli.values(args, "--env")) {
      String[] p = pair("--env", kv);
      settings.env(p[0], p[1]);
    }
    for (String kv : Cli.values(args, "--label")) {
      String[] p = pair("--label", kv);
      settings.label(p[0], p[1]);
    }
    String user = Cli.value(args, "--user", null);
    if (user != null) {
      settings.user(user);
    }
    String workdir = Cli.value(args, "--workdir", null);
    if (workdir != null) {
      settings.workdir(workdir);
    }
    Cli.values(args, "--expose").forEach(settings::exposePort);
    LayerStore store = ctx.store();
    String from = Cli.value(args, "--from", null);
    ImageBuilder b = from.equals("scratch") ? store.build() : store.build(from);
    layers.forEach(b::addLayer);
    ImageId id = b.config(settings.build()).tag(Cli.value(args, "--tag", null));
    ctx.out.println(id);
    return 0;
  }

  /** One {@code --add SRC:DEST}: a directory's content goes to DEST, a file to DEST. */
  private static LayerSpec layer(ParseResult args, String add, String sourceDateEpoch) {
    int colon = add.lastIndexOf(':');
    if (colon <= 0 || colon == add.length() - 1) {
      throw new Main.UsageException("--add wants SRC:DEST, not \"" + add + "\"");
    }
    Path src = Path.of(add.substring(0, colon));
    String dest = add.substring(colon + 1);
    LayerSpec.Builder l = LayerSpec.builder().name(add);
    String chown = Cli.value(args, "--chown", null);
    if (chown != null) {
      String[] ug = chown.split(":", -1);
      try {
        l.owner(Long.parseLong(ug[0]), Long.parseLong(ug.length > 1 ? ug[1] : ug[0]));
      } catch (NumberFormatException e) {
        throw new Main.UsageException("--chown wants numeric UID:GID, not \"" + chown + "\"");
      }
    }
    String chmod = Cli.value(args, "--chmod", null);
    if (chmod != null) {
      try {
        l.mode(Integer.parseInt(chmod, 8));
      } catch (NumberFormatException e) {
        throw new Main.UsageException("--chmod wants an octal mode, not \"" + chmod + "\"");
      }
    }
    if (Cli.has(args, "--keep-mtimes")) {
      l.keepMtimes();
    } else if (sourceDateEpoch != null) {
      l.mtimeFromSourceDateEpoch(sourceDateEpoch);
    }
    if (Files.isDirectory(src)) {
      l.addDirectory(src, dest);
    } else {
      // a missing source is reported by the build, naming it, before anything is stored
      l.addFile(src, dest.endsWith("/") ? dest + src.getFileName() : dest);
    }
    return l.build();
  }

  private static List<String> argv(String option, String json) {
    try {
      JsonNode n = new ObjectMapper().readTree(json);
      List<String> out = new ArrayList<>();
      if (n != null && n.isArray()) {
        for (JsonNode s : n) {
          if (!s.isTextual()) {
            break;
          }
          out.add(s.asText());
        }
        if (out.size() == n.size()) {
          return out;
        }
      }
    } catch (IOException e) {
      // reported below
    }
    throw new Main.UsageException(
        option + " wants a JSON array of strings, e.g. [\"/app/run\",\"--flag\"], not " + json);
  }

  private static String[] pair(String option, String kv) {
    int eq = kv.indexOf('=');
    if (eq <= 0) {
      throw new Main.UsageException(option + " wants K=V, not \"" + kv + "\"");
    }
    return new String[] {kv.substring(0, eq), kv.substring(eq + 1)};
  }
}
