package io.layerstore.aufs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.ChainId;
import io.layerstore.Image;
import io.layerstore.ImageId;
import io.layerstore.LayerStore;
import io.layerstore.Mount;
import io.layerstore.archive.TarHeader;
import io.layerstore.archive.TarReader;
import io.layerstore.spi.BranchIntrospection.Branch;
import io.layerstore.spi.BranchIntrospection.MountBranches;
import io.layerstore.testkit.Backing;
import io.layerstore.testkit.DriverSandbox;
import io.layerstore.testkit.Fixtures;
import io.layerstore.testkit.LayerTar;
import io.layerstore.testkit.PlatformRequirements;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Docker's reference image through aufs: each {@code diff/<cache-id>} holds exactly the entries of
 * its layer tarball — whiteouts and opaque markers as the {@code .wh.} files the tarball has, in
 * the same places — and the mount lists its five branches.
 */
class AufsFxMultiTest {

  private DriverSandbox sandbox;

  @AfterEach
  void close() throws IOException {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  /** The layer tars of a docker-save archive, in manifest order. */
  static List<byte[]> layerTars(Path archive) throws IOException {
    Map<String, byte[]> members = new HashMap<>();
    try (InputStream in = Files.newInputStream(archive);
        TarReader r = new TarReader(in, archive.toString())) {
      TarHeader h;
      while ((h = r.next()) != null) {
        if (h.isRegular()) {
          members.put(h.name(), r.content().readAllBytes());
        }
      }
    }
    JsonNode manifest = new ObjectMapper().readTree(members.get("manifest.json"));
    List<byte[]> out = new ArrayList<>();
    for (JsonNode l : manifest.get(0).get("Layers")) {
      out.add(members.get(l.asText()));
    }
    return out;
  }

  /** Every path below {@code dir}, relative, without following symlinks. */
  static TreeSet<String> walk(Path dir) throws IOException {
    TreeSet<String> out = new TreeSet<>();
    walk(dir, "", out);
    return out;
  }

  private static void walk(Path dir, String rel, TreeSet<String> out) throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String r = rel + p.getFileName();
        out.add(r);
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          walk(p, r + "/", out);
        }
      }
    }
  }

  private static TreeSet<String> tarPaths(byte[] tar) throws IOException {
    TreeSet<String> out = new TreeSet<>();
    for (String n : LayerTar.names(tar)) {
      String p = n.startsWith("./") ? n.substring(2) : n;
      p = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
      if (!p.isEmpty()) {
        out.add(p);
      }
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Backing.class)
  void diffDirsHoldTheTarballsEntriesWhiteoutsIncluded(Backing backing) throws IOException {
    Path archive = Fixtures.fxMultiArchive();
    PlatformRequirements.require(Files.isRegularFile(archive), "the fixture " + archive);
    sandbox = DriverSandbox.create("aufs", backing, Map.of());
    LayerStore store = sandbox.store();
    ImageId id = store.load(archive).get(0);
    Image image = store.image(id.toString());
    List<byte[]> tars = layerTars(archive);
    assertEquals(5, tars.size());
    List<String> cacheIds = new ArrayList<>();
    int whiteouts = 0;
    for (int i = 0; i < tars.size(); i++) {
      ChainId chain = image.chainIds().get(i);
      Path cacheIdFile =
          sandbox
              .dataRoot()
              .resolve("image/aufs/layerdb/sha256")
              .resolve(chain.digest().hex())
              .resolve("cache-id");
      String cacheId = Files.readString(cacheIdFile, StandardCharsets.US_ASCII);
      cacheIds.add(cacheId);
      Path diff = sandbox.dataRoot().resolve("aufs/diff").resolve(cacheId);
      TreeSet<String> inTar = tarPaths(tars.get(i));
      assertEquals(inTar, walk(diff), "diff/" + cacheId + " of layer " + (i + 1));
      for (String p : inTar) {
        String base = p.substring(p.lastIndexOf('/') + 1);
        if (base.startsWith(".wh.")) {
          whiteouts++;
          assertEquals("file", io.layerstore.testkit.Nodes.type(diff.resolve(p)), p);
        }
      }
    }
    assertTrue(
        whiteouts >= 3, "fx:multi deletes a file, a tree and makes a dir opaque: " + whiteouts);

    assertEquals(java.util.Optional.empty(), store.mountBranches(id));
    try (Mount m = store.mount(id)) {
      assertFalse(m.isWritable());
      MountBranches b = store.mountBranches(id).orElseThrow();
      List<Branch> want = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        String cacheId = cacheIds.get(4 - i);
        want.add(
            new Branch(
                i,
                sandbox.dataRoot().resolve("aufs/diff").resolve(cacheId).toString(),
                "ro+wh",
                64 + i));
      }
      assertEquals(want, b.branches());
      assertEquals(
          sandbox.dataRoot().resolve("aufs/mnt").resolve(cacheIds.get(4)).toString(),
          b.mountPoint());
    }
  }
}
