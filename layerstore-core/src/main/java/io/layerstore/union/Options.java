package io.layerstore.union;

import java.nio.file.CopyOption;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/** Reads the NIO option arrays and sets the union's operations take. */
final class Options {
  private Options() {}

  static boolean followLinks(LinkOption... options) {
    for (LinkOption option : options) {
      if (option == LinkOption.NOFOLLOW_LINKS) {
        return false;
      }
    }
    return true;
  }

  static boolean followLinks(Set<? extends OpenOption> options) {
    return !options.contains(LinkOption.NOFOLLOW_LINKS);
  }

  static boolean contains(CopyOption[] options, CopyOption wanted) {
    for (CopyOption option : options) {
      if (option == wanted) {
        return true;
      }
    }
    return false;
  }

  /** Whether opening with {@code options} can change the file (or create it). */
  static boolean writes(Set<? extends OpenOption> options) {
    return options.contains(StandardOpenOption.WRITE)
        || options.contains(StandardOpenOption.APPEND);
  }
}
