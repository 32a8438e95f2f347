package io.layerstore.archive;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Writes the merged file system of a layer stack as one flat tar, like {@code docker export}: every
 * node the merged view shows, in lexical order of names (root left out), each read from the layer
 * that shows it. Members look like those of a layer diff ({@link NodeTarWriter}); there are no
 * whiteouts or opaque markers, since nothing below is hidden any more.
 *
 * <p>Nodes are read through the layers' trees, never through a mount, so an absolute symlink in the
 * image can never lead the walk out of it.
 */
public final class RootfsWriter {

  private final LayerStack stack;

  public RootfsWriter(LayerStack stack) {
    this.stack = stack;
  }

  /** Writes the whole tar (ending with two zero blocks) to {@code out}; returns its size. */
  public long write(OutputStream out) throws IOException {
    TarWriter tar = new TarWriter(out);
    LayerStack.Dir root = stack.root();
    if (root != null) {
      walk(new NodeTarWriter(tar, stack.format()), root, "");
    }
    tar.finish();
    return tar.bytesWritten();
  }

  private void walk(NodeTarWriter w, LayerStack.Dir dir, String rel) throws IOException {
    for (LayerStack.Entry e : stack.list(dir)) {
      String childRel = rel.isEmpty() ? e.name() : rel + "/" + e.name();
      LayerStack.Node n = e.node();
      w.write(n.tree(), n.path(), childRel, n.stat());
      if (n.isDirectory()) {
        LayerStack.Dir child = stack.childDir(dir, e.name());
        if (child != null) {
          walk(w, child, childRel);
        }
      }
    }
  }
}
