/**
 * Building images from files, without a container and without a daemon, the way a build tool such
 * as Jib needs it: reproducible (the same inputs give the same diffIDs and image id on every
 * machine and every run), cached by inputs (an unchanged layer is neither re-tarred nor re-hashed)
 * and stored in Docker's layout like any loaded image.
 *
 * <pre>{@code
 * ImageId id =
 *     store.build("debian:bookworm")
 *         .addLayer(LayerSpec.builder().addDirectory(Path.of("target/app"), "/app").build())
 *         .config(ImageSettings.builder().entrypoint(List.of("/app/run")).build())
 *         .tag("app:1");
 * }</pre>
 *
 * <p>Start with {@code LayerStore.build(base)} (or {@code build()} for an image from scratch),
 * describe the layers with {@link io.layerstore.build.LayerSpec} and the config with {@link
 * io.layerstore.build.ImageSettings}, then {@link io.layerstore.build.ImageBuilder#tag(String)}.
 */
package io.layerstore.build;
