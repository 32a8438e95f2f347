package io.layerstore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class IdsTest {

  @Test
  void chainIdsOfFxMulti() {
    // fx:multi's diff_ids and the chainIDs Docker's layerdb has for them.
    List<DiffId> diffs =
        List.of(
            DiffId.parse("sha256:1e07be7bff5aab3d8adc87346578475ebbfc786854eb7a5cc3bb0c5f23ba49e4"),
            DiffId.parse("sha256:80574099a80edc8c8042e2615936081939c7b56270b67bd49e02b33f17e39133"),
            DiffId.parse("sha256:93b3d16b4830c4e4be1fdd550bbedfed7070f5645715075fba23efa0e7683e38"),
            DiffId.parse("sha256:dda33b59cbd348b9b3b21fd833c6b526dd77a0c24543584be020b862e0ab1122"),
            DiffId.parse(
                "sha256:b08e16f5d4c80ab4fc5b6baedefc4128c2eb7a2186218d65464345d34634f648"));
    List<String> expected =
        List.of(
            "1e07be7bff5aab3d8adc87346578475ebbfc786854eb7a5cc3bb0c5f23ba49e4",
            "ef713387aebe56dbaff92241f32622b58164c3b31dee969cac5e29e67e7ee1d4",
            "527066c7a3ca4bd2aa1575dd878e6a71ae6c17087984c5d9e4648e0b2d40efaa",
            "6091fa6ef3d716ad8c4c6c4ef9908f8668705fda523271a60e85c73c3163612b",
            "e2adfcfde29893415c79ca179366535c26e0a8b522bf10d9badb3100f3ca3f15");
    assertEquals(expected, ChainId.chain(diffs).stream().map(c -> c.digest().hex()).toList());
    assertEquals(
        expected.get(4),
        ChainId.top(diffs).orElseThrow().digest().hex(),
        "the top is the last of the chain");
    assertEquals(
        java.util.Optional.empty(), ChainId.top(List.of()), "an image without layers has no top");
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
