package io.layerstore.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.RegistryException;
import org.junit.jupiter.api.Test;

/** What {@code login HOST} and {@code logout HOST} take as a registry, as docker takes it. */
class RegistryNameTest {

  @Test
  void dockerHubHasOneNameWhateverItIsCalled() throws Exception {
    for (String h :
        new String[] {
          "", "docker.io", "index.docker.io", "https://index.docker.io/v1/", "registry-1.docker.io"
        }) {
      assertEquals("docker.io", RegistryClient.registryName(h), h);
    }
    assertEquals("https://index.docker.io/v1/", DockerConfig.key("docker.io"));
  }

  @Test
  void otherRegistriesKeepHostAndPortAndLoseSchemeAndPath() throws Exception {
    assertEquals("reg.lan:5000", RegistryClient.registryName("reg.lan:5000"));
    assertEquals("reg.lan:5000", RegistryClient.registryName("https://reg.lan:5000/v2/"));
    assertEquals("[::1]:5000", RegistryClient.registryName("[::1]:5000"));
    RegistryException e =
        assertThrows(RegistryException.class, () -> RegistryClient.registryName("a b"));
    assertTrue(e.getMessage().contains("\"a b\" is not a registry"), e.getMessage());
  }
}
