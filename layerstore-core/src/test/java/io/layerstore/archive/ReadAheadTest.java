package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.InvalidArchiveException;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The read-ahead stream gives the same bytes, the source's failures, and stops when closed. */
class ReadAheadTest {

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  @Test
  void sameBytesAcrossChunkBoundaries() throws IOException {
    for (int n : new int[] {0, 1, ReadAhead.CHUNK - 1, ReadAhead.CHUNK, 3 * ReadAhead.CHUNK + 7}) {
      byte[] data = random(n);
      try (ReadAhead in = new ReadAhead(new ByteArrayInputStream(data), "t")) {
        assertArrayEquals(data, in.readAllBytes(), "length " + n);
        assertEquals(-1, in.read());
      }
    }
  }

  /**
   * A hashing read-ahead's digest is the SHA-256 of the whole source, known only once the consumer
   * has read to the end; one that does not hash has none.
   */
  @Test
  void aHashingReadAheadDigestsTheWholeSourceOnceItsEndIsRead() throws IOException {
    for (int n : new int[] {0, 1, ReadAhead.CHUNK, 3 * ReadAhead.CHUNK + 7}) {
      byte[] data = random(n);
      try (ReadAhead in = new ReadAhead(new ByteArrayInputStream(data), "t", true)) {
        assertTrue(in.hashes());
        if (n > 0) {
          in.read();
          assertThrows(IllegalStateException.class, in::digest, "not at the end yet");
        }
        in.readAllBytes();
        assertEquals(
            io.layerstore.Digest.fromBytes(io.layerstore.Digest.newSha256().digest(data)),
            in.digest(),
            "length " + n);
        assertEquals(in.digest(), in.digest());
      }
    }
    try (ReadAhead in = new ReadAhead(new ByteArrayInputStream(random(10)), "t")) {
      in.readAllBytes();
      assertThrows(IllegalStateException.class, in::digest, "this one does not hash");
    }
  }

  @Test
  void aFailureOfTheSourceReachesTheConsumer() {
    InvalidArchiveException boom = new InvalidArchiveException("src", null, "corrupt");
    InputStream failing =
        new FilterInputStream(new ByteArrayInputStream(random(ReadAhead.CHUNK + 5))) {
          @Override
          public void close() throws IOException {
            throw boom; // a check made at the end, as a blob's digest check is
          }
        };
    IOException e =
        assertThrows(
            IOException.class,
            () -> {
              try (ReadAhead in = new ReadAhead(failing, "t")) {
                in.readAllBytes();
              }
            });
    assertSame(boom, e);
  }

  @Test
  void closingEarlyStopsTheReaderAndClosesTheSource() throws IOException {
    AtomicLong read = new AtomicLong();
    AtomicBoolean sourceClosed = new AtomicBoolean();
    InputStream endless =
        new InputStream() {
          @Override
          public int read() {
            read.incrementAndGet();
            return 7;
          }

          @Override
          public int read(byte[] b, int off, int len) {
            read.addAndGet(len);
            java.util.Arrays.fill(b, off, off + len, (byte) 7);
            return len;
          }

          @Override
          public void close() {
            sourceClosed.set(true);
          }
        };
    ReadAhead in = new ReadAhead(endless, "t");
    assertEquals(7, in.read());
    in.close();
    assertTrue(sourceClosed.get(), "closed by the reader thread before close() returned");
    long after = read.get();
    assertTrue(
        after <= (long) (ReadAhead.DEPTH + 2) * ReadAhead.CHUNK,
        "read at most a few chunks ahead: " + after);
  }
}
