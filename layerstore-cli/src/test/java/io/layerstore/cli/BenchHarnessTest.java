package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.cli.BenchHarness.Contender;
import io.layerstore.cli.BenchHarness.Trial;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The harness's order, fresh directories, cleanup and failures; nothing here is timed. */
class BenchHarnessTest {
  @TempDir Path base;

  private final ByteArrayOutputStream printed = new ByteArrayOutputStream();

  private BenchHarness harness(int rounds) {
    return new BenchHarness(
        new PrintStream(printed, true, StandardCharsets.UTF_8),
        base,
        rounds,
        0,
        new CpuClock(List.of()));
  }

  @Test
  void oddRoundsRunInReverseSoEachSideGoesFirstInTurn() {
    List<String> rows = List.of("ours CLI", "docker CLI", "ours API", "docker API", "floor");
    assertEquals(rows, BenchHarness.order(rows, 0));
    assertEquals(
        List.of("floor", "docker API", "ours API", "docker CLI", "ours CLI"),
        BenchHarness.order(rows, 1));
    assertEquals(rows, BenchHarness.order(rows, 2));
    for (int r = 0; r < 4; r++) {
      List<String> order = BenchHarness.order(rows, r);
      boolean oursFirst = order.indexOf("ours CLI") < order.indexOf("docker CLI");
      assertEquals(r % 2 == 0, oursFirst, "round " + r);
    }
  }

  @Test
  void everyRunGetsAFreshDirectoryKeptUntilTheEnd() throws Exception {
    List<String> events = new ArrayList<>();
    List<Path> dirs = new ArrayList<>();
    Contender a = contender("a", events, dirs);
    Contender b = contender("b", events, dirs);
    List<BenchTable.Row> rows = harness(3).run("test", List.of(a, b));

    assertEquals(
        List.of(
            "prepare a",
            "time a",
            "clean a",
            "prepare b",
            "time b",
            "clean b",
            "prepare b",
            "time b",
            "clean b",
            "prepare a",
            "time a",
            "clean a",
            "prepare a",
            "time a",
            "clean a",
            "prepare b",
            "time b",
            "clean b"),
        events);
    assertEquals(6, dirs.stream().distinct().count(), "a new directory per run");
    for (Path d : dirs) {
      // deleting while timing would slow the next runs: what a run made stays until the end
      assertTrue(Files.exists(d.resolve("tree")), d + " kept after its run");
    }
    assertEquals(2, rows.size());
    assertEquals("a", rows.get(0).name());
    assertEquals(3, rows.get(0).samples().size());
    assertNull(rows.get(0).failure());
    assertEquals(2, rows.get(0).samples().get(0).ops());
    String out = printed.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("test, round 3: b"), out);
  }

  private static Contender contender(String name, List<String> events, List<Path> dirs) {
    return new Contender(
        name,
        BenchTable.Pair.CLI,
        false,
        fresh -> {
          assertTrue(Files.isDirectory(fresh));
          try (var list = Files.list(fresh)) {
            assertEquals(0, list.count(), "fresh means empty");
          }
          dirs.add(fresh);
          events.add("prepare " + name);
          Files.writeString(fresh.resolve("tree"), "made by the run");
          return new Trial(() -> events.add("time " + name), () -> events.add("clean " + name), 2);
        });
  }

  @Test
  void aRowThatMayFailBecomesNotAvailableOthersStopTheBenchmark() throws Exception {
    int[] runs = new int[1];
    Contender flaky =
        new Contender(
            "oci load",
            BenchTable.Pair.API,
            false,
            true,
            fresh ->
                Trial.of(
                    () -> {
                      runs[0]++;
                      throw new IOException("not an archive\nmore output");
                    }));
    Contender fine =
        new Contender("floor", BenchTable.Pair.FLOOR, false, fresh -> Trial.of(() -> {}));
    List<BenchTable.Row> rows = harness(3).run("t", List.of(flaky, fine));
    assertEquals(1, runs[0], "a failed row is not run again");
    assertEquals("not an archive", rows.get(0).failure());
    assertEquals(3, rows.get(1).samples().size());

    Contender fatal =
        new Contender(
            "docker load",
            BenchTable.Pair.CLI,
            true,
            fresh ->
                Trial.of(
                    () -> {
                      throw new IOException("status 500");
                    }));
    IOException e = assertThrows(IOException.class, () -> harness(1).run("t", List.of(fatal)));
    assertTrue(e.getMessage().startsWith("docker load: "), e.getMessage());
  }
}
