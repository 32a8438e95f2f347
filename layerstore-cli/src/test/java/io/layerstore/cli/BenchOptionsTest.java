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
}
