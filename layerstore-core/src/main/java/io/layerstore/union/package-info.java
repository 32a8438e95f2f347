/**
 * The in-process union mount: {@link io.layerstore.union.UnionFileSystem#open} merges a stack of
 * layer trees into one {@link java.nio.file.FileSystem} that looks and behaves like a kernel
 * overlayfs mount of the same directories, for stores where the kernel cannot mount (jimfs, no
 * privilege). Everything else in this package is the provider behind that one entry point.
 */
package io.layerstore.union;
