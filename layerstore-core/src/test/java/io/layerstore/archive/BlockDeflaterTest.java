package io.layerstore.archive;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.junit.jupiter.api.Test;

/**
 * {@link BlockDeflater} against the JDK's inflater (zlib): every kind of input, cut into blocks and
 * chained with dictionaries as {@link ParallelGzip} chains them, inflates back to itself; a
 * deflater reused from block to block writes what a fresh one writes; Huffman codes stay within
 * deflate's length limits however skewed the counts.
 */
class BlockDeflaterTest {

  private static final int BLOCK = ParallelGzip.BLOCK;

  /** Deflates {@code data} as ParallelGzip does: blocks, each primed with the previous 32 KiB. */
  private static byte[] deflate(BlockDeflater d, byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int off = 0;
    byte[] buf = new byte[BlockDeflater.bound(BLOCK)];
    do {
      int len = Math.min(BLOCK, data.length - off);
      boolean last = off + len == data.length;
      byte[] dict = off == 0 ? null : Arrays.copyOfRange(data, off - BlockDeflater.WINDOW, off);
      int n = d.deflate(dict, Arrays.copyOfRange(data, off, off + len), len, last, buf);
      out.write(buf, 0, n);
      off += len;
    } while (off < data.length);
    return out.toByteArray();
  }

  private static byte[] inflate(byte[] deflated) throws DataFormatException {
    Inflater inf = new Inflater(true);
    inf.setInput(deflated);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[1 << 16];
    while (!inf.finished()) {
      int n = inf.inflate(buf);
      if (n == 0 && !inf.finished() && (inf.needsInput() || inf.needsDictionary())) {
        throw new AssertionError("truncated deflate stream");
      }
      out.write(buf, 0, n);
    }
    assertEquals(0, inf.getRemaining(), "bytes after the final block");
    inf.end();
    return out.toByteArray();
  }

  private static List<byte[]> inputs() {
    List<byte[]> all = new ArrayList<>();
    Random r = new Random(42);
    all.add(new byte[0]);
    all.add(new byte[] {7});
    all.add(new byte[] {1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4});
    byte[] noise = new byte[3 * BLOCK + 12345];
    r.nextBytes(noise);
    all.add(noise); // stored blocks
    all.add(new byte[5 * BLOCK]); // zeros: the longest matches, at distance 1
    StringBuilder text = new StringBuilder();
    String[] words = {"layer", "image", "tar", "the ", "usr/share/doc/", "\n", "copyright", "é"};
    while (text.length() < 700_000) {
      text.append(words[r.nextInt(words.length)]).append(r.nextInt(1000));
    }
    all.add(text.toString().getBytes(StandardCharsets.UTF_8));
    // skewed: one byte nearly always, others once each (deep Huffman trees)
    byte[] skew = new byte[BLOCK + 1000];
    for (int i = 0; i < skew.length; i++) {
      skew[i] = (byte) (r.nextInt(50) == 0 ? r.nextInt(256) : 'a' + r.nextInt(2));
    }
    all.add(skew);
    // matches that reach back across a block boundary into the dictionary, at every distance
    byte[] cross = new byte[4 * BLOCK];
    byte[] motif = new byte[40_000];
    r.nextBytes(motif);
    for (int i = 0; i < cross.length; i++) {
      cross[i] = motif[(i * 7 + i / 3000) % motif.length];
    }
    all.add(cross);
    // exactly one block, and one block plus a byte
    byte[] one = Arrays.copyOf(text.toString().getBytes(StandardCharsets.UTF_8), BLOCK);
    all.add(one);
    all.add(Arrays.copyOf(one, BLOCK + 1));
    return all;
  }

  @Test
  void everyInputInflatesBackToItself() throws DataFormatException {
    BlockDeflater d = new BlockDeflater();
    for (byte[] in : inputs()) {
      byte[] deflated = deflate(d, in);
      byte[] back;
      try {
        back = inflate(deflated);
      } catch (AssertionError | DataFormatException e) {
        throw new AssertionError(in.length + " bytes: " + e.getMessage(), e);
      }
      assertArrayEquals(in, back, in.length + " bytes");
      assertTrue(
          deflated.length <= in.length + (in.length / BLOCK + 1) * 30 + 10,
          "never much more than stored: " + deflated.length + " for " + in.length);
    }
  }

  @Test
  void aReusedDeflaterWritesWhatAFreshOneWrites() {
    List<byte[]> in = inputs();
    BlockDeflater reused = new BlockDeflater();
    for (int i = in.size() - 1; i >= 0; i--) {
      deflate(reused, in.get(i)); // leaves its tables full of another input's state
    }
    for (byte[] data : in) {
      assertArrayEquals(deflate(new BlockDeflater(), data), deflate(reused, data));
    }
  }

  @Test
  void compressesTextAndZerosWell() throws DataFormatException {
    byte[] zeros = new byte[4 * BLOCK];
    byte[] z = deflate(new BlockDeflater(), zeros);
    assertTrue(z.length < zeros.length / 200, z.length + " bytes for " + zeros.length + " zeros");
    byte[] text = inputs().get(5);
    byte[] t = deflate(new BlockDeflater(), text);
    assertTrue(t.length < text.length / 2, t.length + " bytes for " + text.length + " of text");
    assertArrayEquals(text, inflate(t));
  }

  @Test
  void huffmanCodesKeepToTheirLengthLimitAndAreComplete() {
    // Fibonacci counts give the deepest possible tree: 30 symbols would need 29 bits
    int[] freq = new int[30];
    int a = 1;
    int b = 1;
    for (int i = 0; i < freq.length; i++) {
      freq[i] = a;
      int c = a + b;
      a = b;
      b = c;
    }
    for (int maxBits : new int[] {15, 7}) {
      int symbols = maxBits == 7 ? 19 : 30;
      BlockDeflater.Huffman h = new BlockDeflater.Huffman(symbols, maxBits);
      h.build(Arrays.copyOf(freq, symbols));
      long kraft = 0;
      for (int s = 0; s < symbols; s++) {
        assertTrue(h.lengths[s] >= 1 && h.lengths[s] <= maxBits, "length " + h.lengths[s]);
        kraft += 1L << (maxBits - h.lengths[s]);
        if (s > 0) {
          assertTrue(h.lengths[s] <= h.lengths[s - 1], "a commoner symbol, a code no longer");
        }
      }
      assertEquals(1L << maxBits, kraft, "a complete code");
    }
    // one symbol alone still gets a decodable (complete) code of two
    BlockDeflater.Huffman one = new BlockDeflater.Huffman(30, 15);
    int[] single = new int[30];
    single[3] = 10;
    one.build(single);
    assertEquals(1, one.lengths[3]);
    assertEquals(2, Arrays.stream(one.lengths).filter(l -> l == 1).count());
  }
}
