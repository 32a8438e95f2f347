package io.layerstore.tarsplit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Crc64Test {

  @Test
  void checkValueOfGoIsoTable() {
    long v = Crc64.of("123456789".getBytes(StandardCharsets.US_ASCII));
    assertEquals("b90956c775a41001", HexFormat.of().formatHex(Crc64.toBytes(v)));
  }

  @Test
  void matchesTheFileChecksumDockerRecorded() {
    // fx:multi layer 5, opt/app/copied.txt: "YUNi2Y6sN0A=" in Docker's tar-split
    Crc64 c = new Crc64();
    byte[] data = "copied\n".getBytes(StandardCharsets.US_ASCII);
    c.update(data, 0, data.length);
    assertArrayEquals(java.util.Base64.getDecoder().decode("YUNi2Y6sN0A="), c.toBytes());
  }

  @Test
  void emptyInputIsZero() {
    assertArrayEquals(new byte[8], new Crc64().toBytes());
  }

  @Test
  void slicedUpdateEqualsBytewiseUpdate() {
    byte[] data = new byte[10_007];
    new Random(1).nextBytes(data);
    Crc64 bytewise = new Crc64();
    for (byte b : data) {
      bytewise.update(b);
    }
    Crc64 chunked = new Crc64();
    int off = 0;
    for (int n : new int[] {1, 7, 8, 9, 64, 1000, 3}) {
      chunked.update(data, off, n);
      off += n;
    }
    chunked.update(data, off, data.length - off);
    assertEquals(bytewise.getValue(), chunked.getValue());
    assertEquals(bytewise.getValue(), Crc64.of(data));
    chunked.reset();
    assertEquals(0, chunked.getValue());
  }
}
