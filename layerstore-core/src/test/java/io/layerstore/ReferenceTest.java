package io.layerstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReferenceTest {

  @Test
  void normalizesOfficialImages() throws Exception {
    Reference r = Reference.parse("ubuntu");
    assertEquals("docker.io", r.domain());
    assertEquals("library/ubuntu", r.path());
    assertNull(r.tag());
    assertEquals("ubuntu:latest", r.withDefaultTag().familiarString());
    assertEquals("ubuntu", r.familiarName());
  }

  @Test
  void keepsRegistryAndPort() throws Exception {
    Reference r = Reference.parse("127.0.0.1:5000/fx/dup:v1");
    assertEquals("127.0.0.1:5000", r.domain());
    assertEquals("fx/dup", r.path());
    assertEquals("v1", r.tag());
    assertEquals("127.0.0.1:5000/fx/dup", r.familiarName());
    assertEquals("127.0.0.1:5000/fx/dup:v1", r.familiarString());
  }

  @Test
  void localhostIsARegistry() throws Exception {
    assertEquals("localhost", Reference.parse("localhost/app").domain());
    assertEquals("docker.io", Reference.parse("foo/bar").domain());
    assertEquals(
        "foo/bar:latest", Reference.parse("docker.io/foo/bar").withDefaultTag().familiarString());
    assertEquals("fx:multi", Reference.parse("docker.io/library/fx:multi").familiarString());
    assertEquals("fx:multi", Reference.parse("index.docker.io/library/fx:multi").familiarString());
  }

  @Test
  void digestReferences() throws Exception {
    Reference r = Reference.parse("busybox@sha256:" + "a".repeat(64));
    assertNull(r.tag());
    assertEquals("busybox@sha256:" + "a".repeat(64), r.familiarString());
  }

  @Test
  void rejectsBadReferences() throws Exception {
    assertTrue(
        assertThrows(InvalidReferenceException.class, () -> Reference.parse("Ubuntu"))
            .getMessage()
            .contains("lowercase"));
    assertThrows(InvalidReferenceException.class, () -> Reference.parse("a".repeat(64)));
    assertThrows(InvalidReferenceException.class, () -> Reference.parse(""));
    assertThrows(InvalidReferenceException.class, () -> Reference.parse("foo:bad tag"));
    assertThrows(InvalidReferenceException.class, () -> Reference.parse("foo/../bar"));
    assertThrows(InvalidReferenceException.class, () -> Reference.parse("foo@sha256:xyz"));
    assertThrows(InvalidReferenceException.class, () -> Reference.parse("-foo"));
  }
}
