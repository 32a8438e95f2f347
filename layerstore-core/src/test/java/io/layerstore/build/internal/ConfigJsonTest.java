package io.layerstore.build.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.DiffId;
import io.layerstore.build.ImageSettings;
import io.layerstore.format.ConfigWriter;
import io.layerstore.format.ImageConfig;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Built configs in the shape Docker marshals them, the same bytes for the same inputs. */
class ConfigJsonTest {
  private static final DiffId L1 = DiffId.parse("sha256:" + "1".repeat(64));
  private static final DiffId L2 = DiffId.parse("sha256:" + "2".repeat(64));

  @Test
  void aScratchImageHasTheFixedTimeAndOneHistoryEntryPerLayer() {
    ImageSettings s =
        ImageSettings.builder()
            .entrypoint(List.of("/app/run"))
            .env("A", "1")
            .exposePort("8080")
            .history(new ImageSettings.History("ENV A=1", null))
            .build();
    String json =
        new String(
            ConfigJson.write(null, s, List.of(L1), Arrays.asList("app")), StandardCharsets.UTF_8);
    String arch = ConfigWriter.goArch();
    assertEquals(
        "{\"architecture\":\""
            + arch
            + "\",\"config\":{\"Hostname\":\"\",\"Domainname\":\"\",\"User\":\"\","
            + "\"AttachStdin\":false,\"AttachStdout\":false,\"AttachStderr\":false,"
            + "\"ExposedPorts\":{\"8080/tcp\":{}},\"Tty\":false,\"OpenStdin\":false,"
            + "\"StdinOnce\":false,\"Env\":[\"A=1\"],\"Cmd\":null,\"Image\":\"\",\"Volumes\":null,"
            + "\"WorkingDir\":\"\",\"Entrypoint\":[\"/app/run\"],\"OnBuild\":null,\"Labels\":null},"
            + "\"created\":\"1970-01-01T00:00:00Z\",\"history\":["
            + "{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"layerstore build\",\"comment\":\"app\"},"
            + "{\"created\":\"1970-01-01T00:00:00Z\",\"created_by\":\"ENV A=1\",\"empty_layer\":true}],"
            + "\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
            + L1
            + "\"]}}",
        json);
  }

  @Test
  void onABaseTheSettingsMergeIntoTheBasesConfigAndTheHistoryGrows() throws Exception {
    byte[] baseBytes =
        ("{\"architecture\":\"arm64\",\"variant\":\"v8\",\"os\":\"linux\",\"config\":{\"Env\":[\"PATH=/bin\",\"A=0\"],"
                + "\"Cmd\":[\"sh\"],\"Labels\":{\"base\":\"yes\"}},\"created\":\"2024-01-01T00:00:00Z\","
                + "\"history\":[{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"base\"}],"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + L1
                + "\"]}}")
            .getBytes(StandardCharsets.UTF_8);
    ImageConfig base = ImageConfig.parse(baseBytes, "base", new ObjectMapper());
    ImageSettings s =
        ImageSettings.builder()
            .env("A", "1")
            .label("app", "x")
            .entrypoint(List.of("/run"))
            .created(Instant.ofEpochSecond(1_700_000_000L))
            .build();
    ImageConfig built =
        ImageConfig.parse(
            ConfigJson.write(base, s, List.of(L2), Arrays.asList((String) null)),
            "built",
            new ObjectMapper());
    assertEquals(List.of(L1, L2), built.diffIds());
    assertEquals("arm64", built.architecture());
    assertEquals("v8", built.json().get("variant").asText());
    assertEquals("[\"PATH=/bin\",\"A=1\"]", built.json().get("config").get("Env").toString());
    assertEquals(
        "{\"app\":\"x\",\"base\":\"yes\"}", built.json().get("config").get("Labels").toString());
    assertEquals("null", built.json().get("config").get("Cmd").toString(), "ENTRYPOINT clears CMD");
    assertEquals(2, built.history().size());
    assertEquals("2023-11-14T22:13:20Z", built.json().get("created").asText());
  }
}
