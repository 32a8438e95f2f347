package io.layerstore.container.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.layerstore.container.CommitOptions;
import io.layerstore.container.ConfigChange;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code docker commit --change} instructions: parsing, and their effect on a container config. */
class ConfigChangeTest {

  private final ObjectMapper json = new ObjectMapper();

  private ObjectNode apply(String config, String... changes) throws Exception {
    CommitOptions o = CommitOptions.defaults();
    for (String c : changes) {
      o = o.change(c);
    }
    return ContainerConfig.applyChanges((ObjectNode) json.readTree(config), o.changes());
  }

  @Test
  void envReplacesInPlaceOrAppends() throws Exception {
    ObjectNode c = apply("{\"Env\":[\"A=1\",\"B=2\"]}", "ENV B=3 C=\"two words\"", "env D 4 5");
    assertEquals("[\"A=1\",\"B=3\",\"C=two words\",\"D=4 5\"]", c.get("Env").toString());
  }

  @Test
  void cmdAndEntrypointInBothForms() throws Exception {
    assertEquals(
        "[\"/bin/echo\",\"hi\"]", apply("{}", "CMD [\"/bin/echo\",\"hi\"]").get("Cmd").toString());
    assertEquals(
        "[\"/bin/sh\",\"-c\",\"echo hi && true\"]",
        apply("{}", "CMD echo hi && true").get("Cmd").toString());
    ObjectNode ep = apply("{\"Cmd\":[\"old\"]}", "ENTRYPOINT [\"/app\"]");
    assertEquals("[\"/app\"]", ep.get("Entrypoint").toString());
    assertTrue(ep.get("Cmd").isNull(), "an entrypoint alone drops the command, as in a Dockerfile");
    ObjectNode both = apply("{\"Cmd\":[\"old\"]}", "CMD [\"x\"]", "ENTRYPOINT [\"/app\"]");
    assertEquals("[\"x\"]", both.get("Cmd").toString());
    ObjectNode cleared = apply("{\"Cmd\":[\"old\"],\"Entrypoint\":null}", "ENTRYPOINT []");
    assertEquals(
        "[\"old\"]",
        cleared.get("Cmd").toString(),
        "an empty entrypoint brings the command back (merge)");
  }

  @Test
  void labelsPortsVolumesWorkdirUser() throws Exception {
    ObjectNode c =
        apply(
            "{\"WorkingDir\":\"/srv\",\"Labels\":{\"a\":\"1\"}}",
            "LABEL b=2 \"c d\"=e",
            "EXPOSE 80 53/udp",
            "VOLUME [\"/data\"]",
            "WORKDIR app",
            "USER nobody",
            "STOPSIGNAL SIGINT",
            "ONBUILD RUN true");
    assertEquals("{\"a\":\"1\",\"b\":\"2\",\"c d\":\"e\"}", c.get("Labels").toString());
    assertEquals("{\"80/tcp\":{},\"53/udp\":{}}", c.get("ExposedPorts").toString());
    assertEquals("{\"/data\":{}}", c.get("Volumes").toString());
    assertEquals("/srv/app", c.get("WorkingDir").asText());
    assertEquals("nobody", c.get("User").asText());
    assertEquals("SIGINT", c.get("StopSignal").asText());
    assertEquals("[\"RUN true\"]", c.get("OnBuild").toString());
  }

  @Test
  void badInstructionsAreRefusedWithTheReason() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ConfigChange.parse("RUN true"));
    assertTrue(e.getMessage().contains("RUN is not a valid change command"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ConfigChange.parse("ENV"));
    assertThrows(IllegalArgumentException.class, () -> ConfigChange.parse("ENV A=\"open"));
    assertThrows(IllegalArgumentException.class, () -> ConfigChange.parse("EXPOSE http"));
    assertThrows(IllegalArgumentException.class, () -> ConfigChange.parse("ENV =x"));
    assertEquals(List.of("80/tcp"), ConfigChange.parse("expose 80").values());
  }
}
