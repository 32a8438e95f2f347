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
import io.layerstore.LoadOptions;
import io.layerstore.LoadedImage;
import io.layerstore.Mount;
import io.layerstore.PlatformIndex;
import io.layerstore.RemoveOptions;
import io.layerstore.SaveOptions;
import io.layerstore.spi.BranchIntrospection;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.TypeConversionException;

/**
 * The image commands: load, images, inspect, save, rmi, tag, import; and mount, umount of an image
 * (for {@link ContainerCommands}, whose mount and umount take an image or a container).
 */
final class ImageCommands implements Cli.Group {

  /** Made by the first command that needs it: Jackson takes a while to start. */
  private ObjectMapper json;

  @Override
  public List<String> names() {
    return List.of("load", "images", "inspect", "save", "rmi", "tag", "import");
  }

  @Override
  public CommandSpec spec(String name) {
    return switch (name) {
      case "load" ->
          Cli.command(
                  name,
                  "[OPTIONS]",
                  "Load images from a docker save archive or an OCI image layout (tar or directory)",
                  this::load)
              .addOption(
                  Cli.option(
                      Path.class,
                      Types.PATH,
                      "path",
                      "Read from a tar archive file (plain or compressed) or an OCI layout directory, instead"
                          + " of stdin",
                      "-i",
                      "--input"))
              .addOption(
                  Cli.option(
                      Types.Platform.class,
                      Types.PLATFORM_TYPE,
                      "os/arch[/variant]",
                      "Load this platform from a multi-platform image (default: the host's)",
                      "--platform"))
              .addOption(
                  Cli.flag(
                      "Load every platform of a multi-platform image; the tag goes to the"
                          + " host's (or --platform's)",
                      "--all-platforms"))
              .addOption(Cli.flag("Suppress the load output", "-q", "--quiet"));
      case "images" ->
          Cli.command(name, "[OPTIONS] [REPOSITORY[:TAG]]", "List images", this::images)
              .addOption(Cli.flag("Only show image IDs", "-q", "--quiet"))
              .addOption(Cli.flag("Don't truncate output", "--no-trunc"))
              .addPositional(Cli.args("0", "0..1", "REPOSITORY[:TAG]"));
      case "inspect" ->
          Cli.command(
                  name,
                  "[OPTIONS] IMAGE [IMAGE...]",
                  "Display detailed information on images",
                  this::inspect)
              .addOption(
                  Cli.flag(
                      "Show the branches of each image's mount (aufs: si, br0..brN)", "--mount"))
              .addPositional(Cli.args("0..*", "1..*", "IMAGE"));
      case "save" ->
          Cli.command(
                  name,
                  "[OPTIONS] IMAGE [IMAGE...]",
                  "Save images to a tar archive (docker save format) or an OCI image layout",
                  this::save)
              .addOption(Cli.output())
              .addOption(
                  Cli.option(
                          SaveOptions.Format.class,
                          ImageCommands::saveFormat,
                          "string",
                          "Archive format: docker (default), oci (an OCI image layout as a tar,"
                              + " which docker load also reads) or oci-dir (the layout as a"
                              + " directory)",
                          "--format")
                      .toBuilder()
                      .completionCandidates(List.of("docker", "oci", "oci-dir"))
                      .build())
              .addOption(
                  Cli.option(
                          SaveOptions.Compression.class,
                          ImageCommands::saveCompression,
                          "string",
                          "Compress the layers of an OCI layout: gzip or zstd (default: none; Docker 20.10"
                              + " cannot load zstd layers)",
                          "--compress")
                      .toBuilder()
                      .completionCandidates(List.of("gzip", "zstd"))
                      .build())
              .addPositional(Cli.args("0..*", "1..*", "IMAGE"));
      case "rmi" ->
          Cli.command(name, "[OPTIONS] IMAGE [IMAGE...]", "Remove images", this::rmi)
              .addOption(Cli.flag("Force removal of the image", "-f", "--force"))
              .addPositional(Cli.args("0..*", "1..*", "IMAGE"));
      case "tag" ->
          Cli.command(
                  name,
                  "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
                  "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
                  this::tag)
              .addPositional(Cli.args("0", "1", "SOURCE_IMAGE[:TAG]"))
              .addPositional(
                  Cli.args("1", "1", String.class, Types.REFERENCE, "TARGET_IMAGE[:TAG]"));
      case "import" ->
          Cli.command(
                  name,
                  "FILE [REPOSITORY[:TAG]]",
                  "Create an image from a layer tarball (plain, gzip or zstd)",
                  this::importLayer)
              .addPositional(Cli.args("0", "1", Path.class, Types.PATH, "FILE"))
              .addPositional(
                  Cli.args("1", "0..1", String.class, Types.REFERENCE, "REPOSITORY[:TAG]"));
      default -> throw new IllegalArgumentException("no command " + name);
    };
  }

