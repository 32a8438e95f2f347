package io.layerstore.platform;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Path;

/**
 * The rules the Linux kernel applies to extended attribute names and values, checked up front by
 * both trees so that an emulated tree accepts exactly what a native one would and both fail with
 * the same message (the kernel's errno text).
 */
final class Xattrs {
  /** XATTR_NAME_MAX. */
  static final int MAX_NAME_BYTES = 255;

  /** XATTR_SIZE_MAX. */
  static final int MAX_VALUE_BYTES = 65536;

  private static final String[] NAMESPACES = {"user.", "trusted.", "security.", "system."};

  private Xattrs() {}

  /** Fails like the kernel for a name outside the known namespaces or longer than 255 bytes. */
  static byte[] checkName(Path path, String op, String name) throws FileSystemException {
    if (name == null) {
      throw new NullPointerException("xattr name");
    }
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    if (bytes.length > MAX_NAME_BYTES) {
      throw new FileSystemException(path.toString(), null, op + ": Numerical result out of range");
    }
    if (!knownNamespace(name) || name.indexOf('\0') >= 0) {
      throw new FileSystemException(path.toString(), null, op + ": Operation not supported");
    }
    return bytes;
  }

  static void checkValue(Path path, String op, byte[] value) throws FileSystemException {
    if (value == null) {
      throw new NullPointerException("xattr value");
    }
    if (value.length > MAX_VALUE_BYTES) {
      throw new FileSystemException(path.toString(), null, op + ": Argument list too long");
    }
  }

  /**
   * Whether {@code user.*} attributes may live on a node of this kind: the kernel keeps them on
   * regular files and directories only and answers EPERM elsewhere.
   */
  static boolean userNamespaceAllowed(NodeKind kind) {
    return kind == NodeKind.REGULAR || kind == NodeKind.DIRECTORY;
  }

  static boolean isUser(String name) {
    return name.startsWith("user.");
  }

  private static boolean knownNamespace(String name) {
    for (String ns : NAMESPACES) {
      if (name.startsWith(ns) && name.length() > ns.length()) {
        return true;
      }
    }
    return false;
  }
}
