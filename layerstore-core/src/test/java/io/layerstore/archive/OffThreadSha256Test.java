package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.layerstore.Digest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OffThreadSha256Test {

  /** Chunks of every size, a single byte and an empty write: out gets them all, the hash too. */
  @Test
  void passesEveryByteOnAndHashesThemInOrder() throws IOException {
    byte[] data = new byte[3 << 20];
    new Random(42).nextBytes(data);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Digest digest;
    try (OffThreadSha256 sink = new OffThreadSha256(out)) {
      Random sizes = new Random(7);
      byte[] chunk = new byte[300_000];
      int pos = 0;
      sink.write(data[pos++]);
      sink.write(chunk, 0, 0);
      while (pos < data.length) {
        int n = Math.min(data.length - pos, sizes.nextInt(chunk.length));
        System.arraycopy(data, pos, chunk, 0, n);
        sink.write(chunk, 0, n);
        // the caller reuses its buffer at once: the hashing thread must have its own copy
        java.util.Arrays.fill(chunk, (byte) 0x5a);
        pos += n;
      }
      digest = sink.digest();
      assertEquals(digest, sink.digest(), "asking twice gives the same digest");
      assertThrows(IOException.class, () -> sink.write(1), "nothing is written after the digest");
    }
    assertArrayEquals(data, out.toByteArray());
    assertEquals(Digest.fromBytes(Digest.newSha256().digest(data)), digest);
  }

  @Test
  void closingWithoutTheDigestEndsTheThread() throws Exception {
    OffThreadSha256 sink = new OffThreadSha256(OutputStream.nullOutputStream());
    sink.write(new byte[1 << 20], 0, 1 << 20);
    sink.close();
    sink.thread().join(10_000);
    assertFalse(sink.thread().isAlive(), "the hashing thread ended");
  }
}
