package io.layerstore.platform;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;

/**
 * The contract on jimfs as {@link Configuration#unix()} makes it: only the {@code basic} view, so
 * no permission bits and no link counts in the file system; everything comes from records.
 */
class EmulatedJimfsTreeTest extends TreeContract {
  FileSystem fs;

  Configuration configuration() {
    return Configuration.unix();
  }

  @Override
  Path newBase() throws IOException {
    fs = Jimfs.newFileSystem(configuration());
    return Files.createDirectories(fs.getPath("/work"));
  }

  @Override
  Platform platform(Path base) {
    return Platform.forRoot(base);
  }

  @AfterEach
  void closeFileSystem() throws IOException {
    fs.close();
  }
}
