package io.layerstore.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Bounds how long a response body may keep a reader waiting. The JDK's HTTP client has a timeout
 * for the headers only; a server that stops sending, or trickles a byte now and then, would hold a
 * pull forever. Two rules, both over the time a reader spends <em>blocked in {@code read}</em> (so
 * a slow consumer, such as an extractor writing to a slow disk, is never blamed on the server):
 *
 * <ul>
 *   <li>a single read blocked for {@code readTimeout} is ended by closing the stream (a sweeper
 *       thread does it, since the reader is stuck);
 *   <li>every {@code readTimeout} of waiting must bring at least {@link #MIN_BYTES} bytes, so a
 *       trickle fails within about {@code readTimeout}, not after the whole body.
 * </ul>
 */
final class StallGuard implements AutoCloseable {

  /** The least a body must deliver per {@code readTimeout} of waiting (curl's low-speed rule). */
  static final long MIN_BYTES = 1024;

  private final long timeoutNanos;
  private final Duration timeout;
  private final Set<Guarded> open = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService sweeper;

  StallGuard(Duration readTimeout) {
    this.timeout = readTimeout;
    this.timeoutNanos = readTimeout.toNanos();
    this.sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "layerstore-registry-stall-guard");
              t.setDaemon(true);
              return t;
            });
    long period = Math.max(20, Math.min(1000, readTimeout.toMillis() / 4));
    sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
  }

  /** {@code in}, failing as the rules above say; {@code what} names the body in the error. */
  InputStream guard(InputStream in, String what) {
    Guarded g = new Guarded(in, what);
    open.add(g);
    return g;
  }

  private void sweep() {
    long now = System.nanoTime();
    for (Guarded g : open) {
      long since = g.blockedSince;
      if (since != 0 && now - since >= timeoutNanos) {
        g.stalled = true;
        g.abort();
      }
    }
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
  }

  private final class Guarded extends FilterInputStream {
    private final String what;
    private volatile long blockedSince;
    private volatile boolean stalled;
    private long waitedNanos;
    private long bytesWhileWaiting;

    Guarded(InputStream in, String what) {
      super(in);
      this.what = what;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      long start = System.nanoTime();
      blockedSince = start;
      int n;
      try {
        n = super.read(b, off, len);
      } catch (IOException e) {
        throw stalled ? timedOut("no data") : e;
      } finally {
        blockedSince = 0;
      }
      if (stalled) {
        throw timedOut("no data");
      }
      if (n < 0) {
        return n;
      }
      waitedNanos += System.nanoTime() - start;
      bytesWhileWaiting += n;
      if (waitedNanos >= timeoutNanos) {
        if (bytesWhileWaiting < MIN_BYTES) {
          abort();
          throw timedOut("only " + bytesWhileWaiting + " bytes");
        }
        waitedNanos = 0;
        bytesWhileWaiting = 0;
      }
      return n;
    }

    private HttpTimeoutException timedOut(String got) {
      return new HttpTimeoutException(
          what + ": " + got + " in " + timeout.toMillis() + " ms of waiting (read timeout)");
    }

    void abort() {
      try {
        // Closing the JDK's body stream cancels the exchange and wakes a blocked reader.
        in.close();
      } catch (IOException ignored) {
        // the reader gets its own error
      }
    }

    @Override
    public void close() throws IOException {
      open.remove(this);
      super.close();
    }
  }
}
