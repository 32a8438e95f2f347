package io.layerstore.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class LayerSpecTest {

  @Test
  void targetsAreCleanedAndMayNotClimbOutOfTheImage() {
    assertEquals("app/lib", LayerSpec.cleanTarget("/app//lib/"));
    assertEquals("app/lib", LayerSpec.cleanTarget("./app/./lib"));
    assertEquals("", LayerSpec.cleanTarget("/"));
    for (String bad : List.of("/app/../../etc", "..", "a/..", "")) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> LayerSpec.cleanTarget(bad));
      assertTrue(e.getMessage().contains(bad.isEmpty() ? "empty" : bad), e.getMessage());
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> LayerSpec.builder().addFile(Path.of("x"), "/"),
        "a file cannot be the root");
    assertThrows(IllegalArgumentException.class, () -> LayerSpec.builder().addSymlink("/l", ""));
  }

  @Test
  void defaultsAreJibsAndOptionsAreChecked() {
    LayerSpec d = LayerSpec.builder().addBytes(new byte[] {1}, "/f").build();
    assertEquals(LayerSpec.Permissions.DEFAULT, d.permissions());
    assertEquals(LayerSpec.Mtimes.FIXED, d.mtimes());
    assertEquals(Instant.ofEpochSecond(1), d.mtime());
    assertEquals(0, d.uid());
    assertEquals(0, d.gid());

    LayerSpec s = LayerSpec.builder().mtimeFromSourceDateEpoch("1700000000").mode(0750).build();
    assertEquals(Instant.ofEpochSecond(1_700_000_000L), s.mtime());
    assertEquals(LayerSpec.Mtimes.EXPLICIT, s.mtimes());
    assertEquals(0750, s.mode());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LayerSpec.builder().mtimeFromSourceDateEpoch("yesterday"));
    assertTrue(e.getMessage().contains("SOURCE_DATE_EPOCH"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> LayerSpec.builder().mode(010000));
    assertThrows(IllegalArgumentException.class, () -> LayerSpec.builder().owner(-1, 0));
  }

  @Test
  void entriesAreValuesAndCopyTheirBytes() {
    byte[] b = {1, 2, 3};
    LayerSpec s = LayerSpec.builder().addBytes(b, "/f").build();
    b[0] = 9;
    assertEquals(1, s.entries().get(0).content()[0], "the spec keeps its own copy");
    assertEquals(
        LayerSpec.builder().addBytes(new byte[] {1, 2, 3}, "f").build().entries(), s.entries());
  }

  @Test
  void settingsValidatePortsPathsAndNames() {
    ImageSettings s =
        ImageSettings.builder().exposePort("8080").exposePort("53/udp").volume("/data").build();
    assertEquals(List.of("53/udp", "8080/tcp"), List.copyOf(s.exposedPorts()));
    assertEquals(Instant.EPOCH, s.created());
    assertThrows(IllegalArgumentException.class, () -> ImageSettings.builder().exposePort("0"));
    assertThrows(IllegalArgumentException.class, () -> ImageSettings.builder().exposePort("80/xx"));
    assertThrows(IllegalArgumentException.class, () -> ImageSettings.builder().workdir("rel"));
    assertThrows(IllegalArgumentException.class, () -> ImageSettings.builder().env("A=B", "c"));
  }
}
