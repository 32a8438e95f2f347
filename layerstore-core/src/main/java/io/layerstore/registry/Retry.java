package io.layerstore.registry;

import io.layerstore.LayerStoreException;
import io.layerstore.RegistryException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.SocketTimeoutException;
import java.util.concurrent.ThreadLocalRandom;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tries a request again after failures that may pass: a 5xx or 429 answer, a broken or timed-out
 * connection. Waits grow exponentially with jitter (100 ms, 200 ms, ... at most 5 s), and the
 * number of attempts is bounded by {@code maxAttempts}, so a dead registry ends a pull in seconds.
 * A clear refusal (4xx, a bad digest, a TLS handshake that failed) is final at once.
 */
final class Retry {

  private static final Logger LOG = LoggerFactory.getLogger(Retry.class);
  private static final long FIRST_WAIT_MS = 100;
  private static final long MAX_WAIT_MS = 5000;

  /** One attempt of the work. */
  @FunctionalInterface
  interface Attempt<T> {
    T run() throws IOException;
  }

  private final int maxAttempts;

  Retry(int maxAttempts) {
    this.maxAttempts = maxAttempts;
  }

  int maxAttempts() {
    return maxAttempts;
  }

  <T> T run(String what, Attempt<T> attempt) throws IOException {
    return run(what, attempt, e -> true);
  }

  /** As {@link #run(String, Attempt)}, retrying only failures {@code mayRetry} accepts too. */
  <T> T run(String what, Attempt<T> attempt, java.util.function.Predicate<IOException> mayRetry)
      throws IOException {
    for (int n = 1; ; n++) {
      try {
        return attempt.run();
      } catch (IOException e) {
        if (n >= maxAttempts || !isTransient(e) || !mayRetry.test(e)) {
          throw e;
        }
        LOG.warn("{}: attempt {} of {} failed, retrying: {}", what, n, maxAttempts, e.toString());
        pause(n);
      }
    }
  }

  /** Whether {@code e} may pass if tried again. */
  static boolean isTransient(IOException e) {
    if (e instanceof RegistryException r) {
      return r.status() >= 500 || r.status() == 429;
    }
    // A certificate the client does not trust stays untrusted; a TLS connection that breaks
    // mid-body (javax.net.ssl.SSLException: Connection reset) is just a broken connection.
    if (e instanceof LayerStoreException) {
      return false;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SSLHandshakeException || t instanceof SSLPeerUnverifiedException) {
        return false;
      }
    }
    // An interrupt is the caller's wish to stop; a socket timeout is the server's failure.
    return !(e instanceof InterruptedIOException) || e instanceof SocketTimeoutException;
  }

  /** Waits before attempt {@code failed + 1}. */
  static void pause(int failed) throws InterruptedIOException {
    long wait = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS << Math.min(failed - 1, 16));
    wait = wait / 2 + ThreadLocalRandom.current().nextLong(wait / 2 + 1);
    try {
      Thread.sleep(wait);
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting to retry");
    }
  }
}
