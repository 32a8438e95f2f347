package io.layerstore.reliability;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a store test runs: a real disk (the native platform when the tests run as root), or jimfs.
 * Each has a store root and, beside it, a canary directory nothing may ever touch.
 */
final class StoreEnv implements AutoCloseable {

  final String name;
  final Path root;
  final Path canary;
  private final FileSystem fs;

  private StoreEnv(String name, Path root, Path canary, FileSystem fs) throws IOException {
    this.name = name;
    this.root = root;
    this.canary = canary;
    this.fs = fs;
    Files.createDirectories(canary.resolve("sub"));
    Files.writeString(canary.resolve("keep"), "the canary: nothing may change it\n");
    Files.writeString(canary.resolve("sub/keep"), "below\n");
  }

  static StoreEnv disk(Path tmp) throws IOException {
    return new StoreEnv("disk", tmp.resolve("store"), tmp.resolve("canary"), null);
  }

  static StoreEnv jimfs() throws IOException {
    FileSystem fs =
        Jimfs.newFileSystem(
            Configuration.unix().toBuilder()
                .setAttributeViews("basic", "owner", "posix", "unix")
                .build());
    return new StoreEnv("jimfs", fs.getPath("/store"), fs.getPath("/canary"), fs);
  }

  static StoreEnv of(String which, Path tmp) throws IOException {
    return which.equals("disk") ? disk(tmp) : jimfs();
  }

  boolean isDisk() {
    return fs == null;
  }

  HostileCorpus.Env env() {
    return new HostileCorpus.Env(name, canary.toString());
  }

  /** A directory on the default file system for generated inputs. */
  static Path inputs(String what) throws IOException {
    Path p = Path.of("target", what).toAbsolutePath();
    Files.createDirectories(p);
    return p;
  }

  @Override
  public void close() throws IOException {
    if (fs != null) {
      fs.close();
    }
  }
}
