package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.cli.BenchTable.Pair;
import io.layerstore.cli.BenchTable.Row;
import io.layerstore.cli.BenchTable.Sample;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Medians and the result table, from given samples. */
class BenchTableTest {

  @Test
  void medians() {
    assertEquals(2.0, BenchTable.median(new double[] {3, 1, 2}));
    assertEquals(2.5, BenchTable.median(new double[] {4, 1, 3, 2}));
    assertEquals(7.0, BenchTable.median(new double[] {7}));
    assertTrue(Double.isNaN(BenchTable.median(new double[0])));
  }

  private static Row row(String name, Pair pair, boolean peer, double... walls) {
    return new Row(
        name,
        pair,
        peer,
        java.util.Arrays.stream(walls).mapToObj(w -> new Sample(w, w / 2, w / 4, 1)).toList(),
        null);
  }

  @Test
  void tableGroupsByPairWithMediansBestAndRatiosToThePeer() {
    List<Row> rows =
        List.of(
            row("ours CLI", Pair.CLI, false, 3.0, 1.0, 2.0),
            row("docker CLI", Pair.CLI, true, 4.0, 4.0, 5.0),
            row("ours API", Pair.API, false, 0.5, 0.1, 0.3),
            row("docker API", Pair.API, true, 0.6, 0.6, 0.6),
            row("floor", Pair.FLOOR, false, 0.2, 0.2, 0.2),
            new Row("umoci", Pair.CLI, true, List.of(), "no ref"));
    List<String> t = BenchTable.format("load x, 3 rounds", rows, 1000, "file");
    String all = String.join("\n", t);
    assertTrue(t.get(0).startsWith("load x, 3 rounds"), t.get(0));
    assertTrue(t.get(0).contains("per file"), t.get(0));
    assertTrue(t.get(1).startsWith("CLI - what a command-line user pays"), all);
    String ours = t.get(2);
    // median 2 s (not the best, 1 s, alone), best beside it, CPU medians, 2 ms per file
    assertTrue(
        ours.matches(
            "  ours CLI +2000\\.0 ms +1000\\.0 ms +1000\\.0 ms +500\\.0 ms +2000\\.0 us  0\\.50x docker CLI"),
        ours);
    assertTrue(t.get(3).startsWith("  docker CLI"), all);
    assertTrue(t.get(3).endsWith(" us"), "a peer row has no ratio: " + t.get(3));
    assertTrue(t.get(4).matches("  umoci +n/a \\(failed: no ref\\)"), t.get(4));
    assertTrue(t.get(5).startsWith("API - what an embedding program pays"), all);
    assertTrue(t.get(6).endsWith("0.50x docker API"), t.get(6));
    assertTrue(t.get(8).startsWith("FLOOR - "), all);
    assertTrue(t.get(9).startsWith("  floor ") && !t.get(9).contains("x "), t.get(9));
    assertEquals(10, t.size());
  }

  @Test
  void samplesOfManyOperationsAreQuotedPerOperation() {
    Row r = new Row("mount", Pair.API, false, List.of(new Sample(0.020, 0.01, 0.01, 20)), null);
    assertEquals(0.001, BenchTable.median(r, Sample::wall), 1e-12);
    assertEquals("1.0 ms", BenchTable.time(BenchTable.best(r)));
    assertEquals("12.50 s", BenchTable.time(12.5));
    assertEquals("n/a", BenchTable.time(Double.NaN));
  }

  @Test
  void goalsSayMetNotMetOrNotMeasured() {
    List<Row> rows =
        List.of(
            row("ours", Pair.CLI, false, 0.2, 0.3, 0.1),
            new Row("umoci", Pair.CLI, true, List.of(), "failed"));
    assertEquals(0.2, BenchTable.medianOf(rows, "ours"), 1e-12);
    assertTrue(Double.isNaN(BenchTable.medianOf(rows, "umoci")));
    assertEquals(
        "goal: start: 200.0 ms, at most 250.0 ms: met",
        BenchTable.goal("start", BenchTable.medianOf(rows, "ours"), 0.25));
    assertTrue(BenchTable.goal("x", 0.3, 0.25).endsWith(": not met"));
    assertTrue(
        BenchTable.goal("x", 0.2, 0.5 * BenchTable.medianOf(rows, "umoci"))
            .endsWith(", at most n/a: not measured"));
  }
}
