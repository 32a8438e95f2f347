/**
 * The aufs graph driver, found through {@link io.layerstore.aufs.AufsProvider}: Docker's {@code
 * aufs/{diff,mnt,layers}} layout with whiteouts kept in their tar form, kernel mounts with Docker's
 * exact mount data where the kernel has aufs, the in-process union everywhere else, and branch
 * introspection ({@link io.layerstore.spi.BranchIntrospection}) from procfs and sysfs. Everything
 * else in the package is package-private.
 */
package io.layerstore.aufs;
