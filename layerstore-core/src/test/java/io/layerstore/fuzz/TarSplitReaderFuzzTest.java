package io.layerstore.fuzz;

import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.layerstore.LayerStoreException;
import io.layerstore.tarsplit.TarSplitAssembler;
import io.layerstore.tarsplit.TarSplitEntry;
import io.layerstore.tarsplit.TarSplitReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Fuzzes the tar-split reader (a store reads these files back long after writing them, and a
 * data-root may come from elsewhere): every input is either read entry by entry or refused with a
 * {@link LayerStoreException}, and reassembly from a record that reads fine either completes or is
 * refused the same way — never another exception, never a hang on a huge claimed size.
 */
class TarSplitReaderFuzzTest {

  @FuzzTest(maxDuration = "5s")
  @DictionaryEntries({
    "{\"type\":1,\"payload\":\"",
    "{\"type\":2,\"name\":\"",
    "\"size\":",
    "\"position\":",
    "\"name_raw\":\"",
    "\"payload\":null"
  })
  void tarSplitRefusesCleanlyOrReassembles(byte[] input) throws IOException {
    long total = 0;
    try (TarSplitReader r =
        TarSplitReader.openUncompressed(new ByteArrayInputStream(input), "fuzz")) {
      for (TarSplitEntry e = r.next(); e != null; e = r.next()) {
        total += e.isSegment() ? e.payload().length : e.size();
      }
    } catch (LayerStoreException e) {
      return;
    }
    if (total > (1 << 20)) {
      return; // a record may claim any size; reassembly of it is covered by its own limits
    }
    try (TarSplitReader r =
        TarSplitReader.openUncompressed(new ByteArrayInputStream(input), "fuzz")) {
      TarSplitAssembler.assemble(r, name -> zeros(), OutputStream.nullOutputStream(), "fuzz");
    } catch (LayerStoreException e) {
      // a CRC or size that the fake files do not match: refused with a reason
    }
  }

  private static InputStream zeros() {
    return new InputStream() {
      private int left = 1 << 20;

      @Override
      public int read() {
        return left-- > 0 ? 0 : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        int n = Math.min(len, left);
        java.util.Arrays.fill(b, off, off + n, (byte) 0);
        left -= n;
        return n;
      }
    };
  }
}
