package io.layerstore.union;

import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/** Permission bits, the creation umask and device numbers, in the kernel's encodings. */
final class Modes {
  private Modes() {}

  /**
   * The umask applied to every node the union creates, like a process with the usual {@code 022}
   * creating files in a kernel mount: {@code Files.createFile} gives 0644, directories 0755.
   */
  static final int UMASK = 022;

  private static final PosixFilePermission[] BITS_ORDER = {
    PosixFilePermission.OTHERS_EXECUTE,
    PosixFilePermission.OTHERS_WRITE,
    PosixFilePermission.OTHERS_READ,
    PosixFilePermission.GROUP_EXECUTE,
    PosixFilePermission.GROUP_WRITE,
    PosixFilePermission.GROUP_READ,
    PosixFilePermission.OWNER_EXECUTE,
    PosixFilePermission.OWNER_WRITE,
    PosixFilePermission.OWNER_READ,
  };

  /**
   * The permission bits for a node created with {@code attrs}: {@code posix:permissions} (or {@code
   * unix:permissions}) if given, else {@code defaultMode}, then the umask. Any other initial
   * attribute is refused, as the default provider does.
   */
  static int forCreate(FileAttribute<?>[] attrs, int defaultMode) {
    int mode = defaultMode;
    for (FileAttribute<?> attr : attrs) {
      if (attr.name().equals("posix:permissions") || attr.name().equals("unix:permissions")) {
        mode = bits(permissionSet(attr.value()));
      } else {
        throw new UnsupportedOperationException("'" + attr.name() + "' cannot be set initially");
      }
    }
    return mode & ~UMASK;
  }

  @SuppressWarnings("unchecked")
  static Set<PosixFilePermission> permissionSet(Object value) {
    if (!(value instanceof Set)) {
      throw new ClassCastException("permissions must be a Set<PosixFilePermission>: " + value);
    }
    for (Object element : (Set<?>) value) {
      if (!(element instanceof PosixFilePermission)) {
        throw new ClassCastException("not a PosixFilePermission: " + element);
      }
    }
    return (Set<PosixFilePermission>) value;
  }

  static int bits(Set<PosixFilePermission> permissions) {
    int mode = 0;
    for (int i = 0; i < BITS_ORDER.length; i++) {
      if (permissions.contains(BITS_ORDER[i])) {
        mode |= 1 << i;
      }
    }
    return mode;
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    for (int i = 0; i < BITS_ORDER.length; i++) {
      if ((mode & (1 << i)) != 0) {
        set.add(BITS_ORDER[i]);
      }
    }
    return set;
  }

  /** glibc's {@code makedev}: the {@code st_rdev} value the default provider reports. */
  static long makedev(int major, int minor) {
    long maj = Integer.toUnsignedLong(major);
    long min = Integer.toUnsignedLong(minor);
    return ((maj & 0xfffff000L) << 32)
        | ((maj & 0x00000fffL) << 8)
        | ((min & 0xffffff00L) << 12)
        | (min & 0x000000ffL);
  }
}
