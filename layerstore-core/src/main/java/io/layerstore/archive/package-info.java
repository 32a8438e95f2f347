/**
 * Layer tarballs as Docker reads and writes them: {@link io.layerstore.archive.TarReader} parses
 * like Go's {@code archive/tar} (which Docker and tar-split use), {@link
 * io.layerstore.archive.LayerReader} reads a layer once while hashing it (diffID) and recording its
 * tar-split, {@link io.layerstore.archive.Compression} recognises compressed layers by their magic
 * bytes, {@link io.layerstore.archive.TarWriter} writes what Go's writer would, and the whiteout
 * formats translate deletions between tar and disk.
 */
package io.layerstore.archive;
