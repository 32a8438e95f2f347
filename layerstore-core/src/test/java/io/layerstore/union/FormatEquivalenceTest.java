package io.layerstore.union;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.archive.AufsWhiteouts;
import io.layerstore.archive.OverlayWhiteouts;
import java.nio.file.FileSystem;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * overlay2's and aufs's diff dirs record the same layers differently; the union of either must look
 * the same, before and after the same writes (the aufs rule of section 7 in the aufs spec). On
 * jimfs, with no kernel involved, this also runs the whole {@link WriteSequence}.
 */
class FormatEquivalenceTest {

  @Test
  void bothFormatsGiveTheSameUnionBeforeAndAfterWrites() throws Exception {
    try (JimfsLayers overlay = new JimfsLayers(new OverlayWhiteouts());
        JimfsLayers aufs = new JimfsLayers(new AufsWhiteouts());
        FileSystem o = overlay.writable(overlay.tree("rw"), overlay.scenario());
        FileSystem a = aufs.writable(aufs.tree("rw"), aufs.scenario())) {
      List<String> before = Listing.of(o.getPath("/"));
      assertEquals(String.join("\n", before), String.join("\n", Listing.of(a.getPath("/"))));

      List<String> overlayOutcomes = WriteSequence.run(o.getPath("/"));
      List<String> aufsOutcomes = WriteSequence.run(a.getPath("/"));
      assertEquals(String.join("\n", overlayOutcomes), String.join("\n", aufsOutcomes));
      assertTrue(
          overlayOutcomes.contains("rename lower dir atomically: AtomicMoveNotSupportedException"));
      assertTrue(overlayOutcomes.contains("rename empty lower dir: ok"));

      List<String> after = Listing.of(o.getPath("/"));
      assertEquals(String.join("\n", after), String.join("\n", Listing.of(a.getPath("/"))));
      assertTrue(
          after.stream().anyMatch(l -> l.startsWith("/var/lib/y ")), String.join("\n", after));
    }
  }
}
