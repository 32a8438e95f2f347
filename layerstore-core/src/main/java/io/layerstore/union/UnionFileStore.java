package io.layerstore.union;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileOwnerAttributeView;
import java.nio.file.attribute.FileStoreAttributeView;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.UserDefinedFileAttributeView;

/** The union's single store. Space is the upper branch's: that is where writes go. */
final class UnionFileStore extends FileStore {

  private final UnionFileSystem fs;

  UnionFileStore(UnionFileSystem fs) {
    this.fs = fs;
  }

  @Override
  public String name() {
    return "union";
  }

  @Override
  public String type() {
    return UnionFileSystemProvider.SCHEME;
  }

  @Override
  public boolean isReadOnly() {
    return fs.isReadOnly();
  }

  private FileStore upperStore() throws IOException {
    fs.checkOpen();
    return Files.getFileStore(fs.operations().branches().tree(0).root());
  }

  @Override
  public long getTotalSpace() throws IOException {
    return upperStore().getTotalSpace();
  }

  @Override
  public long getUsableSpace() throws IOException {
    return fs.isReadOnly() ? 0 : upperStore().getUsableSpace();
  }

  @Override
  public long getUnallocatedSpace() throws IOException {
    return upperStore().getUnallocatedSpace();
  }

  @Override
  public boolean supportsFileAttributeView(Class<? extends FileAttributeView> type) {
    return type == BasicFileAttributeView.class
        || type == FileOwnerAttributeView.class
        || type == PosixFileAttributeView.class
        || type == UserDefinedFileAttributeView.class;
  }

  @Override
  public boolean supportsFileAttributeView(String name) {
    return AttributeViews.NAMES.contains(name);
  }

  @Override
  public <V extends FileStoreAttributeView> V getFileStoreAttributeView(Class<V> type) {
    return null;
  }

  @Override
  public Object getAttribute(String attribute) {
    throw new UnsupportedOperationException("file store attribute " + attribute);
  }
}
