package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChunkPoolTest {

  @Test
  void aBufferGivenBackIsTheNextOneTaken() {
    ChunkPool pool = new ChunkPool(2, 16);
    byte[] a = pool.take();
    assertEquals(16, a.length);
    pool.give(a);
    assertSame(a, pool.take(), "reused, not made again");
    assertNotSame(a, pool.take(), "with none free, a new one is made");
  }

  @Test
  void keepsNoMoreThanItsCapacityAndNoBufferOfAnotherSize() {
    ChunkPool pool = new ChunkPool(2, 16);
    byte[][] taken = {pool.take(), pool.take(), pool.take()};
    for (byte[] b : taken) {
      pool.give(b);
    }
    pool.give(new byte[8]); // a grown or foreign buffer is dropped, never handed out as a chunk
    Map<byte[], Boolean> again = new IdentityHashMap<>();
    for (int i = 0; i < 3; i++) {
      byte[] b = pool.take();
      assertEquals(16, b.length);
      again.put(b, true);
    }
    int reused = 0;
    for (byte[] b : taken) {
      reused += again.containsKey(b) ? 1 : 0;
    }
    assertEquals(2, reused, "two kept for reuse, the third left to the collector");
  }
}