  int load(Main.Context ctx, ParseResult args) throws IOException {
    Path input = Cli.value(args, "--input", null);
    LoadOptions options = LoadOptions.defaults();
    Types.Platform platform = Cli.value(args, "--platform", null);
    if (platform != null) {
      options = options.platform(platform.toString());
    }
    if (Cli.has(args, "--all-platforms")) {
      options = options.allPlatforms();
    }
    List<LoadedImage> loaded;
    if (input != null) {
      loaded = ctx.store().loadDetailed(input, options);
    } else if (ctx.readsStdin() && StdStreams.isTerminal(StdStreams.STDIN)) {
      throw new Main.UsageException(
          "\"layerstore load\" reads an archive from stdin, but stdin is a terminal: redirect"
              + " one (layerstore load < image.tar) or use -i FILE");
    } else {
      // "< image.tar": read in place, as -i does; a pipe is copied into the store first
      Optional<Path> file =
          ctx.readsStdin() ? StdStreams.regularFile(StdStreams.STDIN) : Optional.empty();
      loaded =
          file.isPresent()
              ? ctx.store().loadDetailed(file.get(), options)
              : ctx.store().loadDetailed(ctx.in, "stdin", options);
    }
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

  int images(Main.Context ctx, ParseResult args) throws IOException {
    boolean quiet = Cli.has(args, "--quiet");
    boolean noTrunc = Cli.has(args, "--no-trunc");
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"});
    Instant now = Instant.now();
    List<String> filter = Cli.positionals(args);
    for (ImageSummary s : ctx.store().images()) {
      if (!filter.isEmpty() && s.repoTags().stream().noneMatch(t -> named(t, filter.get(0)))) {
        continue; // docker images REPOSITORY[:TAG] lists only what that names
      }
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

  /** Whether the tag {@code repoTag} ({@code name:tag}) is what {@code REPOSITORY[:TAG]} names. */
  private static boolean named(String repoTag, String filter) {
    boolean hasTag = filter.lastIndexOf(':') > filter.lastIndexOf('/');
    return hasTag
        ? repoTag.equals(filter)
        : repoTag.substring(0, repoTag.lastIndexOf(':')).equals(filter);
  }

  int inspect(Main.Context ctx, ParseResult args) throws IOException {
    boolean mount = Cli.has(args, "--mount");
    List<String> images = Cli.positionals(args);
    json = new ObjectMapper();
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
    for (String tag : img.repoTags()) {
      Optional<PlatformIndex> index = store.platformIndex(tag);
      if (index.isPresent()) {
        // Not in docker's output: the multi-platform index this tag stands for (a load with
        // --all-platforms kept it).
        ObjectNode i = o.putObject("Index");
        i.put("Reference", tag);
        i.put("Digest", index.get().digest().toString());
        i.put("MediaType", index.get().mediaType());
        ArrayNode ps = i.putArray("Platforms");
        index.get().platforms().forEach(ps::add);
        break;
      }
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

  /** {@code mount IMAGE}: {@link ContainerCommands} calls it for a name that is no container. */
  int mount(Main.Context ctx, String image) throws IOException {
    LayerStore store = ctx.store();
    ImageId id = store.resolve(image);
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

  /**
   * {@code umount [--force] IMAGE}, likewise: gives back one mount left by {@code mount} (the
   * kernel mount goes with the last), or with {@code --force} every mount of the image.
   */
  int umount(Main.Context ctx, String image, boolean force) throws IOException {
    LayerStore store = ctx.store();
    ImageId id = store.resolve(image);
    if (!store.isMounted(id)) {
      ctx.err.println("Error: image " + image + " is not mounted");
      return 1;
    }
    if (force) {
      store.unmountAll(id);
    } else if (!store.unmount(id)) {
      ctx.err.println(
          "Error: image "
              + image
              + " is mounted, but not by \"layerstore mount\": a running program holds it"
              + " (--force unmounts it anyway)");
      return 1;
    }
    ctx.out.println(id.shortId());
    return 0;
  }

  /** {@code umount --all}: every mounted image, whoever mounted it. */
  int umountAll(Main.Context ctx) throws IOException {
    LayerStore store = ctx.store();
    for (ImageSummary image : store.images()) {
      if (store.isMounted(image.id())) {
        store.unmountAll(image.id());
        ctx.out.println(image.id().shortId());
      }
    }
    return 0;
  }

  int save(Main.Context ctx, ParseResult args) throws IOException {
    Path output = Cli.value(args, "--output", null);
    SaveOptions options =
        SaveOptions.defaults()
            .format(Cli.value(args, "--format", SaveOptions.Format.DOCKER))
            .compression(Cli.value(args, "--compress", SaveOptions.Compression.NONE));
    if (options.format() == SaveOptions.Format.DOCKER
        && options.compression() != SaveOptions.Compression.NONE) {
      throw new Main.UsageException(
          "\"layerstore save --compress\" needs --format oci or oci-dir: a docker save archive"
              + " holds uncompressed layers");
    }
    if (output != null) {
      ctx.store().save(Cli.positionals(args), output, options);
      return 0;
    }
    if (options.format() == SaveOptions.Format.OCI_DIR) {
      throw new Main.UsageException(
          "\"layerstore save --format oci-dir\" needs -o DIR: a directory cannot go to stdout");
    }
    StdStreams.writeArchive(ctx, os -> ctx.store().save(Cli.positionals(args), os, options));
    return 0;
  }

  /** {@code --format}'s value: docker, oci or oci-dir. */
  private static SaveOptions.Format saveFormat(String value) {
    return switch (value) {
      case "docker" -> SaveOptions.Format.DOCKER;
      case "oci" -> SaveOptions.Format.OCI;
      case "oci-dir" -> SaveOptions.Format.OCI_DIR;
      default ->
          throw new TypeConversionException(
              "unknown format \"" + value + "\": use docker, oci or oci-dir");
    };
  }

  /** {@code --compress}'s value: gzip or zstd (none, to say it explicitly). */
  private static SaveOptions.Compression saveCompression(String value) {
    return switch (value) {
      case "none" -> SaveOptions.Compression.NONE;
      case "gzip" -> SaveOptions.Compression.GZIP;
      case "zstd" -> SaveOptions.Compression.ZSTD;
      default ->
          throw new TypeConversionException(
              "unknown compression \"" + value + "\": use gzip or zstd");
    };
  }

  int rmi(Main.Context ctx, ParseResult args) throws IOException {
    RemoveOptions options =
        Cli.has(args, "--force") ? RemoveOptions.defaults().force() : RemoveOptions.defaults();
    List<String> images = Cli.positionals(args);
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

  int tag(Main.Context ctx, ParseResult args) throws IOException {
    List<String> a = Cli.positionals(args);
    ctx.store().tag(a.get(0), a.get(1));
    return 0;
  }

  int importLayer(Main.Context ctx, ParseResult args) throws IOException {
    List<Object> a = Cli.positionals(args);
    ImageId id = ctx.store().importLayer((Path) a.get(0), a.size() == 2 ? (String) a.get(1) : null);
    ctx.out.println(id);
    return 0;
  }

  static String shortChain(ChainId c) {
    return c.digest().shortHex();
  }
}
