package io.layerstore.cli;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.Image;
import io.layerstore.ImageId;
import io.layerstore.ImageSummary;
import io.layerstore.LayerStore;
import io.layerstore.LayerStoreException;
import io.layerstore.LoadedImage;
import io.layerstore.Mount;
import io.layerstore.RemoveOptions;
import io.layerstore.spi.BranchIntrospection;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The image commands: load, images, inspect, mount, umount, save, rmi, tag, import. */
final class ImageCommands {

  private final ObjectMapper json = new ObjectMapper();

  int load(Main.Context ctx, List<String> args) throws IOException {
    String input = null;
    boolean quiet = false;
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("-i") || a.equals("--input")) {
        input = value(args, ++i, a);
      } else if (a.startsWith("--input=")) {
        input = a.substring(8);
      } else if (a.equals("-q") || a.equals("--quiet")) {
        quiet = true;
      } else {
        throw new Main.UsageException(
            "\"load\" accepts no argument " + a + "\nUsage: layerstore load -i FILE");
      }
    }
    if (input == null) {
      throw new Main.UsageException(
          "Usage: layerstore load -i FILE (reading from stdin is not supported)");
    }
    List<LoadedImage> loaded = ctx.store().loadDetailed(Path.of(input));
    for (LoadedImage l : loaded) {
      if (l.tags().isEmpty()) {
        ctx.out.println("Loaded image ID: " + l.id());
      } else {
        for (String t : l.tags()) {
          ctx.out.println("Loaded image: " + t);
        }
      }
    }
    return 0;
  }

  int images(Main.Context ctx, List<String> args) throws IOException {
    boolean quiet = args.contains("-q") || args.contains("--quiet");
    boolean noTrunc = args.contains("--no-trunc");
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
    Instant now = Instant.now();
    for (ImageSummary s : ctx.store().images()) {
      String id = noTrunc ? s.id().toString() : s.id().shortId();
      if (quiet) {
        ctx.out.println(id);
        continue;
      }
      String created =
          s.created() == null ? "N/A" : Human.duration(Duration.between(s.created(), now)) + " ago";
      List<String> tags = s.repoTags().isEmpty() ? List.of("<none>:<none>") : s.repoTags();
      for (String t : tags) {
        int colon = t.lastIndexOf(':');
        rows.add(
            new String[] {
              t.substring(0, colon), t.substring(colon + 1), id, created, Human.size(s.size())
            });
      }
    }
    if (!quiet) {
      ctx.out.print(Human.table(rows));
    }
    return 0;
  }

  int inspect(Main.Context ctx, List<String> args) throws IOException {
    boolean mount = false;
    List<String> images = new ArrayList<>();
    for (String a : args) {
      if (a.equals("--mount")) {
        mount = true;
      } else if (a.startsWith("-")) {
        throw new Main.UsageException("unknown flag: " + a);
      } else {
        images.add(a);
      }
    }
    if (images.isEmpty()) {
      throw new Main.UsageException(
          "\"inspect\" requires at least 1 argument.\nUsage: layerstore inspect [--mount] IMAGE...");
    }
    ArrayNode out = json.createArrayNode();
    for (String a : images) {
      out.add(mount ? describeMount(ctx.store(), a) : describe(ctx.store(), ctx.store().image(a)));
    }
    DefaultPrettyPrinter pp = new DefaultPrettyPrinter();
    pp.indentArraysWith(new DefaultIndenter("    ", "\n"));
    pp.indentObjectsWith(new DefaultIndenter("    ", "\n"));
    ctx.out.println(json.writer(pp).writeValueAsString(out).replace("\" : ", "\": "));
    return 0;
  }

  private ObjectNode describe(LayerStore store, Image img) throws IOException {
    JsonNode config = json.readTree(img.config());
    ObjectNode o = json.createObjectNode();
    o.put("Id", img.id().toString());
    ArrayNode tags = o.putArray("RepoTags");
    img.repoTags().forEach(tags::add);
    o.putArray("RepoDigests");
    o.put("Parent", img.parent() == null ? "" : img.parent().toString());
    o.put("Comment", config.path("comment").asText(""));
    o.put("Created", config.path("created").asText(""));
    o.put("Container", config.path("container").asText(""));
    o.set(
        "ContainerConfig",
        config.path("container_config").isMissingNode()
            ? json.createObjectNode()
            : config.get("container_config"));
    o.put("DockerVersion", config.path("docker_version").asText(""));
    o.put("Author", config.path("author").asText(""));
    o.set("Config", config.has("config") ? config.get("config") : null);
    o.put("Architecture", img.architecture() == null ? "" : img.architecture());
    if (config.hasNonNull("variant")) {
      o.put("Variant", config.get("variant").asText());
    }
    o.put("Os", img.os() == null ? "" : img.os());
    o.put("Size", img.size());
    o.put("VirtualSize", img.size());
    ObjectNode gd = o.putObject("GraphDriver");
    ObjectNode data = gd.putObject("Data");
    img.driverData().entrySet().stream()
        .sorted(java.util.Map.Entry.comparingByKey())
        .forEach(e -> data.put(e.getKey(), e.getValue()));
    gd.put("Name", store.driverName());
    ObjectNode rootfs = o.putObject("RootFS");
    rootfs.put("Type", "layers");
    ArrayNode layers = rootfs.putArray("Layers");
    for (DiffId d : img.diffIds()) {
      layers.add(d.toString());
    }
    ObjectNode meta = o.putObject("Metadata");
    meta.put(
        "LastTagTime",
        img.lastTagTime() == null
            ? "0001-01-01T00:00:00Z"
            : img.lastTagTime().atOffset(ZoneOffset.UTC).toString());
    return o;
  }

  /**
   * The branch stack of an image's mount, as aufs shows it in {@code /proc/mounts} and {@code
   * /sys/fs/aufs/si_<si>/}. An image that is not mounted is mounted for the command ({@code
   * "Temporary": true}), which is the only way to see an in-process mount from the command line.
   */
  private ObjectNode describeMount(LayerStore store, String ref) throws IOException {
    ImageId id = store.resolve(ref);
    if (!store.showsMountBranches()) {
      throw new LayerStoreException(
          "the "
              + store.driverName()
              + " driver has no branch list to show;"
              + " inspect --mount needs a driver that has one (aufs)");
    }
    Mount temporary = null;
    try {
      Optional<BranchIntrospection.MountBranches> found = store.mountBranches(id);
      if (found.isEmpty()) {
        temporary = store.mount(id);
        found = store.mountBranches(id);
      }
      BranchIntrospection.MountBranches b =
          found.orElseThrow(
              () ->
                  new LayerStoreException("image " + ref + " shows no branches even when mounted"));
      ObjectNode o = json.createObjectNode();
      o.put("Id", id.toString());
      o.put("Driver", store.driverName());
      o.put("MountPoint", b.mountPoint());
      o.put("KernelMount", b.kernel());
      o.put("Temporary", temporary != null);
      o.put("Si", b.si());
      o.put("XinoPath", b.xinoPath());
      ArrayNode branches = o.putArray("Branches");
      for (BranchIntrospection.Branch br : b.branches()) {
        ObjectNode n = branches.addObject();
        n.put("Index", br.index());
        n.put("Path", br.path());
        n.put("Permission", br.permission());
        n.put("BranchId", br.branchId());
      }
      return o;
    } finally {
      if (temporary != null) {
        temporary.close();
      }
    }
  }

  int mount(Main.Context ctx, List<String> args) throws IOException {
    if (args.size() != 1) {
      throw new Main.UsageException(
          "\"mount\" requires exactly 1 argument.\nUsage: layerstore mount IMAGE");
    }
    LayerStore store = ctx.store();
    ImageId id = store.resolve(args.get(0));
    Mount m = store.mount(id);
    try {
      m.leaveMounted();
    } catch (IOException e) {
      m.close();
      throw e;
    }
    ctx.out.println(m.root());
    return 0;
  }

  int umount(Main.Context ctx, List<String> args) throws IOException {
    if (args.size() != 1) {
      throw new Main.UsageException(
          "\"umount\" requires exactly 1 argument.\nUsage: layerstore umount IMAGE");
    }
    LayerStore store = ctx.store();
    ImageId id = store.resolve(args.get(0));
    if (!store.isMounted(id)) {
      ctx.err.println("Error: image " + args.get(0) + " is not mounted");
      return 1;
    }
    store.unmount(id);
    ctx.out.println(id.shortId());
    return 0;
  }

  int save(Main.Context ctx, List<String> args) throws IOException {
    String output = null;
    List<String> images = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (a.equals("-o") || a.equals("--output")) {
        output = value(args, ++i, a);
      } else if (a.startsWith("--output=")) {
        output = a.substring(9);
      } else if (a.startsWith("-")) {
        throw new Main.UsageException("unknown flag: " + a);
      } else {
        images.add(a);
      }
    }
    if (output == null || images.isEmpty()) {
      throw new Main.UsageException(
          "Usage: layerstore save -o FILE IMAGE... (writing to stdout is not supported)");
    }
    ctx.store().save(images, Path.of(output));
    return 0;
  }

  int rmi(Main.Context ctx, List<String> args) throws IOException {
    RemoveOptions options = RemoveOptions.defaults();
    List<String> images = new ArrayList<>();
    for (String a : args) {
      if (a.equals("-f") || a.equals("--force")) {
        options = options.force();
      } else if (a.startsWith("-")) {
        throw new Main.UsageException("unknown flag: " + a);
      } else {
        images.add(a);
      }
    }
    if (images.isEmpty()) {
      throw new Main.UsageException(
          "\"rmi\" requires at least 1 argument.\nUsage: layerstore rmi [-f] IMAGE...");
    }
    int status = 0;
    for (String img : images) {
      try {
        LayerStore.Removal r = ctx.store().remove(img, options);
        r.untagged().forEach(t -> ctx.out.println("Untagged: " + t));
        r.deleted().forEach(d -> ctx.out.println("Deleted: " + d));
        r.layersDeleted().forEach(d -> ctx.out.println("Deleted: " + d));
      } catch (IOException | IllegalArgumentException e) {
        ctx.err.println("Error: " + e.getMessage());
        status = 1;
      }
    }
    return status;
  }

  int tag(Main.Context ctx, List<String> args) throws IOException {
    if (args.size() != 2) {
      throw new Main.UsageException(
          "\"tag\" requires exactly 2 arguments.\nUsage: layerstore tag SOURCE TARGET");
    }
    ctx.store().tag(args.get(0), args.get(1));
    return 0;
  }

  int importLayer(Main.Context ctx, List<String> args) throws IOException {
    if (args.isEmpty() || args.size() > 2) {
      throw new Main.UsageException(
          "\"import\" requires 1 or 2 arguments.\nUsage: layerstore import FILE [REPO[:TAG]]");
    }
    ImageId id =
        ctx.store().importLayer(Path.of(args.get(0)), args.size() == 2 ? args.get(1) : null);
    ctx.out.println(id);
    return 0;
  }

  private static String value(List<String> args, int i, String flag) {
    if (i >= args.size()) {
      throw new Main.UsageException("flag needs an argument: " + flag);
    }
    return args.get(i);
  }

  static String shortChain(ChainId c) {
    return c.digest().shortHex();
  }
}
