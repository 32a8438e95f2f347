/**
 * Text rules of the Go tools that Docker's files depend on byte for byte: {@link
 * io.layerstore.gocompat.TarPaths} cleans and joins tar member names as Go's {@code path} package
 * does, {@link io.layerstore.gocompat.GoJson} writes JSON as Go's {@code encoding/json} does (ids
 * are hashes of that text). Depends on nothing else in the library, so tar-split, archives and
 * image formats can all use it.
 */
package io.layerstore.gocompat;
