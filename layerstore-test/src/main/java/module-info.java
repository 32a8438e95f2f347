/**
 * layerstore's test kit: the driver contract (moby's graphtest, as JUnit 5 tests every driver
 * module runs on disk and on jimfs), fixture builders and access, platform requirements, and a
 * listing of a root file system to compare with Docker's. It checks drivers against core's own tar
 * reader and writer, which core exports to this module alone.
 */
module io.layerstore.testkit {
  requires transitive io.layerstore.core;
  requires transitive org.junit.jupiter.api;
  requires com.google.common.jimfs;
  requires com.fasterxml.jackson.databind;
  // RegistryServer's certificates and TokenServer's signing key; TokenServer's HTTP server.
  requires org.bouncycastle.pkix;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.util;
  requires jdk.httpserver;

  exports io.layerstore.testkit;
}
