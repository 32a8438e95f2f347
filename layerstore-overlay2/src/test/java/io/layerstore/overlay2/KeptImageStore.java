package io.layerstore.overlay2;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.LayerStore;
import io.layerstore.testkit.ImageArchiveBuilder;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A store on jimfs with one image already in it ({@code keep:me}): the state a refused load must
 * leave exactly as it was, which {@link #snapshot} lists.
 */
final class KeptImageStore implements AutoCloseable {
  final FileSystem fs;
  final Path root;
  final LayerStore store;

  private KeptImageStore(FileSystem fs, Path root, LayerStore store) {
    this.fs = fs;
    this.root = root;
    this.store = store;
  }

  static KeptImageStore open() throws IOException {
    FileSystem fs = Jimfs.newFileSystem(Configuration.unix());
    Path root = fs.getPath("/store");
    LayerStore store = LayerStore.open(root);
    ImageArchiveBuilder b = new ImageArchiveBuilder().tag("keep:me");
    b.layer().dir("etc", 0755).file("etc/keep", "keep\n", 0644);
    Path a = fs.getPath("/keep.tar");
    b.write(a);
    store.load(a);
    return new KeptImageStore(fs, root, store);
  }

  /** Every path below the root with its size (-1 for all but regular files), sorted. */
  List<String> snapshot(Predicate<Path> leaveOut) throws IOException {
    List<String> out = new ArrayList<>();
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (leaveOut.test(p)) {
          continue;
        }
        out.add(p + " " + (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) ? Files.size(p) : -1));
      }
    }
    out.sort(String::compareTo);
    return out;
  }

  @Override
  public void close() throws IOException {
    store.close();
    fs.close();
  }
}
