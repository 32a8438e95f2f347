package io.layerstore.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

/** The typed values of the command line: each converter's accepted and refused forms. */
class TypesTest {

  @Test
  void durations() throws Exception {
    assertEquals(Duration.ofSeconds(40), Types.DURATION.convert("40"));
    assertEquals(Duration.ofSeconds(40), Types.DURATION.convert("40s"));
    assertEquals(Duration.ofMillis(500), Types.DURATION.convert("500ms"));
    assertEquals(Duration.ofMinutes(90), Types.DURATION.convert("1h30m"));
    assertEquals(Duration.ofMillis(1500), Types.DURATION.convert("1.5s"));
    assertEquals(Duration.ZERO, Types.DURATION.convert("0"));
    for (String bad : new String[] {"", "soon", "-1", "10x", "1h 30m", "s", "40s5"}) {
      assertThrows(TypeConversionException.class, () -> Types.DURATION.convert(bad), bad);
    }
  }

  @Test
  void platforms() throws Exception {
    Types.Platform p = Types.PLATFORM_TYPE.convert("linux/amd64");
    assertEquals("linux", p.os());
    assertEquals("amd64", p.architecture());
    assertNull(p.variant());
    Types.Platform arm = Types.PLATFORM_TYPE.convert("linux/arm64/v8");
    assertEquals("v8", arm.variant());
    assertEquals("linux/arm64/v8", arm.toString());
    assertEquals("linux/amd64", Types.PLATFORM_TYPE.convert("Linux/AMD64").toString());
    for (String bad : new String[] {"", "linux", "linux/", "/amd64", "linux/arm/v7/x", "a b/c"}) {
      assertThrows(TypeConversionException.class, () -> Types.PLATFORM_TYPE.convert(bad), bad);
    }
  }

  @Test
  void numbersPathsAndReferences() throws Exception {
    assertEquals(1, Types.atLeast(1).convert("1"));
    assertThrows(TypeConversionException.class, () -> Types.atLeast(1).convert("0"));
    assertThrows(TypeConversionException.class, () -> Types.atLeast(0).convert("x"));
    assertThrows(TypeConversionException.class, () -> Types.atLeast(0).convert("99999999999"));
    assertEquals(Path.of("a/b"), Types.PATH.convert("a/b"));
    assertThrows(TypeConversionException.class, () -> Types.PATH.convert(""));
    assertThrows(TypeConversionException.class, () -> Types.PATH.convert("a\0b"));
    assertEquals("example.com/team/app:v1", Types.REFERENCE.convert("example.com/team/app:v1"));
    assertEquals("app", Types.REFERENCE.convert("app"));
    assertThrows(Types.BadReference.class, () -> Types.REFERENCE.convert("Bad Name"));
    assertEquals("h:1.2.3.4", Types.HOST_IP.convert("h:1.2.3.4"));
    assertThrows(TypeConversionException.class, () -> Types.HOST_IP.convert(":1.2.3.4"));
  }
}
