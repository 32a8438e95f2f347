package io.layerstore.store;

import io.layerstore.LayerStoreException;
import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs a {@link LayerStaging.TarProducer} on a thread of its own and hands what it writes to a
 * reader on the caller's thread, so a layer made from files (a commit's diff, a build's entries) is
 * staged in one pass, as a loaded layer is: no temporary tar.
 *
 * <p>Two things the JDK's pipe does not do are done here. Each buffer written is flushed, because a
 * {@link PipedInputStream} otherwise wakes its waiting reader only when its buffer is full or after
 * a one-second poll: a producer that writes in bursts stalled the reader for up to a second at a
 * time. And the pipe's own failures are told apart from the producer's: once the reader gives up (a
 * refused tar), the producer's next write fails with the pipe's "read end dead", which says
 * nothing; the reader's failure is the one reported then. A failure of the producer's own (a file
 * that vanished, a refused source) wins over the truncated tar it made the reader see.
 */
final class TarPipe {

  private static final int PIPE_BUFFER = 1 << 20;
  private static final int WRITE_BUFFER = 256 << 10;

  /** The reader's side: what consumes the tar. */
  interface Reader<T> {
    T read(InputStream tar) throws IOException;
  }

  /** Takes back what the reader made when the producer failed after the reader was done. */
  interface Undo<T> {
    void undo(T made, Throwable failure);
  }

  /** An I/O failure of the pipe itself, after the reader stopped reading. */
  private static final class PipeBroken extends IOException {
    private static final long serialVersionUID = 1L;

    PipeBroken(IOException cause) {
      super("the reader stopped reading", cause);
    }
  }

  private TarPipe() {}

  /**
   * Runs {@code producer} into {@code reader}; returns what the reader returns. If the producer
   * fails after the reader is done, {@code undo} is given what the reader made. {@code what} names
   * the work in messages and in the producer thread's name.
   */
  static <T> T run(LayerStaging.TarProducer producer, Reader<T> reader, Undo<T> undo, String what)
      throws IOException {
    PipedInputStream in = new PipedInputStream(PIPE_BUFFER);
    PipedOutputStream pipe = new PipedOutputStream(in);
    FutureTask<Void> writer =
        new FutureTask<>(
            () -> {
              try (OutputStream out = new BufferedOutputStream(new Flushing(pipe), WRITE_BUFFER)) {
                producer.writeTo(out);
              }
              return null;
            });
    Thread t = new Thread(writer, "layerstore-tar-" + what.replace(' ', '-'));
    t.setDaemon(true);
    t.start();
    T result = null;
    Throwable readFailure = null;
    try (InputStream i = in) {
      result = reader.read(i);
    } catch (IOException | RuntimeException | Error e) {
      readFailure = e; // closing the pipe has stopped the producer; it is joined below
    }
    Throwable failure = readFailure;
    try {
      writer.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      t.interrupt();
      failure = new InterruptedIOException("interrupted while making the tar of " + what);
      if (readFailure != null) {
        failure.addSuppressed(readFailure);
      }
    } catch (ExecutionException e) {
      Throwable w = e.getCause();
      if (readFailure == null || !(w instanceof PipeBroken)) {
        if (readFailure != null) {
          w.addSuppressed(readFailure);
        }
        failure = w;
      }
    }
    if (failure == null) {
      return result;
    }
    if (result != null) {
      undo.undo(result, failure);
    }
    if (failure instanceof IOException io) {
      throw io;
    }
    if (failure instanceof RuntimeException r) {
      throw r;
    }
    if (failure instanceof Error err) {
      throw err;
    }
    throw new LayerStoreException("making the tar of " + what + " failed", failure);
  }

  /** The pipe's writing end: flushed after every write, its own failures marked. */
  private static final class Flushing extends FilterOutputStream {
    Flushing(OutputStream pipe) {
      super(pipe);
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      try {
        out.write(b, off, len);
        out.flush(); // wakes the reader now, not at its next one-second poll
      } catch (PipeBroken e) {
        throw e;
      } catch (IOException e) {
        throw new PipeBroken(e);
      }
    }

    @Override
    public void flush() throws IOException {
      try {
        out.flush();
      } catch (IOException e) {
        throw new PipeBroken(e);
      }
    }

    @Override
    public void close() throws IOException {
      try {
        out.close();
      } catch (IOException e) {
        throw new PipeBroken(e);
      }
    }
  }
}
