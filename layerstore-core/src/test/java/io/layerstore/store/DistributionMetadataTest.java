package io.layerstore.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import io.layerstore.DiffId;
import io.layerstore.Digest;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Docker's distribution metadata, as moby's V2MetadataService.Add writes it. */
class DistributionMetadataTest {

  @Test
  void addsAsDockerDoes() throws IOException {
    try (FileSystem fs = Jimfs.newFileSystem(Configuration.unix())) {
      StoreLayout layout = new StoreLayout(fs.getPath("/root"), "overlay2");
      DistributionMetadata dist =
          new DistributionMetadata(
              layout,
              new AtomicFiles(new SecureRandom(), false),
              new ObjectMapper(),
              new StoreLocks(layout.locksDir()));
      DiffId diffId = new DiffId(Digest.of("layer"));
      Digest blob = Digest.of("blob");
      DistributionMetadata.Entry a = new DistributionMetadata.Entry(blob, "docker.io/x/a", "");
      DistributionMetadata.Entry b = new DistributionMetadata.Entry(blob, "docker.io/x/b", "");
      dist.add(diffId, a);
      dist.add(diffId, b);
      dist.add(diffId, a); // an equal entry moves to the end
      assertEquals(List.of(b, a), dist.entries(diffId));
      Path file =
          layout
              .imageRoot()
              .resolve("distribution/v2metadata-by-diffid/sha256/" + diffId.digest().hex());
      assertEquals(
          "[{\"Digest\":\""
              + blob
              + "\",\"SourceRepository\":\"docker.io/x/b\",\"HMAC\":\"\"},"
              + "{\"Digest\":\""
              + blob
              + "\",\"SourceRepository\":\"docker.io/x/a\",\"HMAC\":\"\"}]",
          Files.readString(file));
      assertEquals(Optional.of(diffId), dist.diffId(blob));
      assertEquals(
          diffId.toString(),
          Files.readString(
              layout.imageRoot().resolve("distribution/diffid-by-digest/sha256/" + blob.hex())));
      // at most 50, the oldest dropped
      List<DistributionMetadata.Entry> expected = new ArrayList<>(List.of(b, a));
      for (int i = 0; i < 60; i++) {
        DistributionMetadata.Entry e = new DistributionMetadata.Entry(blob, "r/" + i, "");
        dist.add(diffId, e);
        expected.add(e);
      }
      assertEquals(
          expected.subList(expected.size() - DistributionMetadata.MAX_ENTRIES, expected.size()),
          dist.entries(diffId));
    }
  }
}
