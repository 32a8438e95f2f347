package io.layerstore.fuzz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.layerstore.LayerStoreException;
import io.layerstore.archive.LayerReader;
import io.layerstore.archive.TarHeader;
import io.layerstore.gocompat.TarPaths;
import io.layerstore.tarsplit.TarSplitAssembler;
import io.layerstore.tarsplit.TarSplitReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * Fuzzes the tar reader through {@link LayerReader} (the one pass every layer takes: tar parsing,
 * sha256, tar-split recording). Any input may be refused, but only with a {@link
 * LayerStoreException}; and whatever is accepted must come back byte for byte when reassembled from
 * the tar-split record it produced, the way {@code save} rebuilds a layer.
 *
 * <p>In the normal build this runs its seeds and then fuzzes for a few seconds (the {@code fuzz}
 * surefire execution sets {@code JAZZER_FUZZ}); see the README for a longer run.
 */
class LayerReaderFuzzTest {

  @FuzzTest(maxDuration = "5s")
  @DictionaryEntries({
    "ustar\u000000",
    "ustar  \u0000",
    "path=",
    "linkpath=",
    "size=",
    "uid=",
    "mtime=",
    "SCHILY.xattr.",
    "GNU.sparse.",
    "././@LongLink",
    "PaxHeaders.0/"
  })
  void layerReaderRefusesCleanlyOrRoundTrips(byte[] input) throws IOException {
    ByteArrayOutputStream tarSplit = new ByteArrayOutputStream();
    Map<String, byte[]> contents = new HashMap<>();
    LayerReader.Result result;
    try (LayerReader r =
        new LayerReader(new ByteArrayInputStream(input), "fuzz", tarSplit, 1 << 20)) {
      for (TarHeader h = r.next(); h != null; h = r.next()) {
        try (InputStream in = r.content()) {
          contents.put(TarPaths.clean(h.name()), in.readAllBytes());
        }
      }
      result = r.finish();
    } catch (LayerStoreException e) {
      return; // refused, with a reason: fine
    }
    assertEquals(input.length, result.tarSize());
    ByteArrayOutputStream rebuilt = new ByteArrayOutputStream();
    try (TarSplitReader ts =
        TarSplitReader.open(new ByteArrayInputStream(tarSplit.toByteArray()), "fuzz tar-split")) {
      TarSplitAssembler.assemble(
          ts,
          name -> {
            byte[] b = contents.get(TarPaths.clean(name));
            if (b == null) {
              throw new AssertionError(
                  "tar-split names " + name + ", which the reader never returned");
            }
            return new ByteArrayInputStream(b);
          },
          rebuilt,
          "fuzz");
    }
    assertArrayEquals(input, rebuilt.toByteArray(), "reassembled from tar-split");
  }
}
