package io.layerstore.spi;

import io.layerstore.Mount;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A graph driver keeps layer directories and builds a root filesystem from a chain of them. It
 * knows nothing of digests, images or tarballs: the store gives it opaque ids (Docker's cache-ids,
 * {@code <mount-id>} and {@code <mount-id>-init}) and writes layer content into {@link #diff}
 * itself, through core's unpacker and the driver's {@link #whiteoutStyle()}.
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
 * <p>Everything here is in exported types: a driver says where a layer's files are ({@link #diff})
 * and how they record deletions ({@link #whiteoutStyle}); core makes its own view of them. A driver
 * usually extends {@link DriverSupport}, which implements what is the same for every driver.
 */
public interface GraphDriver extends Closeable {

  /**
   * The driver name, also the name of its home dir under the data-root.
   *
   * @return the name ({@code overlay2}, {@code aufs})
   */
  String name();

  /**
   * The driver's home, {@code <data-root>/<name>}.
   *
   * @return the home directory
   */
  Path home();

  /**
   * Creates the directories of {@code id} on {@code parent}.
   *
   * @param id the new layer
   * @param parent the layer it stacks on, or {@code null} for a base layer
   * @throws IOException if {@code id} exists, {@code parent} does not, or the directories cannot be
   *     made (nothing is left behind)
   */
  void create(String id, String parent) throws IOException;

  /**
   * Whether the driver has {@code id}.
   *
   * @param id the layer
   * @return whether it exists
   * @throws IOException if the driver's directories cannot be read
   */
  boolean exists(String id) throws IOException;

  /**
   * Every layer id the driver has on disk, in no particular order.
   *
   * @return the ids
   * @throws IOException if the driver's directories cannot be read
   */
  List<String> list() throws IOException;

  /**
   * Removes {@code id}; absent is fine. Fails while {@code id} is mounted.
   *
   * @param id the layer
   * @throws IOException if it is mounted or cannot be deleted
   */
  void remove(String id) throws IOException;

  /**
   * The ancestors of {@code id}, nearest first.
   *
   * @param id the layer
   * @return its parent, the parent's parent, and so on
   * @throws IOException if {@code id} does not exist or its chain cannot be read
   */
  List<String> parents(String id) throws IOException;

  /**
   * The layer's own content directory, and where an emulated platform keeps its metadata. Core
   * reads and writes it through its own view of the directory, shared with the driver's in-process
   * mounts ({@link DriverPlatform}).
   *
   * @param id the layer, which must exist
   * @return the layer's directory
   * @throws IOException if {@code id} does not exist
   */
  LayerDir diff(String id) throws IOException;

  /**
   * How this driver's diff dirs record deletions.
   *
   * @return the driver's whiteout style
   */
  WhiteoutStyle whiteoutStyle();

  /**
   * Mounts {@code id} with its ancestors (or takes another reference on an existing mount). A
   * writable mount writes into {@code id}'s own diff; a read-only mount never changes anything.
   *
   * @param id the layer
   * @param writable whether the mount accepts writes
   * @return the mount; close it to give the reference back
   * @throws IOException if {@code id} does not exist, is mounted the other way, or cannot be
   *     mounted
   */
  Mount get(String id, boolean writable) throws IOException;

  /**
   * Whether {@code id} is mounted now, by this process or another.
   *
   * @param id the layer
   * @return whether it is mounted
   * @throws IOException if that cannot be told
   */
  boolean isMounted(String id) throws IOException;

  /**
   * Drops every reference on {@code id}'s mount, held by any process, and unmounts it. Used by
   * {@code layerstore umount}, where the references were taken by an earlier process.
   *
   * @param id the layer
   * @throws IOException if it cannot be unmounted
   */
  void unmountAll(String id) throws IOException;

  /**
   * Gives back one reference on {@code id}'s mount that was left behind with {@link
   * Mount#leaveMounted} (by any process), and unmounts it when that was the last reference anybody
   * held: left-behind mounts are counted, so two tools that each mounted the layer each unmount it
   * once. Used by {@code layerstore umount}.
   *
   * @param id the layer
   * @return whether a left-behind reference was there to give back; {@code false} changes nothing
   * @throws IOException if the count cannot be changed or the layer cannot be unmounted
   */
  boolean unmount(String id) throws IOException;

  /**
   * The kernel mounts that nobody holds any more: every process that held one died without giving
   * it back (killed, or exited without closing), and none was left behind on purpose. Such a mount
   * would otherwise stay forever and keep its layers from being removed.
   *
   * @param reclaim whether to unmount them and drop their counts
   * @return the layer ids of those mounts, in order
   * @throws IOException if the counts cannot be read, or a mount cannot be taken down
   */
  List<String> abandonedMounts(boolean reclaim) throws IOException;

  /**
   * Bytes in {@code id}'s own diff, counted as Docker counts them for the {@code size} file: every
   * non-directory with a size (symlinks count their target length), hardlinked inodes once.
   *
   * @param id the layer
   * @return the size in bytes
   * @throws IOException if {@code id} does not exist or cannot be read
   */
  long diffSize(String id) throws IOException;

  /**
   * Key/value facts for {@code docker info}-style output, in display order.
   *
   * @return the facts
   * @throws IOException if they cannot be read
   */
  Map<String, String> status() throws IOException;

  /**
   * Per-layer facts for {@code inspect} ({@code GraphDriver.Data}: LowerDir, UpperDir, ...).
   *
   * @param id the layer
   * @return the facts, in display order
   * @throws IOException if {@code id} does not exist or cannot be read
   */
  Map<String, String> metadata(String id) throws IOException;

  /**
   * Unmounts everything this driver instance mounted.
   *
   * @throws IOException if something could not be unmounted
   */
  @Override
  void close() throws IOException;
}
