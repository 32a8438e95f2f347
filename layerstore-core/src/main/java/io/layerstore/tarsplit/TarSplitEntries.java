package io.layerstore.tarsplit;

import java.io.Closeable;
import java.io.IOException;
import java.util.Iterator;
import java.util.List;

/**
 * A tar-split record's entries in order: read from a file by {@link TarSplitReader}, or replayed
 * from memory by {@link #of(List)} when a record read once must be walked again.
 */
public interface TarSplitEntries extends Closeable {

  /** The next entry, or null after the last one. */
  TarSplitEntry next() throws IOException;

  /** Entries already read, in record order; closing releases nothing. */
  static TarSplitEntries of(List<TarSplitEntry> entries) {
    Iterator<TarSplitEntry> it = entries.iterator();
    return new TarSplitEntries() {
      @Override
      public TarSplitEntry next() {
        return it.hasNext() ? it.next() : null;
      }

      @Override
      public void close() {}
    };
  }
}
