package io.layerstore.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The results of a benchmark as one table: rows grouped by the pair they belong to, each with the
 * median wall time (best beside it, never alone), the median CPU time split into user and system,
 * optionally the time per unit (per file), and its ratio to the peer rows of its pair.
 */
final class BenchTable {

  /** Which comparison a row belongs to. */
  enum Pair {
    CLI("what a command-line user pays: a new process per operation, start-up included, cold"),
    API(
        "what an embedding program pays: our API in-process against the peer's API"
            + " (Docker's Engine API over HTTP, or bare system calls)"),
    FLOOR("the floor: the least this machine can do for the same work");

    final String title;

    Pair(String title) {
      this.title = title;
    }
  }

  /**
   * One timed run: wall and CPU seconds of the whole run, and the operations it did.
   *
   * @param user user CPU seconds (the bench JVM, the processes it waited for, the daemon)
   * @param system system CPU seconds, counted the same way
   */
  record Sample(double wall, double user, double system, int ops) {}

  /** A contender's samples, or why it could not run ({@code failure} non-null). */
  record Row(String name, Pair pair, boolean peer, List<Sample> samples, String failure) {}

  private BenchTable() {}

  /** The median of {@code values} (the mean of the middle two for an even count); NaN if none. */
  static double median(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] s = values.clone();
    Arrays.sort(s);
    int m = s.length / 2;
    return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
  }

  /** The median over a row's samples of {@code what}, per operation. */
  static double median(Row row, ToDoubleFunction<Sample> what) {
    return median(
        row.samples().stream().mapToDouble(s -> what.applyAsDouble(s) / s.ops()).toArray());
  }

  static double best(Row row) {
    return row.samples().stream().mapToDouble(s -> s.wall() / s.ops()).min().orElse(Double.NaN);
  }

  /** One run as printed while the benchmark goes. */
  static String describe(Sample s) {
    String per = s.ops() == 1 ? "" : String.format(Locale.ROOT, " (%d ops)", s.ops());
    return String.format(
        Locale.ROOT,
        "%s wall, %s user, %s sys%s",
        time(s.wall()),
        time(s.user()),
        time(s.system()),
        per);
  }

  /** Seconds as ms below 10 s, else as s; "n/a" for NaN. */
  static String time(double seconds) {
    if (Double.isNaN(seconds)) {
      return "n/a";
    }
    return seconds < 10
        ? String.format(Locale.ROOT, "%.1f ms", seconds * 1e3)
        : String.format(Locale.ROOT, "%.2f s", seconds);
  }

  /**
   * The table: a heading line, then per pair its title and rows. With {@code units > 0} a column
   * gives the median wall time per unit ({@code unitName}, e.g. "file") in microseconds.
   */
  static List<String> format(String heading, List<Row> rows, long units, String unitName) {
    List<String> out = new ArrayList<>();
    String perUnit = units > 0 ? "per " + unitName : "";
    out.add(
        String.format(
                Locale.ROOT,
                "%-52s %11s %11s %11s %11s %10s  %s",
                heading,
                "median",
                "best",
                "user",
                "sys",
                perUnit,
                "ratio (medians)")
            .stripTrailing());
    for (Pair pair : Pair.values()) {
      List<Row> these = rows.stream().filter(r -> r.pair() == pair).toList();
      if (these.isEmpty()) {
        continue;
      }
      out.add(pair.name() + " - " + pair.title);
      for (Row r : these) {
        if (r.failure() != null || r.samples().isEmpty()) {
          out.add(
              String.format(
                  Locale.ROOT,
                  "  %-50s n/a (%s)",
                  r.name(),
                  r.failure() == null ? "not run" : "failed: " + r.failure()));
          continue;
        }
        double wall = median(r, Sample::wall);
        String unit = units > 0 ? String.format(Locale.ROOT, "%.1f us", wall * 1e6 / units) : "";
        out.add(
            String.format(
                    Locale.ROOT,
                    "  %-50s %11s %11s %11s %11s %10s  %s",
                    r.name(),
                    time(wall),
                    time(best(r)),
                    time(median(r, Sample::user)),
                    time(median(r, Sample::system)),
                    unit,
                    r.peer() ? "" : ratios(r, these))
                .stripTrailing());
      }
    }
    return out;
  }

  /** "0.45x docker load (CLI)" for each peer of the row's pair that has figures. */
  private static String ratios(Row row, List<Row> pair) {
    List<String> parts = new ArrayList<>();
    double ours = median(row, Sample::wall);
    for (Row p : pair) {
      if (p.peer() && p.failure() == null && !p.samples().isEmpty()) {
        parts.add(String.format(Locale.ROOT, "%.2fx %s", ours / median(p, Sample::wall), p.name()));
      }
    }
    return String.join(", ", parts);
  }

  /** The median wall time per operation of the row called {@code name}; NaN if none ran. */
  static double medianOf(List<Row> rows, String name) {
    return rows.stream()
        .filter(r -> r.name().equals(name) && r.failure() == null && !r.samples().isEmpty())
        .mapToDouble(r -> median(r, Sample::wall))
        .findFirst()
        .orElse(Double.NaN);
  }

  /**
   * The closing line about a goal the project set: "goal: WHAT: 230.0 ms, at most 250.0 ms: met"
   * (or "not met", or "not measured" when either figure is missing).
   */
  static String goal(String what, double value, double limit) {
    String verdict =
        Double.isNaN(value) || Double.isNaN(limit)
            ? "not measured"
            : value <= limit ? "met" : "not met";
    return String.format(
        Locale.ROOT, "goal: %s: %s, at most %s: %s", what, time(value), time(limit), verdict);
  }
}
