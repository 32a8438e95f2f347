package io.layerstore.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerstore.ChainId;
import io.layerstore.DiffId;
import io.layerstore.Digest;
import io.layerstore.ImageId;
import io.layerstore.NotFoundException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image's top chainID is kept after its config was read once, and every later ask still sees
 * whether the image is there: removed behind the store's back (by another process), it is not
 * found; stored again, it is found with the same answer.
 */
class ImageDbTopChainTest {
  @TempDir Path root;

  private final ObjectMapper json = new ObjectMapper();

  private static byte[] config(List<DiffId> diffIds) {
    StringBuilder ids = new StringBuilder();
    for (DiffId d : diffIds) {
      ids.append(ids.length() == 0 ? "" : ",").append('"').append(d).append('"');
    }
    return ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
            + "\"diff_ids\":["
            + ids
            + "]}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void keptAnswerFollowsTheImageInAndOut() throws Exception {
    ImageDb db = new ImageDb(root, new AtomicFiles(new SecureRandom(), false));
    db.initialize();
    List<DiffId> diffIds =
        List.of(
            new DiffId(Digest.of("layer one")),
            new DiffId(Digest.of("layer two")),
            new DiffId(Digest.of("layer three")));
    byte[] bytes = config(diffIds);
    ImageId id = db.put(bytes);
    Optional<ChainId> top = ChainId.top(diffIds);
    assertEquals(top, db.topChain(id, json));
    assertEquals(top, db.topChain(id, json), "kept");

    Files.delete(db.contentFile(id)); // as another process's rmi does
    assertThrows(NotFoundException.class, () -> db.topChain(id, json));
    assertThrows(NotFoundException.class, () -> db.topChain(id, json), "still gone");

    assertEquals(id, db.put(bytes));
    assertEquals(top, db.topChain(id, json), "stored again");

    db.delete(id);
    assertThrows(NotFoundException.class, () -> db.topChain(id, json));

    ImageId empty = db.put(config(List.of()));
    assertEquals(Optional.empty(), db.topChain(empty, json), "no layers, nothing to mount");
  }
}
