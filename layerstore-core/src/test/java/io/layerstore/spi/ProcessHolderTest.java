package io.layerstore.spi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A mount holder is alive exactly while its process runs: a reused pid is not it. */
class ProcessHolderTest {

  @Test
  void thisProcessIsAliveAndReadsBackAsWritten() throws Exception {
    ProcessHolder self = ProcessHolder.current();
    assertEquals(ProcessHandle.current().pid(), self.pid());
    assertTrue(self.isAlive());
    assertEquals(Optional.of(self), ProcessHolder.parse(self.toString()));
    assertEquals(Optional.empty(), ProcessHolder.parse("left"));
    assertEquals(Optional.empty(), ProcessHolder.parse("12@x"));
  }

  @Test
  void anotherStartTimeIsAnotherProcess() throws Exception {
    ProcessHolder self = ProcessHolder.current();
    assertFalse(new ProcessHolder(self.pid(), self.start() + 1).isAlive(), "the pid was reused");
  }

  @Test
  void aProcessIsAliveUntilItEnds() throws Exception {
    Process p = new ProcessBuilder("sleep", "60").start();
    try {
      ProcessHolder child = ProcessHolder.of(p.pid()).orElseThrow();
      assertTrue(child.isAlive());
      p.destroyForcibly();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      assertFalse(child.isAlive(), "killed");
      assertEquals(Optional.empty(), ProcessHolder.of(p.pid()));
    } finally {
      p.destroyForcibly();
    }
  }
}
