package io.layerstore;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class OptionsTest {

  @Test
  void defaultsAreTheDockerCommandsWithoutFlags() {
    assertEquals(new RemoveOptions(false), RemoveOptions.defaults());
    assertEquals(new PruneOptions(false), PruneOptions.defaults());
    assertEquals(new CheckOptions(false, false), CheckOptions.defaults());
    assertEquals(
        new SaveOptions(SaveOptions.Format.DOCKER, SaveOptions.Compression.NONE),
        SaveOptions.defaults());
  }

  @Test
  void eachFlagSetsItsOwnComponent() {
    assertEquals(new RemoveOptions(true), RemoveOptions.defaults().force());
    assertEquals(new PruneOptions(true), PruneOptions.defaults().all());
    assertEquals(new CheckOptions(true, false), CheckOptions.defaults().deep());
    assertEquals(new CheckOptions(false, true), CheckOptions.defaults().repair());
    assertEquals(new CheckOptions(true, true), CheckOptions.defaults().repair().deep());
    // in either order: the combination is checked when saving
    assertEquals(
        new SaveOptions(SaveOptions.Format.OCI, SaveOptions.Compression.GZIP),
        SaveOptions.defaults()
            .compression(SaveOptions.Compression.GZIP)
            .format(SaveOptions.Format.OCI));
  }
}
