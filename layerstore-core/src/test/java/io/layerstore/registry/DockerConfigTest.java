package io.layerstore.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.RegistryException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Docker's config.json read and written as docker's CLI does. */
class DockerConfigTest {

  @TempDir Path dir;

  private DockerConfig config(String json) throws Exception {
    Files.writeString(dir.resolve("config.json"), json);
    return new DockerConfig(dir, List.of(dir.resolve("bin")));
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void readsEveryFormOfAnAuthsEntry() throws Exception {
    DockerConfig c =
        config(
            "{\"auths\":{"
                + "\"https://index.docker.io/v1/\":{\"auth\":\""
                + b64("hub:pw:with:colons")
                + "\"},"
                + "\"http://reg.lan:5000/v2/\":{\"username\":\"u\",\"password\":\"p\"},"
                + "\"tok.example\":{\"identitytoken\":\"refresh-me\"},"
                + "\"empty.example\":{}}}");
    assertEquals(Optional.of(new AuthConfig("hub", "pw:with:colons", null)), c.find("docker.io"));
    assertEquals(Optional.of(new AuthConfig("u", "p", null)), c.find("reg.lan:5000"));
    assertEquals(Optional.of(new AuthConfig(null, null, "refresh-me")), c.find("tok.example"));
    assertEquals(Optional.empty(), c.find("empty.example"));
    assertEquals(Optional.empty(), c.find("reg.lan"));
  }

  @Test
  void storesAsDockerLoginDoesKeepingOtherFields() throws Exception {
    DockerConfig c =
        config("{\"psFormat\":\"table\",\"auths\":{\"other\":{\"auth\":\"" + b64("a:b") + "\"}}}");
    c.store("docker.io", new AuthConfig("me", "secret", null));
    c.store("reg.lan:5000", new AuthConfig("you", "pw", null));
    // Laid out as docker's json.MarshalIndent(config, "", "\t") lays it out.
    assertEquals(
        "{\n\t\"psFormat\": \"table\",\n\t\"auths\": {\n"
            + "\t\t\"other\": {\n\t\t\t\"auth\": \""
            + b64("a:b")
            + "\"\n\t\t},\n"
            + "\t\t\"https://index.docker.io/v1/\": {\n\t\t\t\"auth\": \""
            + b64("me:secret")
            + "\"\n\t\t},\n"
            + "\t\t\"reg.lan:5000\": {\n\t\t\t\"auth\": \""
            + b64("you:pw")
            + "\"\n\t\t}\n"
            + "\t}\n}",
        Files.readString(dir.resolve("config.json")));
    assertEquals(
        PosixFilePermissions.fromString("rw-------"),
        Files.getPosixFilePermissions(dir.resolve("config.json")));
    assertEquals(Optional.of(new AuthConfig("me", "secret", null)), c.find("index.docker.io"));
    assertEquals(Optional.of(new AuthConfig("a", "b", null)), c.find("other"));
    assertTrue(c.erase("docker.io"));
    assertFalse(c.erase("docker.io"));
    assertEquals(Optional.empty(), c.find("docker.io"));
    assertEquals(Optional.of(new AuthConfig("you", "pw", null)), c.find("reg.lan:5000"));
    try (var files = Files.list(dir)) {
      assertEquals(List.of("config.json"), files.map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void indentsAsGoDoes() {
    assertEquals(
        "{\n\t\"a\": [\n\t\t1,\n\t\t\"x,{\\\"y\\\":[]}\"\n\t],\n\t\"b\": {},\n\t\"c\": []\n}",
        DockerConfig.indent("{\"a\":[1,\"x,{\\\"y\\\":[]}\"],\"b\":{},\"c\":[]}"));
  }

  @Test
  void aMissingFileHasNoCredentialsAndABrokenOneIsNamed() throws Exception {
    assertEquals(Optional.empty(), new DockerConfig(dir.resolve("none"), List.of()).find("x"));
    RegistryException e =
        assertThrows(RegistryException.class, () -> config("{\"auths\":").find("x"));
    assertTrue(e.getMessage().contains("config.json is not valid JSON"), e.getMessage());
    e =
        assertThrows(
            RegistryException.class,
            () -> config("{\"auths\":{\"x\":{\"auth\":\"%%%\"}}}").find("x"));
    assertTrue(e.getMessage().contains("auths[\"x\"].auth is not base64"), e.getMessage());
    assertEquals(
        "{\"auths\":{\"x\":{\"auth\":\"%%%\"}}}", Files.readString(dir.resolve("config.json")));
  }

  @Test
  void credHelpersWinOverCredsStoreAndAMissingHelperIsNamed() throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path helper = bin.resolve("docker-credential-fixed");
    Files.writeString(
        helper,
        "#!/bin/sh\n"
            + "[ \"$1\" = get ] || exit 3\n"
            + "url=$(cat)\n"
            + "[ \"$url\" = reg.lan ] || { echo 'credentials not found in native keychain'; exit 1; }\n"
            + "echo '{\"ServerURL\":\"reg.lan\",\"Username\":\"<token>\",\"Secret\":\"idtok\"}'\n");
    Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwx------"));
    DockerConfig c =
        config(
            "{\"credsStore\":\"absent\",\"credHelpers\":{\"reg.lan\":\"fixed\",\"other.lan\":\"fixed\"}}");
    assertEquals(Optional.of(new AuthConfig(null, null, "idtok")), c.find("reg.lan"));
    assertEquals(Optional.empty(), c.find("other.lan"));
    RegistryException e = assertThrows(RegistryException.class, () -> c.find("third.lan"));
    assertTrue(
        e.getMessage().contains("docker-credential-absent is not on the helper path"),
        e.getMessage());
  }
}
