package io.layerstore.spi;

import io.layerstore.Mount;
import io.layerstore.archive.WhiteoutFormat;
import io.layerstore.platform.Tree;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A graph driver keeps layer directories and builds a root filesystem from a chain of them. It
 * knows nothing of digests, images or tarballs: the store gives it opaque ids (Docker's cache-ids,
 * {@code <mount-id>} and {@code <mount-id>-init}) and writes layer content into {@link #diff}
 * itself, through the generic unpacker and the driver's {@link #whiteouts()}.
 *
 * <h2>Lifecycle of a layer id</h2>
 *
 * <ol>
 *   <li>{@link #create} makes the driver's directories for the id on top of its parent (validated
 *       first: a missing parent is an error and leaves nothing behind).
 *   <li>The store fills {@link #diff} (applying a tar, or writes through a writable {@link #get}).
 *   <li>{@link #get} returns a mount of the id with all its ancestors; mounts are reference counted
 *       per id, the last {@link Mount#close()} unmounts.
 *   <li>{@link #remove} deletes everything the driver has for the id; refused while mounted.
 * </ol>
 *
 * <p>Implementations are safe for concurrent use by several threads.
 *
 * <p>A driver extends {@link DriverSupport}, which implements what is the same for every driver,
 * and {@link #diff} and {@link #whiteouts} in particular: those are core's side of the interface,
 * whose types a driver module cannot name (they are not exported) and need not.
 */
public interface GraphDriver extends Closeable {

  /** The driver name, also the name of its home dir under the data-root. */
  String name();

  /** The driver's home, {@code <data-root>/<name>}. */
  Path home();

  /** Creates the directories of {@code id} on {@code parent} ({@code null}: a base layer). */
  void create(String id, String parent) throws IOException;

  /** Whether the driver has {@code id}. */
  boolean exists(String id) throws IOException;

  /** Every layer id the driver has on disk, in no particular order. */
  List<String> list() throws IOException;

  /** Removes {@code id}; absent is fine. Fails while {@code id} is mounted. */
  void remove(String id) throws IOException;

  /** The ancestors of {@code id}, nearest first. */
  List<String> parents(String id) throws IOException;

  /** The layer's own content directory, with its platform metadata. */
  Tree diff(String id) throws IOException;

  /**
   * How this driver's diff dirs record deletions ({@link DriverSupport}: its {@link
   * WhiteoutStyle}).
   */
  WhiteoutFormat whiteouts();

  /**
   * Mounts {@code id} with its ancestors (or takes another reference on an existing mount). A
   * writable mount writes into {@code id}'s own diff; a read-only mount never changes anything.
   */
  Mount get(String id, boolean writable) throws IOException;

  /** Whether {@code id} is mounted now, by this process or another. */
  boolean isMounted(String id) throws IOException;

  /**
   * Drops every reference on {@code id}'s mount, held by any process, and unmounts it. Used by
   * {@code layerstore umount}, where the references were taken by an earlier process.
   */
  void unmountAll(String id) throws IOException;

  /**
   * Bytes in {@code id}'s own diff, counted as Docker counts them for the {@code size} file: every
   * non-directory with a size (symlinks count their target length), hardlinked inodes once.
   */
  long diffSize(String id) throws IOException;

  /** Key/value facts for {@code docker info}-style output, in display order. */
  Map<String, String> status() throws IOException;

  /** Per-layer facts for {@code inspect} ({@code GraphDriver.Data}: LowerDir, UpperDir, ...). */
  Map<String, String> metadata(String id) throws IOException;

  /** Unmounts everything this driver instance mounted. */
  @Override
  void close() throws IOException;
}
