package io.layerstore.union;

import java.io.IOException;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A directory stream over a merged listing taken when the stream was opened. Merging needs every
 * branch's names before the first one can be given out, so the listing is read whole up front;
 * entries are the opened path resolved with each name, like the default provider's.
 */
final class ListedDirectory implements DirectoryStream<Path> {

  private final Path dir;
  private final List<String> names;
  private final Filter<? super Path> filter;
  private final UnionFileSystem fs;
  private boolean iterated;
  private volatile boolean closed;

  ListedDirectory(Path dir, List<String> names, Filter<? super Path> filter, UnionFileSystem fs) {
    this.dir = dir;
    this.names = names;
    this.filter = filter;
    this.fs = fs;
  }

  @Override
  public synchronized Iterator<Path> iterator() {
    if (closed) {
      throw new IllegalStateException("directory stream is closed");
    }
    if (iterated) {
      throw new IllegalStateException("iterator() already called");
    }
    iterated = true;
    Iterator<String> source = names.iterator();
    return new Iterator<>() {
      private Path next;

      @Override
      public boolean hasNext() {
        while (next == null && !closed && source.hasNext()) {
          fs.checkOpen();
          Path candidate = dir.resolve(source.next());
          try {
            if (filter == null || filter.accept(candidate)) {
              next = candidate;
            }
          } catch (IOException e) {
            throw new DirectoryIteratorException(e);
          }
        }
        return next != null;
      }

      @Override
      public Path next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        Path result = next;
        next = null;
        return result;
      }
    };
  }

  @Override
  public void close() {
    closed = true;
  }
}
