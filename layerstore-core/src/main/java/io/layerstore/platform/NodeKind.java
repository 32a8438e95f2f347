package io.layerstore.platform;

/** The type of a file system node, as lstat reports it. */
public enum NodeKind {
  DIRECTORY,
  REGULAR,
  SYMLINK,
  CHAR_DEVICE,
  BLOCK_DEVICE,
  FIFO,
  SOCKET;

  /** The {@code S_IFMT} bits of this kind. */
  public int typeBits() {
    switch (this) {
      case DIRECTORY:
        return 0040000;
      case REGULAR:
        return 0100000;
      case SYMLINK:
        return 0120000;
      case CHAR_DEVICE:
        return 0020000;
      case BLOCK_DEVICE:
        return 0060000;
      case FIFO:
        return 0010000;
      case SOCKET:
        return 0140000;
      default:
        throw new AssertionError(this);
    }
  }

  /** The kind for the {@code S_IFMT} bits of {@code mode}, or {@code null} if none matches. */
  public static NodeKind fromMode(int mode) {
    switch (mode & 0170000) {
      case 0040000:
        return DIRECTORY;
      case 0100000:
        return REGULAR;
      case 0120000:
        return SYMLINK;
      case 0020000:
        return CHAR_DEVICE;
      case 0060000:
        return BLOCK_DEVICE;
      case 0010000:
        return FIFO;
      case 0140000:
        return SOCKET;
      default:
        return null;
    }
  }

  public boolean isDevice() {
    return this == CHAR_DEVICE || this == BLOCK_DEVICE;
  }
}
