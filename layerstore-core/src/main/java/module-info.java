/**
 * layerstore's core: the store API ({@code io.layerstore}, {@code io.layerstore.container}) and the
 * SPI a graph driver is written against ({@code io.layerstore.spi}). Everything else (archives, the
 * union file system, the on-disk formats, the platform) is not exported: drivers reach what they
 * need of it through the SPI.
 */
module io.layerstore.core {
  requires com.fasterxml.jackson.databind;
  requires com.github.luben.zstd_jni;
  requires com.google.common;
  requires com.sun.jna;
  requires java.net.http;
  requires org.bouncycastle.pg;
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.util;
  requires org.apache.commons.compress;
  requires org.slf4j;

  exports io.layerstore;
  exports io.layerstore.build;
  exports io.layerstore.container;
  exports io.layerstore.spi;

  // The test kit (layerstore-test) checks drivers against core's own tar reader and writer, builds
  // fixture archives with them, and opens drivers on the store's view of their layer directories
  // (store.LayerTrees); nothing else may use these packages.
  exports io.layerstore.archive to
      io.layerstore.testkit;
  exports io.layerstore.format to
      io.layerstore.testkit;
  exports io.layerstore.gocompat to
      io.layerstore.testkit;
  exports io.layerstore.platform to
      io.layerstore.testkit;
  exports io.layerstore.store to
      io.layerstore.testkit;

  // The test kit reads a store's view of its layer directories (LayerStore's StoreContext), which
  // tests write through; no API gives it.
  opens io.layerstore to
      io.layerstore.testkit;

  // Jackson binds the emulated-metadata sidecar's records; JNA proxies the libc interface.
  opens io.layerstore.platform to
      com.fasterxml.jackson.databind,
      com.sun.jna;

  uses io.layerstore.spi.DriverProvider;
}
