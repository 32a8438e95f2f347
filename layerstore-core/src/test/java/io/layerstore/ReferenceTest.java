package io.layerstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReferenceTest {

  @Test
  void normalizesOfficialImages() {
    Reference r = Reference.parse("ubuntu");
    assertEquals("docker.io", r.domain());
    assertEquals("library/ubuntu", r.path());
    assertNull(r.tag());
    assertEquals("ubuntu:latest", r.withDefaultTag().familiarString());
    assertEquals("ubuntu", r.familiarName());
  }

  @Test
  void keepsRegistryAndPort() {
    Reference r = Reference.parse("127.0.0.1:5000/fx/dup:v1");
    assertEquals("127.0.0.1:5000", r.domain());
    assertEquals("fx/dup", r.path());
    assertEquals("v1", r.tag());
    assertEquals("127.0.0.1:5000/fx/dup", r.familiarName());
    assertEquals("127.0.0.1:5000/fx/dup:v1", r.familiarString());
  }

  @Test
  void localhostIsARegistry() {
    assertEquals("localhost", Reference.parse("localhost/app").domain());
    assertEquals("docker.io", Reference.parse("foo/bar").domain());
    assertEquals(
        "foo/bar:latest", Reference.parse("docker.io/foo/bar").withDefaultTag().familiarString());
    assertEquals("fx:multi", Reference.parse("docker.io/library/fx:multi").familiarString());
    assertEquals("fx:multi", Reference.parse("index.docker.io/library/fx:multi").familiarString());
  }

  @Test
  void digestReferences() {
    Reference r = Reference.parse("busybox@sha256:" + "a".repeat(64));
    assertNull(r.tag());
    assertEquals("busybox@sha256:" + "a".repeat(64), r.familiarString());
  }

  @Test
  void rejectsBadReferences() {
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Reference.parse("Ubuntu"))
            .getMessage()
            .contains("lowercase"));
    assertThrows(IllegalArgumentException.class, () -> Reference.parse("a".repeat(64)));
    assertThrows(IllegalArgumentException.class, () -> Reference.parse(""));
    assertThrows(IllegalArgumentException.class, () -> Reference.parse("foo:bad tag"));
    assertThrows(IllegalArgumentException.class, () -> Reference.parse("foo/../bar"));
    assertThrows(IllegalArgumentException.class, () -> Reference.parse("foo@sha256:xyz"));
    assertThrows(IllegalArgumentException.class, () -> Reference.parse("-foo"));
  }
}
