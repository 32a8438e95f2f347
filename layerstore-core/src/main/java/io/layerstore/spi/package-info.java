/**
 * The graph driver SPI: what a driver module implements ({@link io.layerstore.spi.DriverProvider},
 * found with {@link java.util.ServiceLoader}, and {@link io.layerstore.spi.GraphDriver}) and what
 * core gives it ({@link io.layerstore.spi.DriverContext}, {@link
 * io.layerstore.spi.DriverPlatform}), with the shared machinery drivers build on ({@link
 * io.layerstore.spi.DriverSupport}: mount counting, the in-process union, copies of mounts). Every
 * type here speaks in exported types only, so a driver can be written outside this repository
 * against this package alone.
 */
package io.layerstore.spi;
