package io.layerstore.trust;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerstore.Digest;
import io.layerstore.LayerStoreException;
import io.layerstore.Reference;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * registries.d: the YAML subset, scope precedence, staging for writes, and the lookaside layout.
 */
class RegistriesDTest {

  @TempDir Path dir;

  @Test
  void theMostSpecificScopeThatSetsAValueWins() throws Exception {
    Files.writeString(
        dir.resolve("default.yaml"),
        """
        # the defaults, as Fedora ships them
        default-docker:
          lookaside: file:///var/lib/containers/sigstore
          sigstore-staging: 'file:///staging'
        """);
    Files.writeString(
        dir.resolve("example.yaml"),
        """
        ---
        docker:
          registry.example.com:
            lookaside: "https://sigs.example.com/signatures"   # read from here
            use-sigstore-attachments: true
          registry.example.com/team/app:
            use-sigstore-attachments: false
          "*.example.org":
            sigstore: http://old.example.org/sigs
        ignored-key: anything
        """);
    Files.writeString(dir.resolve("notes.txt"), "not: [yaml we read]");
    RegistriesD r = RegistriesD.load(dir);
    Reference app = Reference.parse("registry.example.com/team/app:1");
    assertEquals("https://sigs.example.com/signatures", r.lookaside(app, false));
    // As containers/image: the most specific scope with any URL answers, its staging one if set.
    assertEquals("https://sigs.example.com/signatures", r.lookaside(app, true));
    assertEquals("file:///staging", r.lookaside(Reference.parse("quay.io/x"), true));
    assertFalse(r.useSigstoreAttachments(app));
    assertTrue(r.useSigstoreAttachments(Reference.parse("registry.example.com/other")));
    assertEquals(
        "http://old.example.org/sigs", r.lookaside(Reference.parse("a.example.org/x"), false));
    assertEquals(
        "file:///var/lib/containers/sigstore", r.lookaside(Reference.parse("quay.io/x"), false));
    assertFalse(r.useSigstoreAttachments(Reference.parse("quay.io/x")));

    RegistriesD none = RegistriesD.load(dir.resolve("missing"));
    assertNull(none.lookaside(app, false));
  }

  @Test
  void aScopeDefinedInTwoFilesIsAnError() throws Exception {
    Files.writeString(dir.resolve("a.yaml"), "docker:\n  quay.io:\n    lookaside: file:///a\n");
    Files.writeString(dir.resolve("b.yaml"), "docker:\n  quay.io:\n    lookaside: file:///b\n");
    LayerStoreException e = assertThrows(LayerStoreException.class, () -> RegistriesD.load(dir));
    assertTrue(
        e.getMessage().contains("quay.io") && e.getMessage().contains("b.yaml"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "docker:\n  - quay.io\n",
        "docker: [a, b]\n",
        "docker:\n\tquay.io: {}\n",
        "docker:\n  quay.io:\n    lookaside: \"unterminated\n",
        "docker:\n  quay.io:\n    lookaside: a\n    lookaside: b\n",
        "docker:\n    quay.io:\n  bad: 1\n",
        "docker:\n  quay.io:\n    use-sigstore-attachments: maybe\n",
      })
  void malformedFilesNameTheFileAndLine(String yaml) throws Exception {
    Path f = dir.resolve("bad.yaml");
    Files.writeString(f, yaml);
    LayerStoreException e = assertThrows(LayerStoreException.class, () -> RegistriesD.load(dir));
    assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
  }

  @Test
  void yamlScalars() throws Exception {
    Map<String, Object> m =
        RegistriesYaml.parse(
            "a: 'it''s # not a comment'\nb: \"x\\ty\"\nc: plain value  # comment\nd:\ne: {}\n",
            "t");
    assertEquals("it's # not a comment", m.get("a"));
    assertEquals("x\ty", m.get("b"));
    assertEquals("plain value", m.get("c"));
    assertNull(m.get("d"));
    assertEquals(Map.of(), m.get("e"));
  }

  @Test
  void lookasideLayoutIsContainersImages() throws Exception {
    Digest d = Digest.of("manifest");
    Lookaside l = new Lookaside(URI.create("https://sigs.example.com/base"));
    assertEquals(
        URI.create(
            "https://sigs.example.com/base/library/busybox@sha256=" + d.hex() + "/signature-3"),
        l.signature(Reference.parse("busybox:1"), d, 3));

    Lookaside files = new Lookaside(dir.resolve("sigs").toUri());
    Reference ref = Reference.parse("localhost:5000/a/b:1");
    URI first = files.write(ref, d, new byte[] {1});
    URI second = files.write(ref, d, new byte[] {2});
    assertEquals(dir.resolve("sigs/a/b@sha256=" + d.hex() + "/signature-1").toUri(), first);
    assertEquals(dir.resolve("sigs/a/b@sha256=" + d.hex() + "/signature-2").toUri(), second);
    List<byte[]> read = files.read(ref, d, null);
    assertEquals(2, read.size());
    assertEquals(2, read.get(1)[0]);
    try (var s = Files.list(Path.of(first).getParent())) {
      assertEquals(2, s.count(), "no temporary file is left behind");
    }
    LayerStoreException http =
        assertThrows(LayerStoreException.class, () -> l.write(ref, d, new byte[] {1}));
    assertTrue(http.getMessage().contains("only file://"), http.getMessage());
  }

  /**
   * The layout's promise: a static web server over a directory written through {@code file://}
   * serves the same signatures over http (python's http.server stands in for the web server).
   */
  @Test
  void aStaticWebServerOverAFileLookasideServesTheSameSignatures() throws Exception {
    Tools.require("python3");
    Digest d = Digest.of("manifest");
    Reference ref = Reference.parse("localhost:5000/a/b:1");
    Path served = dir.resolve("served");
    Lookaside files = new Lookaside(served.toUri());
    files.write(ref, d, new byte[] {1, 2, 3});
    files.write(ref, d, new byte[] {4});
    Process server =
        new ProcessBuilder(
                "python3",
                "-u",
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                "--directory",
                served.toString(),
                "0")
            .redirectErrorStream(true)
            .start();
    try {
      java.io.BufferedReader out =
          new java.io.BufferedReader(
              new java.io.InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("port (\\d+)").matcher(out.readLine());
      assertTrue(m.find());
      URI base = URI.create("http://127.0.0.1:" + m.group(1));
      List<byte[]> read =
          new Lookaside(base).read(ref, d, java.net.http.HttpClient.newHttpClient());
      assertEquals(2, read.size());
      assertArrayEquals(new byte[] {1, 2, 3}, read.get(0));
      assertArrayEquals(new byte[] {4}, read.get(1));
      List<byte[]> none =
          new Lookaside(base)
              .read(ref, Digest.of("other"), java.net.http.HttpClient.newHttpClient());
      assertEquals(0, none.size());
    } finally {
      server.destroy();
      server.waitFor();
    }
  }
}
