/**
 * What tests of layerstore and of its drivers share. The driver contract kit: {@link
 * io.layerstore.testkit.GraphDriverContract} (moby's graphtest for our drivers, plus what issue 3
 * asks of every driver) and {@link io.layerstore.testkit.LayerStoreContract} (the store-level
 * part), which each driver module extends once per {@link io.layerstore.testkit.Backing}; the
 * pieces they are built from ({@link io.layerstore.testkit.DriverSandbox}, {@link
 * io.layerstore.testkit.LayerTar}, {@link io.layerstore.testkit.LayerOps}, {@link
 * io.layerstore.testkit.Nodes}); the reference fixtures and the rootfs listing; and {@link
 * io.layerstore.testkit.PlatformRequirements}, which makes CI fail where a developer machine skips.
 */
package io.layerstore.testkit;
