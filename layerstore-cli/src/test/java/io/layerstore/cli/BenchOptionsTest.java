package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The arguments of the bench-* commands, and the clear errors for bad ones. */
class BenchOptionsTest {
  private static final String USAGE = "Usage: layerstore bench-x FILE";

  @Test
  void defaultsAndFlags() {
    BenchOptions d = BenchOptions.parse(List.of("a.tar"), 3, true, USAGE);
    assertEquals(List.of(Path.of("a.tar").toAbsolutePath()), d.archives());
    assertEquals(3, d.rounds());
    assertEquals(40, d.pause());
    assertTrue(d.docker());
    assertEquals(null, d.work());

    BenchOptions o =
        BenchOptions.parse(
            List.of(
                "--rounds", "5", "a.tar", "--pause", "0", "--no-docker", "--work", "w", "b.tar"),
            3,
            true,
            USAGE);
    assertEquals(2, o.archives().size());
    assertEquals(5, o.rounds());
    assertEquals(0, o.pause());
    assertFalse(o.docker());
    assertEquals(Path.of("w"), o.work());
  }

  private static String error(List<String> args, boolean dockerFlag) {
    return assertThrows(
            Main.UsageException.class, () -> BenchOptions.parse(args, 3, dockerFlag, USAGE))
        .getMessage();
  }

  @Test
  void badArgumentsAreNamed() {
    assertEquals(USAGE, error(List.of(), true));
    assertTrue(
        error(List.of("a.tar", "--rounds"), true).startsWith("flag needs an argument: --rounds"));
    assertTrue(
        error(List.of("a.tar", "--rounds", "0"), true)
            .startsWith("invalid value \"0\" for --rounds"));
    assertTrue(
        error(List.of("a.tar", "--pause", "soon"), true)
            .startsWith("invalid value \"soon\" for --pause"));
    assertTrue(
        error(List.of("a.tar", "--no-docker"), false).startsWith("unknown flag: --no-docker"));
    assertThrows(
        Main.UsageException.class,
        () -> BenchOptions.parse(List.of("a.tar", "b.tar"), 3, true, USAGE).archive(USAGE),
        "one archive only");
  }

  @Test
  void eachCommandHasItsOwnOptions() {
    BenchOptions load = BenchOptions.parse("bench-load", List.of("--small-files"), 3, true);
    assertTrue(load.archives().isEmpty(), "bench-load may make its image alone");
    assertEquals(SmallFilesImage.DEFAULT_FILES, load.smallFiles());
    BenchOptions fewer =
        BenchOptions.parse(
            "bench-load", List.of("a.tar", "--small-files", "--files", "500"), 3, true);
    assertEquals(500, fewer.smallFiles());
    assertEquals(1, fewer.archives().size());
    assertEquals(0, BenchOptions.parse("bench-load", List.of("a.tar"), 3, true).smallFiles());

    BenchOptions commit = BenchOptions.parse("bench-commit", List.of("a.tar"), 5, true);
    assertEquals(CommitBenchmark.DEFAULT_FILES, commit.files(CommitBenchmark.DEFAULT_FILES));
    assertEquals(
        77,
        BenchOptions.parse("bench-commit", List.of("a.tar", "--files", "77"), 5, true).files(1));

    BenchOptions mount = BenchOptions.parse("bench-mount", List.of("--rounds", "2"), 5, false);
    assertEquals(2, mount.rounds());
    assertTrue(mount.archives().isEmpty());
    assertTrue(
        assertThrows(
                Main.UsageException.class,
                () -> BenchOptions.parse("bench-mount", List.of("a.tar"), 5, false))
            .getMessage()
            .contains("accepts no arguments"));
    assertTrue(
        assertThrows(
                Main.UsageException.class,
                () -> BenchOptions.parse("bench-load", List.of("--files", "0"), 3, true))
            .getMessage()
            .startsWith("invalid value \"0\" for --files"));
    assertThrows(
        Main.UsageException.class,
        () -> BenchOptions.parse("bench-save", List.of("--small-files", "a.tar"), 3, true),
        "bench-save has no --small-files");
  }
}
