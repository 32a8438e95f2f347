/** Docker's aufs graph driver, written against core's SPI only. */
module io.layerstore.aufs {
  requires io.layerstore.core;
  requires org.slf4j;

  provides io.layerstore.spi.DriverProvider with
      io.layerstore.aufs.AufsProvider;
}
