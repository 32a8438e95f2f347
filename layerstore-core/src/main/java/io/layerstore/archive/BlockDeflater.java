package io.layerstore.archive;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A fast deflate (RFC 1951) compressor for one block of a {@link ParallelGzip} stream, written in
 * Java so that a layer gives the same blob on every machine: {@link java.util.zip.Deflater} is the
 * platform's zlib, whose output differs between zlib and zlib-ng (Fedora's zlib since 40), between
 * versions, and between the CPU paths of zlib-ng, so "deterministic" used to mean "on machines with
 * the same zlib".
 *
 * <p>The matcher is the simplest that compresses well enough for a push: greedy, one candidate per
 * hash of 4 bytes (the latest position with that hash, as LZ4 and zlib-ng's fastest level look),
 * matches of 4 to 258 bytes within the 32 KiB window, the previous block's tail as dictionary. Each
 * block is coded with its own dynamic Huffman codes, or stored when that is smaller. On this
 * project's Debian test image it runs about twice as fast as zlib's level 1 for a blob a few per
 * cent larger.
 *
 * <p>Not thread-safe; one per thread, reused from block to block (its tables are 400 KB).
 */
final class BlockDeflater {

  static final int WINDOW = 32 * 1024;
  private static final int MIN_MATCH = 4;
  private static final int MAX_MATCH = 258;
  private static final int HASH_BITS = 16;

  /** RFC 1951 3.2.5: the base length of each length code 257..285, and its extra bits. */
  private static final int[] LENGTH_BASE = {
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131,
    163, 195, 227, 258
  };

  private static final int[] LENGTH_EXTRA = {
    0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0
  };

  /** The base distance of each distance code 0..29, and its extra bits. */
  private static final int[] DIST_BASE = {
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049,
    3073, 4097, 6145, 8193, 12289, 16385, 24577
  };

  private static final int[] DIST_EXTRA = {
    0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13
  };

  /** The order code length code lengths are written in (RFC 1951 3.2.7). */
  private static final int[] CL_ORDER = {
    16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15
  };

  /** Length code (0..28) of each match length - 3. */
  private static final byte[] LENGTH_CODE = new byte[256];

  /** Distance code of distance - 1 for small distances, and of (distance - 1) >> 7 for others. */
  private static final byte[] DIST_CODE = new byte[512];

  static {
    for (int code = 0; code < 29; code++) {
      int n = code == 28 ? 1 : 1 << LENGTH_EXTRA[code];
      for (int i = 0; i < n; i++) {
        int len = LENGTH_BASE[code] + i;
        if (len - 3 < 256) {
          LENGTH_CODE[len - 3] = (byte) code;
        }
      }
    }
    LENGTH_CODE[255] = 28; // 258 has its own code, not 227 + 31 of code 27
    for (int code = 0; code < 30; code++) {
      for (int i = 0; i < 1 << DIST_EXTRA[code]; i++) {
        int d = DIST_BASE[code] - 1 + i;
        if (d < 256) {
          DIST_CODE[d] = (byte) code;
        } else {
          DIST_CODE[256 + (d >> 7)] = (byte) code;
        }
      }
    }
  }

  private static int distCode(int distMinusOne) {
    return distMinusOne < 256 ? DIST_CODE[distMinusOne] : DIST_CODE[256 + (distMinusOne >> 7)];
  }

  private final int[] head = new int[1 << HASH_BITS];
  private byte[] window = new byte[0];

  /** Symbols of the block: a literal byte, or MATCH | (length - 3) << 15 | (distance - 1). */
  private int[] tokens = new int[0];

  private static final int MATCH = 1 << 30;

  private final int[] litFreq = new int[286];
  private final int[] distFreq = new int[30];
  private final Huffman lit = new Huffman(286, 15);
  private final Huffman dist = new Huffman(30, 15);
  private final Huffman cl = new Huffman(19, 7);

  /** Bit output: bits not yet written are in {@code acc}, LSB first. */
  private byte[] out;

  private int pos;
  private long acc;
  private int bits;

  /**
   * Deflates {@code data[0..length)} into {@code output}, after a dictionary of the previous bytes
   * ({@code dict}, {@value #WINDOW} bytes or null for the first block). A block that is not the
   * last ends with an empty stored block (a sync flush), so the next block's bytes simply follow;
   * the last one has the final-block bit set.
   *
   * @return the number of bytes written
   * @throws IllegalArgumentException if {@code output} is smaller than {@link #bound}
   */
  int deflate(byte[] dict, byte[] data, int length, boolean last, byte[] output) {
    if (output.length < bound(length)) {
      throw new IllegalArgumentException("output of " + output.length + " bytes is too small");
    }
    int dictLen = dict == null ? 0 : dict.length;
    int total = dictLen + length;
    if (window.length < total + 8) {
      window = new byte[total + 8];
    }
    if (dict != null) {
      System.arraycopy(dict, 0, window, 0, dictLen);
    }
    System.arraycopy(data, 0, window, dictLen, length);
    if (tokens.length < length) {
      tokens = new int[length];
    }
    int n = match(dictLen, total);
    out = output;
    pos = 0;
    acc = 0;
    bits = 0;
    writeBlock(n, dictLen, length, last);
    if (!last) {
      // sync flush: an empty stored block, which also aligns the output to a byte
      putBits(0, 3);
      alignToByte();
      putBytes(new byte[] {0, 0, (byte) 0xff, (byte) 0xff});
    } else {
      alignToByte();
    }
    out = null;
    return pos;
  }

  /** The most {@link #deflate} can write for {@code length} bytes: stored, plus headers. */
  static int bound(int length) {
    return length + (length / 65535 + 2) * 5 + 64;
  }

  private static final VarHandle INT_LE =
      MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private static int intAt(byte[] b, int p) {
    return (int) INT_LE.get(b, p);
  }

  private static int hash(int v) {
    return (v * 0x9E3779B1) >>> (32 - HASH_BITS);
  }

  /** Finds the block's literals and matches; returns the number of tokens. */
  private int match(int start, int total) {
    Arrays.fill(head, -1);
    Arrays.fill(litFreq, 0);
    Arrays.fill(distFreq, 0);
    byte[] w = window;
    int lastHash = total - MIN_MATCH; // the last position with 4 bytes to hash
    for (int p = Math.max(0, start - WINDOW); p < start && p <= lastHash; p++) {
      head[hash(intAt(w, p))] = p;
    }
    int n = 0;
    int p = start;
    // After a run of misses the search looks at every second, third... byte (as LZ4 does), so
    // incompressible data (the compressed files a layer holds) costs little; a match resets it.
    int misses = 0;
    while (p < total) {
      if (p <= lastHash) {
        int v = intAt(w, p);
        int h = hash(v);
        int cand = head[h];
        head[h] = p;
        if (cand >= 0 && p - cand <= WINDOW && intAt(w, cand) == v) {
          misses = 0;
          int max = Math.min(MAX_MATCH, total - p);
          int len = MIN_MATCH;
          // eight bytes at a time while eight remain, then byte by byte
          while (len + 8 <= max) {
            long x = (long) LONG_LE.get(w, cand + len) ^ (long) LONG_LE.get(w, p + len);
            if (x != 0) {
              len += Long.numberOfTrailingZeros(x) >>> 3;
              max = len; // the first difference ends it
              break;
            }
            len += 8;
          }
          while (len < max && w[cand + len] == w[p + len]) {
            len++;
          }
          int d = p - cand - 1;
          tokens[n++] = MATCH | (len - 3) << 15 | d;
          litFreq[257 + LENGTH_CODE[len - 3]]++;
          distFreq[distCode(d)]++;
          // the match's last position is remembered too: it starts the likeliest next match
          int q = p + len - 1;
          if (len > 4 && q <= lastHash) {
            head[hash(intAt(w, q))] = q;
          }
          p += len;
          continue;
        }
      }
      int step = 1 + (misses++ >>> 6);
      for (int end = Math.min(total, p + step); p < end; p++) {
        int b = w[p] & 0xff;
        tokens[n++] = b;
        litFreq[b]++;
      }
    }
    litFreq[256]++; // end of block
    return n;
  }

  private void writeBlock(int n, int dictLen, int length, boolean last) {
    lit.build(litFreq);
    dist.build(distFreq);
    // the code length codes: the literal/length and distance lengths, run-length coded
    int hlit = lit.used(257);
    int hdist = dist.used(1);
    int[] seq = new int[hlit + hdist];
    System.arraycopy(lit.lengths, 0, seq, 0, hlit);
    System.arraycopy(dist.lengths, 0, seq, hlit, hdist);
    int[] rle = new int[seq.length];
    int rn = runLengths(seq, rle);
    int[] clFreq = new int[19];
    for (int i = 0; i < rn; i++) {
      clFreq[rle[i] & 0x1f]++;
    }
    cl.build(clFreq);
    int hclen = 19;
    while (hclen > 4 && cl.lengths[CL_ORDER[hclen - 1]] == 0) {
      hclen--;
    }
    long dynamicBits = 3 + 5 + 5 + 4 + 3L * hclen;
    for (int i = 0; i < rn; i++) {
      int sym = rle[i] & 0x1f;
      dynamicBits += cl.lengths[sym] + (sym == 16 ? 2 : sym == 17 ? 3 : sym == 18 ? 7 : 0);
    }
    for (int s = 0; s < 286; s++) {
      dynamicBits += (long) litFreq[s] * lit.lengths[s];
      if (s >= 257) {
        dynamicBits += (long) litFreq[s] * LENGTH_EXTRA[s - 257];
      }
    }
    for (int s = 0; s < 30; s++) {
      dynamicBits += (long) distFreq[s] * (dist.lengths[s] + DIST_EXTRA[s]);
    }
    long storedBits = 8L * (length + 5L * Math.max(1, (length + 65534) / 65535)) + 7;
    if (storedBits <= dynamicBits) {
      writeStored(dictLen, length, last);
      return;
    }
    putBits(last ? 1 : 0, 1);
    putBits(2, 2);
    putBits(hlit - 257, 5);
    putBits(hdist - 1, 5);
    putBits(hclen - 4, 4);
    for (int i = 0; i < hclen; i++) {
      putBits(cl.lengths[CL_ORDER[i]], 3);
    }
    for (int i = 0; i < rn; i++) {
      int sym = rle[i] & 0x1f;
      putBits(cl.codes[sym], cl.lengths[sym]);
      int extra = rle[i] >>> 5;
      if (sym == 16) {
        putBits(extra, 2);
      } else if (sym == 17) {
        putBits(extra, 3);
      } else if (sym == 18) {
        putBits(extra, 7);
      }
    }
    int[] lcodes = lit.codes;
    int[] llens = lit.lengths;
    int[] dcodes = dist.codes;
    int[] dlens = dist.lengths;
    // each length's code and extra bits as one field, so a match costs two appends
    int[] lenField = new int[256];
    int[] lenBits = new int[256];
    for (int l = 0; l < 256; l++) {
      int lc = LENGTH_CODE[l];
      int sym = 257 + lc;
      lenField[l] = lcodes[sym] | (l + 3 - LENGTH_BASE[lc]) << llens[sym];
      lenBits[l] = llens[sym] + LENGTH_EXTRA[lc];
    }
    // The symbols, with the bit buffer in locals: at most 7 + 15 + 20 + 28 bits are pending
    // after a symbol, so each writes its whole 64-bit buffer and keeps the partial byte, with no
    // branch on how full it is (the output has slack for the 8-byte store).
    byte[] o = out;
    long a = acc;
    int b = bits;
    int p = pos;
    for (int i = 0; i < n; i++) {
      int t = tokens[i];
      if ((t & MATCH) == 0) {
        a |= (long) lcodes[t] << b;
        b += llens[t];
      } else {
        int lenMinus3 = (t >>> 15) & 0xff;
        int d = t & 0x7fff;
        a |= (long) lenField[lenMinus3] << b;
        b += lenBits[lenMinus3];
        int dc = distCode(d);
        int dl = dlens[dc];
        a |= (long) (dcodes[dc] | (d + 1 - DIST_BASE[dc]) << dl) << b;
        b += dl + DIST_EXTRA[dc];
      }
      LONG_LE.set(o, p, a);
      int whole = b >>> 3;
      p += whole;
      a = whole == 8 ? 0 : a >>> (whole << 3);
      b &= 7;
    }
    acc = a;
    bits = b;
    pos = p;
    putBits(lcodes[256], llens[256]);
  }

  /**
   * Run-length codes code lengths as RFC 1951 3.2.7 does: 16 repeats the previous length 3-6 times,
   * 17 and 18 repeat a zero 3-10 and 11-138 times. Each entry is a symbol, and its extra bits'
   * value shifted left by 5.
   */
  private static int runLengths(int[] seq, int[] rle) {
    int n = 0;
    int i = 0;
    while (i < seq.length) {
      int v = seq[i];
      int run = 1;
      while (i + run < seq.length && seq[i + run] == v) {
        run++;
      }
      i += run;
      if (v == 0) {
        while (run >= 11) {
          int r = Math.min(run, 138);
          rle[n++] = 18 | (r - 11) << 5;
          run -= r;
        }
        if (run >= 3) {
          rle[n++] = 17 | (run - 3) << 5;
          run = 0;
        }
      } else {
        rle[n++] = v;
        run--;
        while (run >= 3) {
          int r = Math.min(run, 6);
          rle[n++] = 16 | (r - 3) << 5;
          run -= r;
        }
      }
      while (run > 0) {
        rle[n++] = v;
        run--;
      }
    }
    return n;
  }

  private void writeStored(int dictLen, int length, boolean last) {
    int off = dictLen;
    int left = length;
    do {
      int chunk = Math.min(left, 65535);
      left -= chunk;
      putBits(last && left == 0 ? 1 : 0, 1);
      putBits(0, 2);
      alignToByte();
      putBytes(
          new byte[] {(byte) chunk, (byte) (chunk >>> 8), (byte) ~chunk, (byte) (~chunk >>> 8)});
      System.arraycopy(window, off, out, pos, chunk);
      pos += chunk;
      off += chunk;
    } while (left > 0);
  }

  /**
   * Appends the low {@code n} bits of {@code value} (at most 32), least significant first; whole
   * 32-bit words go out as soon as they are complete (the output has slack for the last one).
   */
  private void putBits(int value, int n) {
    acc |= (value & ((1L << n) - 1)) << bits;
    bits += n;
    if (bits >= 32) {
      INT_LE.set(out, pos, (int) acc);
      pos += 4;
      acc >>>= 32;
      bits -= 32;
    }
  }

  private void alignToByte() {
    while (bits > 0) {
      out[pos++] = (byte) acc;
      acc >>>= 8;
      bits = Math.max(0, bits - 8);
    }
    acc = 0;
  }

  private void putBytes(byte[] b) {
    System.arraycopy(b, 0, out, pos, b.length);
    pos += b.length;
  }

  /** A canonical Huffman code of at most {@code maxBits} bits per symbol, built from counts. */
  static final class Huffman {
    final int[] lengths;
    final int[] codes; // bit-reversed, ready to be written LSB first
    private final int maxBits;
    private final int[] order;
    private final long[] heap;
    private final int[] parent;
    private final int[] depth;

    Huffman(int symbols, int maxBits) {
      this.lengths = new int[symbols];
      this.codes = new int[symbols];
      this.maxBits = maxBits;
      this.order = new int[symbols];
      this.heap = new long[2 * symbols];
      this.parent = new int[2 * symbols];
      this.depth = new int[2 * symbols];
    }

    /**
     * The number of symbols to write lengths for: up to the last used one, at least {@code min}.
     */
    int used(int min) {
      int n = lengths.length;
      while (n > min && lengths[n - 1] == 0) {
        n--;
      }
      return n;
    }

    /**
     * Sets {@link #lengths} and {@link #codes} for {@code freq}. At least two symbols get a code (a
     * decoder's tables need a complete code), so unused ones may be given one.
     */
    void build(int[] freq) {
      int symbols = lengths.length;
      Arrays.fill(lengths, 0);
      int used = 0;
      for (int s = 0; s < symbols; s++) {
        if (freq[s] > 0) {
          order[used++] = s;
        }
      }
      if (used < 2) {
        // pad with the lowest unused symbols, at a count of zero
        for (int s = 0; s < symbols && used < 2; s++) {
          if (freq[s] == 0) {
            order[used++] = s;
          }
        }
        Arrays.sort(order, 0, used);
      }
      // Huffman's algorithm on a binary heap of (count << 20 | node); leaves are 0..used-1, inner
      // nodes follow. Ties go to the lower node number, so the result is the same everywhere.
      int hn = 0;
      for (int i = 0; i < used; i++) {
        hn = push(hn, (long) freq[order[i]] << 20 | i);
      }
      int next = used;
      while (hn > 1) {
        long a = heap[0];
        hn = pop(hn);
        long b = heap[0];
        hn = pop(hn);
        int na = (int) (a & 0xfffff);
        int nb = (int) (b & 0xfffff);
        parent[na] = next;
        parent[nb] = next;
        long count = (a >>> 20) + (b >>> 20);
        hn = push(hn, count << 20 | next);
        next++;
      }
      int root = next - 1;
      depth[root] = 0;
      for (int node = root - 1; node >= 0; node--) {
        depth[node] = depth[parent[node]] + 1;
      }
      // Lengths per depth, limited to maxBits: leaves deeper than that are lifted to it, which
      // overfills the code (Kraft's sum passes 1); each step of zlib's fix (gen_bitlen) then moves
      // a leaf of length b < maxBits down to b + 1 and pairs it with one of length maxBits, taking
      // 2^-maxBits off the sum, until it is exactly 1 again.
      int[] blCount = new int[maxBits + 1];
      for (int i = 0; i < used; i++) {
        blCount[Math.min(depth[i], maxBits)]++;
      }
      long excess = -(1L << maxBits);
      for (int len = 1; len <= maxBits; len++) {
        excess += (long) blCount[len] << (maxBits - len);
      }
      for (; excess > 0; excess--) {
        int b = maxBits - 1;
        while (blCount[b] == 0) {
          b--;
        }
        blCount[b]--;
        blCount[b + 1] += 2;
        blCount[maxBits]--;
      }
      // the longest codes to the rarest symbols: leaves sorted by (count, symbol)
      Integer[] leaves = new Integer[used];
      for (int i = 0; i < used; i++) {
        leaves[i] = order[i];
      }
      Arrays.sort(
          leaves,
          (x, y) -> freq[x] != freq[y] ? Integer.compare(freq[x], freq[y]) : Integer.compare(x, y));
      int k = 0;
      for (int len = maxBits; len >= 1; len--) {
        for (int c = 0; c < blCount[len]; c++) {
          lengths[leaves[k++]] = len;
        }
      }
      long kraft = 0;
      for (int len = 1; len <= maxBits; len++) {
        kraft += (long) blCount[len] << (maxBits - len);
      }
      if (kraft != 1L << maxBits) {
        // a stream no inflater could read: never written
        throw new IllegalStateException("incomplete Huffman code: " + Arrays.toString(blCount));
      }
      // canonical codes (RFC 1951 3.2.2), stored bit-reversed
      int[] nextCode = new int[maxBits + 2];
      int code = 0;
      blCount[0] = 0;
      for (int len = 1; len <= maxBits; len++) {
        code = (code + blCount[len - 1]) << 1;
        nextCode[len] = code;
      }
      for (int s = 0; s < symbols; s++) {
        int len = lengths[s];
        codes[s] = len == 0 ? 0 : Integer.reverse(nextCode[len]++) >>> (32 - len);
      }
    }

    private int push(int n, long v) {
      int i = n++;
      heap[i] = v;
      while (i > 0) {
        int up = (i - 1) >>> 1;
        if (heap[up] <= v) {
          break;
        }
        heap[i] = heap[up];
        i = up;
      }
      heap[i] = v;
      return n;
    }

    private int pop(int n) {
      long v = heap[--n];
      int i = 0;
      while (true) {
        int c = 2 * i + 1;
        if (c >= n) {
          break;
        }
        if (c + 1 < n && heap[c + 1] < heap[c]) {
          c++;
        }
        if (heap[c] >= v) {
          break;
        }
        heap[i] = heap[c];
        i = c;
      }
      if (n > 0) {
        heap[i] = v;
      }
      return n;
    }
  }
}
