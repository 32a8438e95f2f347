/** Docker's overlay2 graph driver, written against core's SPI only. */
module io.layerstore.overlay2 {
  requires io.layerstore.core;
  requires com.google.common;
  requires org.slf4j;

  provides io.layerstore.spi.DriverProvider with
      io.layerstore.overlay2.Overlay2Provider;
}
