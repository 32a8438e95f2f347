package io.layerstore.container;

import io.layerstore.ConflictException;
import io.layerstore.ImageId;
import io.layerstore.Mount;
import io.layerstore.NotFoundException;
import io.layerstore.RemoveOptions;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * The containers of a store: an image's read-only layers, an init layer with what a runtime puts
 * into every container, and a read-write layer on top, laid out as Docker lays them out. A store
 * has one, from {@code LayerStore.containers()}, closed with the store; it is safe to use from
 * several threads, and other processes may use the same store at the same time.
 *
 * <pre>{@code
 * Containers containers = store.containers();
 * Container c = containers.create("fx:multi", CreateOptions.defaults().name("build"));
 * try (Mount m = containers.mount("build")) {                 // read-write
 *   Files.writeString(m.root().resolve("etc/motd"), "hi\n");  // copies /etc up
 * }
 * containers.changes("build");                                // [C /etc, A /etc/motd]
 * ImageId id = containers.commit("build", CommitOptions.defaults().reference("app:1").env("A", "1"));
 * containers.remove("build", RemoveOptions.defaults());
 * }</pre>
 *
 * <p>A container is named by its full id, its name, or a unique prefix of its id. {@link #changes}
 * and {@link #commit} read the read-write layer's own directory (and, for the changes, the few
 * nodes of the image it meets), so their cost follows the size of the change, not of the image;
 * both work the same whether the container was written through a kernel mount or through the
 * in-process union. Create, remove and mount take the store lock; changes, commit and export read
 * while the container may be mounted and written, and then see whatever state they read.
 *
 * <p>The store makes the one implementation; users do not implement this interface.
 */
public interface Containers {

  /**
   * Creates a container from an image, like {@code docker create IMAGE}: an init layer on the
   * image's top layer, filled as {@code options.init()} says, and an empty read-write layer on it.
   * If the image names a working directory the image lacks, it is made in the read-write layer, as
   * Docker does at creation. Takes the store lock; on failure nothing of the container is left.
   *
   * @param image {@code name[:tag]}, an image id or a unique prefix of one
   * @param options the name and init files
   * @return the new container
   * @throws NotFoundException if no image matches
   * @throws ConflictException if the name is taken by another container, or an id prefix is
   *     ambiguous
   * @throws IOException if the driver or the records cannot be written
   */
  Container create(String image, CreateOptions options) throws IOException;

  /**
   * Every container, newest first (like {@code docker ps -a}). Containers being created or removed
   * are left out, and so are records that cannot be read (they are logged).
   *
   * @return a new list of the live containers
   * @throws IOException if the records cannot be listed
   */
  List<Container> list() throws IOException;

  /**
   * The container called {@code nameOrId}: a full id, a name (with or without Docker's leading
   * {@code /}) or a unique id prefix. A name wins over an id prefix that reads the same.
   *
   * @param nameOrId what the user typed
   * @return the container
   * @throws IllegalArgumentException if {@code nameOrId} is null or empty
   * @throws NotFoundException if no live container matches
   * @throws ConflictException if an id prefix matches several containers
   * @throws IOException if the records cannot be read
   */
  Container get(String nameOrId) throws IOException;

  /**
   * Mounts the container's file system read-write: the read-write layer over the init layer and the
   * image. Writes copy up into the read-write layer; deletions leave whiteouts there. Close the
   * mount to give it back; {@link Mount#leaveMounted} keeps a kernel mount until {@link #unmount}.
   *
   * @param nameOrId a full id, a name or a unique id prefix, as {@link #get} takes it
   * @return the writable mount; several mounts of one container share one underlying mount
   * @throws NotFoundException if no container matches
   * @throws IOException if the driver cannot mount it
   */
  Mount mount(String nameOrId) throws IOException;

  /**
   * Whether the container's file system is mounted now (by this process or another).
   *
   * @param nameOrId a full id, a name or a unique id prefix, as {@link #get} takes it
   * @return whether the driver has a mount of its read-write layer
   * @throws NotFoundException if no container matches
   * @throws IOException if the records or the mount state cannot be read
   */
  boolean isMounted(String nameOrId) throws IOException;

  /**
   * Whether {@code c}'s file system is mounted now (by this process or another).
   *
   * @param c the container, as {@link #get} or {@link #list} returned it
   * @return whether the driver has a mount of its read-write layer
   * @throws IOException if the mount state cannot be read
   */
  boolean isMounted(Container c) throws IOException;

  /**
   * Drops every reference on the container's mount, whoever took it, and unmounts it: this is how a
   * mount left with {@link Mount#leaveMounted()} ends. Handles still open on it should not be used
   * afterwards. Does nothing for a container that is not mounted.
   *
   * @param nameOrId a full id, a name or a unique id prefix, as {@link #get} takes it
   * @throws NotFoundException if no container matches
   * @throws IOException if the driver cannot unmount it
   */
  void unmount(String nameOrId) throws IOException;

  /**
   * What the container changed in the image, as {@code docker diff} lists it, sorted by path. Reads
   * the read-write layer (the init layer's files are not changes), so it may run while the
   * container is mounted and written.
   *
   * @param nameOrId a full id, a name or a unique id prefix, as {@link #get} takes it
   * @return the changes, empty for a container that changed nothing
   * @throws NotFoundException if no container matches
   * @throws IOException if a layer cannot be read
   */
  List<FileChange> changes(String nameOrId) throws IOException;

  /**
   * Writes the container's whole file system (image, init and read-write layers merged) as one tar,
   * like {@code docker export}. The stream is not closed; on failure it holds part of a tar.
   *
   * @param nameOrId a full id, a name or a unique id prefix, as {@link #get} takes it
   * @param out where the tar goes
   * @throws NotFoundException if no container matches
   * @throws IOException if a layer cannot be read or the stream cannot be written
   */
  void export(String nameOrId, OutputStream out) throws IOException;

  /**
   * Like {@link #export(String, OutputStream)}, into {@code file}: the tar is written to a temp
   * file next to it and moved over it atomically, so {@code file} is either untouched or the whole
   * tar.
   *
   * @param nameOrId a full id, a name or a unique id prefix, as {@link #get} takes it
   * @param file the tar file, replaced if it exists
   * @throws NotFoundException if no container matches
   * @throws IOException if a layer cannot be read or the file cannot be written
   */
  void export(String nameOrId, Path file) throws IOException;

  /**
   * Makes a new image from the container, like {@code docker commit}: the image's layers plus one
   * layer made from the read-write layer alone (never the init layer), registered like a loaded
   * layer (diffID, chainID, tar-split); a config with the changes applied and one more history
   * entry; the source image as its parent. A container that changed nothing gives an image without
   * a new layer (its history entry marked {@code empty_layer}), as Docker's does. The layer, the
   * image, its parent link and its tag appear together or not at all.
   *
   * @param nameOrId a full id, a name or a unique id prefix, as {@link #get} takes it
   * @param options the tag, author, message and config changes
   * @return the new image's id
   * @throws IllegalArgumentException if the reference is invalid or carries a digest
   * @throws NotFoundException if no container matches, or its image was removed during the commit
   * @throws InterruptedIOException if the thread is interrupted while the layer is written
   * @throws IOException if a layer cannot be read or the store cannot be written
   */
  ImageId commit(String nameOrId, CommitOptions options) throws IOException;

  /**
   * Removes a container with its read-write and init layers, like {@code docker rm}. A mounted
   * container is refused unless {@linkplain RemoveOptions#force() forced}, which unmounts it first;
   * one another process has mounted (its mounts hold a pin every process sees) is refused even when
   * forced, since that mount cannot be taken from it. Takes the store lock; a removal interrupted
   * by a crash is finished when the store is next used.
   *
   * @param nameOrId a full id, a name or a unique id prefix, as {@link #get} takes it
   * @param options whether to unmount a mounted container first
   * @return the removed container
   * @throws NotFoundException if no container matches
   * @throws ConflictException if the container is mounted and the removal is not forced, or another
   *     process has it mounted
   * @throws IOException if the driver or the records cannot be changed
   */
  Container remove(String nameOrId, RemoveOptions options) throws IOException;
}
