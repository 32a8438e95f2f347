package io.layerstore.platform;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.LayerStoreException;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What only an emulated tree has: its record file. On jimfs. */
class EmulatedTreeTest {
  FileSystem fs;
  Path root;
  Path sidecar;
  Tree tree;

  @BeforeEach
  void setUp() throws IOException {
    fs = Jimfs.newFileSystem(Configuration.unix());
    root = Files.createDirectories(fs.getPath("/store/tree"));
    sidecar = fs.getPath("/store/meta/tree.json");
    tree = Platform.emulated().tree(root, sidecar);
  }

  @AfterEach
  void tearDown() throws IOException {
    fs.close();
  }

  Tree reopen() throws IOException {
    tree.flush();
    return tree = Platform.emulated().tree(root, sidecar);
  }

  JsonNode sidecarJson() throws IOException {
    return new ObjectMapper().readTree(Files.readAllBytes(sidecar));
  }

  @Test
  void writesAVersionedCompactDocument() throws IOException {
    Path f = Files.createFile(root.resolve("a \"b\"\n\\c"));
    tree.setOwner(f, 1234, 5678);
    tree.setMode(f, 04755);
    tree.setXattr(f, "trusted.x", new byte[] {0, 'y'});
    Files.createDirectories(root.resolve("dev"));
    tree.makeNode(root.resolve("dev/null"), NodeKind.CHAR_DEVICE, 0666, 1, 3);
    tree.flush();

    JsonNode doc = sidecarJson();
    assertEquals("layerstore-tree-records", doc.get("format").asText());
    assertEquals(1, doc.get("version").asInt());
    JsonNode nodes = doc.get("nodes");
    assertEquals(2, nodes.size());
    JsonNode a = nodes.get(0);
    assertEquals("a \"b\"\n\\c", a.get("names").get(0).asText());
    assertEquals("4755", a.get("mode").asText());
    assertEquals(1234, a.get("uid").asLong());
    assertEquals("AHk=", a.get("xattrs").get("trusted.x").asText());
    JsonNode dev = nodes.get(1);
    assertEquals("dev/null", dev.get("names").get(0).asText());
    assertEquals("CHAR_DEVICE", dev.get("kind").asText());
    assertEquals(1, dev.get("major").asInt());
    assertEquals(3, dev.get("minor").asInt());
    assertFalse(dev.has("uid"), "defaults are left out");
    assertEquals(List.of("tree.json"), TreeContract.list(sidecar.getParent()), "no temp files");
  }

  @Test
  void writesNothingUntilSomethingIsRecorded() throws IOException {
    Path f = Files.createFile(root.resolve("f"));
    tree.stat(f);
    tree.setOwner(f, 0, 0);
    tree.setMode(f, tree.stat(f).mode());
    tree.removeXattr(f, "user.x");
    tree.flush();
    assertFalse(Files.exists(sidecar));

    tree.setOwner(f, 1, 1);
    tree.flush();
    assertTrue(Files.exists(sidecar));
    Files.delete(sidecar);
    tree.flush();
    assertFalse(Files.exists(sidecar), "flush without changes writes nothing");

    tree.setOwner(f, 0, 0);
    tree.flush();
    assertEquals(0, sidecarJson().get("nodes").size(), "a record back at defaults is dropped");
  }

