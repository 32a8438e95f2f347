package io.layerstore.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.ChainId;
import io.layerstore.LayerStoreException;
import io.layerstore.format.ImageConfig;
import io.layerstore.format.LegacyV1;

/**
 * Fuzzes the image config parser and what {@code save} derives from a config (chain ids, the v1
 * layer json Docker writes): a config is accepted and then fully usable, or refused with a {@link
 * LayerStoreException}.
 */
class ImageConfigFuzzTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @FuzzTest(maxDuration = "5s")
  @DictionaryEntries({
    "{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:",
    "\"history\":[{",
    "\"empty_layer\":true",
    "\"created\":\"2024-01-01T00:00:00Z\"",
    "\"os\":\"linux\"",
    "\"config\":{",
    "\"container_config\":{"
  })
  void configIsUsableOrRefused(byte[] input) {
    ImageConfig c;
    try {
      c = ImageConfig.parse(input, "fuzz", JSON);
    } catch (LayerStoreException e) {
      return;
    }
    c.id();
    c.created();
    c.os();
    c.architecture();
    ChainId.chain(c.diffIds());
    LegacyV1.layers(c);
  }
}
