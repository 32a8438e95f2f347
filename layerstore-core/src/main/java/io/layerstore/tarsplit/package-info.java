/**
 * tar-split, the record Docker keeps next to every layer ({@code tar-split.json.gz}) so that the
 * layer tar can be rebuilt byte for byte from the extracted files: without it a saved or pushed
 * layer would get a new diffID.
 *
 * <p>Lifecycle: while a layer is loaded, {@link io.layerstore.archive.LayerReader} writes the
 * record through {@link io.layerstore.tarsplit.TarSplitWriter}; when the layer is saved, {@link
 * io.layerstore.tarsplit.TarSplitReader} reads it back and {@link
 * io.layerstore.tarsplit.TarSplitAssembler} replays it, taking file contents from a {@link
 * io.layerstore.tarsplit.FileGetter} and checking each against its {@link
 * io.layerstore.tarsplit.Crc64}. The format is tar-split v0.11's, byte-compatible with Docker's.
 */
package io.layerstore.tarsplit;
