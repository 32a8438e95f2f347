package io.layerstore.cli;

import io.layerstore.CheckOptions;
import io.layerstore.CheckReport;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.PruneOptions;
import java.io.IOException;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** Commands about the store as a whole: info, fsck, prune; and demo, which shows it at work. */
final class StoreCommands implements Cli.Group {

  @Override
  public List<String> names() {
    return List.of("info", "fsck", "prune", "demo");
  }

  @Override
  public CommandSpec spec(String name) {
    return switch (name) {
      case "info" ->
          Cli.command(
              name,
              "[OPTIONS]",
              "Show what docker info shows about storage: driver, its facts, images, containers, root",
              (ctx, args) -> {
                ctx.out.print(ctx.store().info().format());
                return 0;
              });
      case "fsck" ->
          Cli.command(
                  name,
                  "[OPTIONS]",
                  "Check the store; exit status 1 when a problem is (left) unrepaired",
                  this::fsck)
              .addOption(Cli.flag("Fix what is safe to fix", "--repair"))
              .addOption(Cli.flag("Re-hash every layer", "--deep"));
      case "prune" ->
          Cli.command(
                  name,
                  "[OPTIONS]",
                  "Remove dangling images and the layers nothing uses any more",
                  this::prune)
              .addOption(
                  Cli.flag("Remove all untagged images, not just dangling ones", "-a", "--all"));
      case "demo" ->
          Cli.command(
                  name,
                  "[OPTIONS]",
                  "Show the library at work in a temporary store",
                  (ctx, args) -> new Demo().run(ctx, Cli.has(args, "--keep")))
              .addOption(Cli.flag("Keep the temporary directory", "--keep"));
      default -> throw new IllegalArgumentException("no command " + name);
    };
  }

  /**
   * {@code fsck [--repair] [--deep]}: one line per problem, then a summary. Exit status 0 when
   * nothing is (left) wrong, 1 otherwise.
   */
  int fsck(Main.Context ctx, ParseResult args) throws IOException {
    CheckOptions options = CheckOptions.defaults();
    if (Cli.has(args, "--repair")) {
      options = options.repair();
    }
    if (Cli.has(args, "--deep")) {
      options = options.deep();
    }
    LayerStore store = ctx.store();
    CheckReport r = store.check(options);
    for (CheckReport.Problem p : r.problems()) {
      ctx.out.println(
          (p.repaired()
                  ? "repaired "
                  : p.kind().severity().name().toLowerCase(java.util.Locale.ROOT) + " ")
              + p.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-')
              + " "
              + p.subject()
              + ": "
              + p.detail());
    }
    ctx.out.println(
        r.layers()
            + " layers, "
            + r.images()
            + " images, "
            + r.references()
            + " references"
            + (options.rehashLayers() ? ", every layer re-hashed" : "")
            + ": "
            + (r.isClean()
                ? (r.problems().isEmpty()
                    ? "clean"
                    : r.problems().size() + " problem(s), all repaired")
                : r.remaining().size() + " problem(s)" + (options.repairing() ? " left" : "")));
    return r.isClean() ? 0 : 1;
  }

  /** {@code prune [-a]}: like {@code docker image prune}, and unused layers with them. */
  int prune(Main.Context ctx, ParseResult args) throws IOException {
    PruneOptions options =
        Cli.has(args, "--all") ? PruneOptions.defaults().all() : PruneOptions.defaults();
    LayerStore.Pruned p = ctx.store().prune(options);
    for (ImageId id : p.images()) {
      ctx.out.println("deleted: " + id);
    }
    p.layers().forEach(l -> ctx.out.println("deleted: " + l));
    ctx.out.println();
    ctx.out.println("Total reclaimed space: " + Human.size(p.bytesFreed()));
    return 0;
  }
}
