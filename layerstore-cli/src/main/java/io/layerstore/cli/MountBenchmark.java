package io.layerstore.cli;

import static io.layerstore.cli.BenchTable.Pair.API;
import static io.layerstore.cli.BenchTable.Pair.CLI;

import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.cli.BenchHarness.Contender;
import io.layerstore.cli.BenchHarness.Trial;
import io.layerstore.testkit.ImageArchiveBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * {@code layerstore bench-mount}: mount and unmount of an image of {@value #LAYERS} small layers
 * (the most a store takes), made here with the test kit's {@link ImageArchiveBuilder}. The pairs:
 * {@code layerstore mount} + {@code layerstore umount} as processes against the {@code mount -t
 * overlay} + {@code umount} commands with the same options; {@code LayerStore.mount} + {@code
 * close()} in-process against bare {@code mount(2)} + {@code umount2(2)} ({@link RawMount}), which
 * is also the floor. The options are the ones our driver passed, read back from {@code
 * /proc/self/mountinfo}. Needs root and the overlay2 driver.
 */
final class MountBenchmark {
  static final int LAYERS = 125;
  private static final int OPS = 20;

  /** Untimed cycles of each API row before the rounds. */
  private static final int WARM_UP = 1000;

  int run(Main.Context ctx, BenchOptions o) throws IOException {
    if (ctx.driver != null && !ctx.driver.equals("overlay2")) {
      throw new IOException(
          "bench-mount compares with overlay mount(2): it needs --driver overlay2");
    }
    try (BenchSession s = BenchSession.open(ctx, o, "mount");
        LayerStore store = s.store(s.base.resolve("store"))) {
      Path archive = s.base.resolve("layers-" + LAYERS + ".tar");
      ImageArchiveBuilder b = new ImageArchiveBuilder().tag("bench-mount:" + LAYERS);
      for (int i = 0; i < LAYERS; i++) {
        b.layer().dir("d" + i, 0755).file("d" + i + "/f", "layer " + i + "\n", 0644);
      }
      b.write(archive);
      String image = store.load(archive).get(0).toString();
      Path home = s.base.resolve("store/overlay2");
      String options;
      try (Mount m = store.mount(image)) {
        options = superOptions(Files.readAllLines(Path.of("/proc/self/mountinfo")), m.root());
      }
      ctx.out.printf(
          Locale.ROOT,
          "%d layers; the overlay's options (%d bytes), as our driver passed them, from %s%n",
          LAYERS,
          options.length(),
          home);
      Path root = s.base.resolve("store");
      List<Contender> rows = new ArrayList<>();
      rows.add(
          new Contender(
              "layerstore mount + umount (launcher)",
              CLI,
              false,
              fresh ->
                  Trial.of(
                      () -> {
                        Shell.check(s.ours(root, "mount", image));
                        Shell.check(s.ours(root, "umount", image));
                      })));
      rows.add(
          new Contender(
              "mount -t overlay + umount (commands)",
              CLI,
              true,
              fresh -> {
                Path target = Files.createDirectory(fresh.resolve("m"));
                return Trial.of(
                    () -> {
                      Shell.output(
                          List.of(
                              "mount",
                              "-t",
                              "overlay",
                              "-o",
                              "ro," + options,
                              "overlay",
                              target.toString()),
                          home);
                      Shell.check(List.of("umount", target.toString()));
                    });
              }));
      rows.add(
          new Contender(
              "LayerStore.mount + close (in-process)",
              API,
              false,
              fresh ->
                  new Trial(
                      () -> {
                        for (int i = 0; i < OPS; i++) {
                          try (Mount m = store.mount(image)) {
                            // mounted and unmounted: nothing to read
                          }
                        }
                      },
                      () -> {},
                      OPS)));
      try (RawMount raw = new RawMount(home)) {
        rows.add(
            new Contender(
                "mount(2) + umount2(2) (bare syscalls, the floor)",
                API,
                true,
                fresh -> {
                  Path target = Files.createDirectory(fresh.resolve("m"));
                  return new Trial(() -> raw.cycle(target, options, OPS), () -> {}, OPS);
                }));
        // Both API rows get the same untimed warm-up: an embedding program that mounts often runs
        // JIT-compiled code, and the bare syscalls get the same chance to warm the kernel's
        // caches (dentries of the 125 lower directories), so neither side is timed cold.
        Path warm = Files.createDirectories(s.base.resolve("warm"));
        for (int i = 0; i < WARM_UP; i++) {
          try (Mount m = store.mount(image)) {
            // as timed
          }
        }
        raw.cycle(warm, options, WARM_UP);
        ctx.out.printf(Locale.ROOT, "API rows warmed by %d untimed cycles each%n", WARM_UP);
        List<BenchTable.Row> results = s.harness.run("mount", rows);
        s.print(
            BenchTable.format(
                "mount + umount, " + LAYERS + " layers, " + o.rounds() + " rounds, per op",
                results,
                0,
                ""));
        ctx.out.println(
            BenchTable.goal(
                "LayerStore.mount + close within the syscalls + 1 ms",
                BenchTable.medianOf(results, rows.get(2).name()),
                BenchTable.medianOf(results, rows.get(3).name()) + 0.001));
      }
      return 0;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  /**
   * The super-block options of the mount at {@code target} in {@code mountinfo}, without {@code
   * ro}/{@code rw} (which are flags, not overlay options).
   */
  static String superOptions(List<String> mountinfo, Path target) throws IOException {
    for (String line : mountinfo) {
      String[] f = line.split(" ");
      if (f.length > 4 && unescape(f[4]).equals(target.toString())) {
        String[] tail = line.substring(line.indexOf(" - ") + 3).split(" ");
        return Arrays.stream(tail[2].split(","))
            .filter(opt -> !opt.equals("ro") && !opt.equals("rw"))
            .collect(Collectors.joining(","));
      }
    }
    throw new IOException("no mount at " + target + " in /proc/self/mountinfo");
  }

  /** mountinfo's octal escapes ({@code \040} for a space). */
  private static String unescape(String s) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == '\\' && i + 3 < s.length()) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(s.charAt(i));
      }
    }
    return b.toString();
  }
}
