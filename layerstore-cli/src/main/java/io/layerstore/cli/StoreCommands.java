package io.layerstore.cli;

import io.layerstore.CheckOptions;
import io.layerstore.CheckReport;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.PruneOptions;
import java.io.IOException;
import java.util.List;

/** Commands about the store as a whole: fsck, prune. */
final class StoreCommands {

  /**
   * {@code fsck [--repair] [--deep]}: one line per problem, then a summary. Exit status 0 when
   * nothing is (left) wrong, 1 otherwise.
   */
  int fsck(Main.Context ctx, List<String> args) throws IOException {
    CheckOptions options = CheckOptions.defaults();
    for (String a : args) {
      switch (a) {
        case "--repair":
          options = options.repair();
          break;
        case "--deep":
          options = options.deep();
          break;
        default:
          throw new Main.UsageException(
              "unknown flag: " + a + "\nUsage: layerstore fsck [--repair] [--deep]");
      }
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
  int prune(Main.Context ctx, List<String> args) throws IOException {
    PruneOptions options = PruneOptions.defaults();
    for (String a : args) {
      if (a.equals("-a") || a.equals("--all")) {
        options = options.all();
      } else {
        throw new Main.UsageException("unknown flag: " + a + "\nUsage: layerstore prune [-a]");
      }
    }
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