  @Test
  void refusesACorruptRecordFile() throws IOException {
    Files.createFile(root.resolve("f"));
    for (String bad :
        List.of(
            "{not json",
            "{\"format\":\"other\",\"version\":1,\"nodes\":[]}",
            "{\"format\":\"layerstore-tree-records\",\"version\":2,\"nodes\":[]}",
            "{\"format\":\"layerstore-tree-records\",\"version\":1,\"nodes\":[{\"names\":[\"f\"],\"colour\":1}]}",
            "{\"format\":\"layerstore-tree-records\",\"version\":1,\"nodes\":[{\"names\":[\"f\"],\"mode\":\"99\"}]}",
            "{\"format\":\"layerstore-tree-records\",\"version\":1,\"nodes\":[{\"names\":[\"f\"],\"uid\":-1}]}",
            "{\"format\":\"layerstore-tree-records\",\"version\":1,\"nodes\":[{\"names\":[\"f\"],\"kind\":\"REGULAR\"}]}",
            "{\"format\":\"layerstore-tree-records\",\"version\":1,\"nodes\":[{\"names\":[\"../outside\"]}]}",
            "{\"format\":\"layerstore-tree-records\",\"version\":1,\"nodes\":[{\"names\":[]}]}")) {
      Files.createDirectories(sidecar.getParent());
      Files.writeString(sidecar, bad);
      Tree t = Platform.emulated().tree(root, sidecar);
      LayerStoreException e =
          assertThrows(LayerStoreException.class, () -> t.stat(root.resolve("f")), bad);
      assertTrue(e.getMessage().contains(sidecar.toString()), e.getMessage());
    }
    Files.writeString(
        sidecar, "{\"format\":\"layerstore-tree-records\",\"version\":2,\"nodes\":[]}");
    LayerStoreException e =
        assertThrows(
            LayerStoreException.class, () -> Platform.emulated().tree(root, sidecar).stat(root));
    assertTrue(e.getMessage().contains("version 2"), e.getMessage());
  }

  @Test
  void dropsRecordsOfNodesThatAreGoneOrChangedKind() throws IOException {
    Files.createDirectories(sidecar.getParent());
    Files.createDirectories(root.resolve("was-a-device"));
    Files.createFile(root.resolve("kept"));
    Files.writeString(
        sidecar,
        "{\"format\":\"layerstore-tree-records\",\"version\":1,\"nodes\":[\n"
            + "{\"names\":[\"gone\"],\"uid\":5},\n"
            + "{\"names\":[\"was-a-device\"],\"kind\":\"CHAR_DEVICE\",\"major\":1,\"minor\":3},\n"
            + "{\"names\":[\"kept\",\"also-gone\"],\"uid\":7}\n]}\n");
    assertEquals(NodeKind.DIRECTORY, tree.stat(root.resolve("was-a-device")).kind());
    assertEquals(7, tree.stat(root.resolve("kept")).uid());
    tree.flush();
    JsonNode nodes = sidecarJson().get("nodes");
    assertEquals(1, nodes.size());
    assertEquals("[\"kept\"]", nodes.get(0).get("names").toString());
  }

  @Test
  void aHardlinkKeepsTheRecordWhenTheKnownNameGoes() throws IOException {
    // jimfs as configured here reports no link counts: the tree cannot tell at delete time.
    Path f = Files.createFile(root.resolve("f"));
    tree.setOwner(f, 3, 3);
    Files.createDirectories(root.resolve("d"));
    Files.createLink(root.resolve("d/g"), f);
    tree.delete(f);
    tree.flush();
    assertEquals("[\"d/g\"]", sidecarJson().get("nodes").get(0).get("names").toString());
    assertEquals(3, reopen().stat(root.resolve("d/g")).uid());
    tree.delete(root.resolve("d"));
    tree.flush();
    assertEquals(0, sidecarJson().get("nodes").size());
  }

  @Test
  void sidecarMustLieOutsideTheTree() {
    assertThrows(
        IllegalArgumentException.class,
        () -> Platform.emulated().tree(root, root.resolve("records.json")));
    assertThrows(
        IllegalArgumentException.class,
        () -> Platform.emulated().tree(root, root.resolve("../tree/x/records.json")));
  }

  @Test
  void manyThreadsOneTree() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int id = t;
        done.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 200; i++) {
                    Path p = root.resolve("t" + id + "-" + i);
                    Files.createFile(p);
                    tree.setOwner(p, id, i);
                    tree.setXattr(p, "user.i", Integer.toString(i).getBytes(UTF_8));
                    if (i % 50 == 0) {
                      tree.flush();
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    reopen();
    for (int t = 0; t < 4; t++) {
      for (int i = 0; i < 200; i += 13) {
        NodeStat s = tree.stat(root.resolve("t" + t + "-" + i));
        assertEquals(List.of((long) t, (long) i), List.of(s.uid(), s.gid()));
      }
    }
    assertEquals(800, sidecarJson().get("nodes").size());
  }
}
