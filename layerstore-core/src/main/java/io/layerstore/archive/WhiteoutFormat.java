package io.layerstore.archive;

import io.layerstore.platform.NodeStat;
import io.layerstore.platform.Tree;
import java.io.IOException;
import java.nio.file.Path;

/**
 * How a driver's diff directories record deletions. Layer tarballs always use aufs's names ({@code
 * .wh.NAME} hides NAME, {@code .wh..wh..opq} makes its directory opaque); on disk overlay2 keeps
 * them as char device 0:0 and the {@code trusted.overlay.opaque=y} xattr, aufs keeps the tar names.
 *
 * <p>Used by every generic piece that reads or writes a diff dir: the unpacker (tar to tree), the
 * diff writer (tree to tar), the in-process union view, and the change list. All paths given are
 * inside {@code tree} and already checked for safety.
 */
public interface WhiteoutFormat {

  /** Tar name prefix of a whiteout. */
  String WH_PREFIX = ".wh.";

  /** Tar name (within a directory) of an opaque marker. */
  String OPAQUE_MARKER = ".wh..wh..opq";

  /** Prefix of aufs bookkeeping names, which are never layer content. */
  String WH_META_PREFIX = ".wh..wh.";

  /** How a node found in a diff dir takes part in the union. */
  enum Role {
    /** Ordinary content. */
    VISIBLE,
    /** Hides {@link #whitedOutName} in the branches below. */
    WHITEOUT,
    /** Bookkeeping that is never shown (an aufs opaque marker file, aufs meta dirs). */
    HIDDEN
  }

  // ---- tar to tree ------------------------------------------------------------------------

  /**
   * Applies the tar entry {@code dir/.wh.NAME}: records in {@code dir} that {@code name} is
   * deleted. {@code header} is the whiteout's own tar header (owner, mode, mtime). Fails if this
   * layer already holds {@code name} (a tar that deletes what it just added is rejected).
   */
  void applyWhiteout(Tree tree, Path dir, String name, TarHeader header) throws IOException;

  /** Applies the tar entry {@code dir/.wh..wh..opq}: {@code dir} hides everything below it. */
  void applyOpaque(Tree tree, Path dir, TarHeader header) throws IOException;

  // ---- reading a diff dir -------------------------------------------------------------------

  /** The role of the node called {@code name} with attributes {@code stat}. */
  Role role(String name, NodeStat stat);

  /** For a {@link Role#WHITEOUT} node called {@code name}: the name it hides. */
  String whitedOutName(String name);

  /** Where, in {@code dir}, a whiteout for {@code name} would be. */
  Path whiteoutPath(Path dir, String name);

  /** Whether {@code dir} (a directory of {@code tree}) is opaque. */
  boolean isOpaque(Tree tree, Path dir) throws IOException;

  // ---- writing a diff dir (copy-up, container layers) ----------------------------------------

  /** Records in {@code dir} that {@code name} is deleted; {@code name} must not exist in dir. */
  void createWhiteout(Tree tree, Path dir, String name) throws IOException;

  /** Marks {@code dir} opaque. */
  void setOpaque(Tree tree, Path dir) throws IOException;

  // ---- tree to tar --------------------------------------------------------------------------

  /**
   * The tar header for a whiteout node: named {@code relDir/.wh.NAME}, typeflag regular, size 0,
   * owner and mtime of the node.
   */
  TarHeader whiteoutHeader(String relDir, String hiddenName, NodeStat stat);

  /**
   * The tar header of the opaque marker emitted right after an opaque directory's own header
   * ({@code relDir/.wh..wh..opq}). {@link Role#HIDDEN} nodes are never emitted by the walk itself.
   */
  TarHeader opaqueMarkerHeader(String relDir, NodeStat dirStat);

  /**
   * Whether the xattr {@code name} of a node is the format's bookkeeping (e.g. {@code
   * trusted.overlay.*}) and must not be written into a tar.
   */
  boolean isBookkeepingXattr(String name);
}
